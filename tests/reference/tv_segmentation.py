"""torchvision's segmentation models against fovea, made at test time (tests/onnx/test_onnx_segmentation.sh;
nothing committed: the files are 13 to 130 MB): fcn_resnet50, lraspp_mobilenet_v3_large and
deeplabv3_mobilenet_v3_large (torchvision.models.segmentation, aux_loss=False, 21 classes) with seeded random
weights and batch-norm statistics away from their defaults (gen_onnx.randomize), each exported to ONNX at
3xSIZExSIZE by torch.onnx.export in eval mode (opset 13) as a model returning result["out"], with a random input
and torchvision's output for it (in float32). Writes DIR/NAME.onnx, DIR/NAME_x.npy (1, 3, SIZE, SIZE)
and DIR/NAME_y.npy (1, 21, SIZE, SIZE).
Usage: /usr/bin/python3 tests/reference/tv_segmentation.py DIR SIZE NAME...   (needs python3-torchvision)"""
import os
import sys
import warnings

import numpy as np
import torch
import torchvision

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from gen_onnx import randomize  # noqa: E402


class Out(torch.nn.Module):
    """The model's result["out"] alone: ONNX outputs are tensors, not dicts."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, x):
        return self.model(x)["out"]


def main():
    warnings.filterwarnings("ignore")
    out, size, names = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
    torch.set_num_threads(2)
    for name in names:
        torch.manual_seed(sum(map(ord, name)))
        model = getattr(torchvision.models.segmentation, name)(weights=None, weights_backbone=None, aux_loss=False)
        model = Out(randomize(model)).eval()  # export restores the mode it finds: eval
        x = torch.randn(1, 3, size, size)
        torch.onnx.export(model, x, os.path.join(out, f"{name}.onnx"), input_names=["x"], output_names=["out"],
                          opset_version=13)
        with torch.no_grad():
            y = model(x)  # float32: float64 would double the run time, and float32 is well inside 1e-4 here
        np.save(os.path.join(out, f"{name}_x.npy"), x.numpy())
        np.save(os.path.join(out, f"{name}_y.npy"), y.numpy())


if __name__ == "__main__":
    main()
