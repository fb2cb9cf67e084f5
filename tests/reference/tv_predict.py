"""The ImageNet path against torchvision, made at test time (tests/onnx/test_onnx_torchvision_images.sh; nothing
committed): torchvision's resnet18 with seeded random weights (batch-norm statistics away from their defaults,
gen_onnx.randomize), 1000 classes, exported to ONNX at 224x224; a real photograph as JPEG (scikit-learn's
china.jpg, 640x427, else the committed photo_rgb.jpg); and torchvision's answer for it: Resize(256),
CenterCrop(224), ToTensor(), Normalize(ImageNet's mean and std), then the model's forward in float64.
Writes DIR/r18.onnx, DIR/photo.jpg, DIR/logits.npy (1, 1000) and DIR/top5.txt (index and softmax probability
of the five best classes, one a line).
Usage: /usr/bin/python3 tests/reference/tv_predict.py DIR   (needs python3-torchvision)"""
import io
import os
import shutil
import sys
import warnings

import numpy as np
import torch
import torchvision
from PIL import Image
from torchvision import transforms as T

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from gen_onnx import randomize  # noqa: E402


def photo(out):
    try:
        import sklearn.datasets
        src = os.path.join(os.path.dirname(sklearn.datasets.__file__), "images", "china.jpg")
    except ImportError:
        src = None
    if not src or not os.path.exists(src):
        src = os.path.join(HERE, "fixtures", "images", "photo_rgb.jpg")
    shutil.copyfile(src, out)


def main(d):
    torch.manual_seed(18)
    torch.set_num_threads(2)
    model = randomize(torchvision.models.resnet18())
    buf = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model, torch.zeros(1, 3, 224, 224), buf, opset_version=13, input_names=["input"],
                          output_names=["output"])
    with open(os.path.join(d, "r18.onnx"), "wb") as f:
        f.write(buf.getvalue())
    jpg = os.path.join(d, "photo.jpg")
    photo(jpg)
    pre = T.Compose([T.Resize(256), T.CenterCrop(224), T.ToTensor(),
                     T.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])])
    x = pre(Image.open(jpg).convert("RGB"))[None]
    with torch.no_grad():
        y = model.double()(x.double())
    np.save(os.path.join(d, "logits.npy"), y.numpy().astype(np.float32))
    p = torch.softmax(y, 1)[0]
    top = torch.topk(p, 5)
    with open(os.path.join(d, "top5.txt"), "w") as f:
        for v, i in zip(top.values.tolist(), top.indices.tolist()):
            f.write(f"{i} {v:.6f}\n")


if __name__ == "__main__":
    main(sys.argv[1])
