"""Reference forward of the zoo's lraspp_mobilenet_v3_large (src/nn/zoo_segmentation.c) at a small width:
torchvision's own LR-ASPP (torchvision.models.segmentation, its _lraspp_mobilenetv3 on a dilated
mobilenet_v3_large with width_mult 0.25: the structure and names of lraspp_mobilenet_v3_large, with a quarter of
the backbone's channels) and 3 classes, seeded random weights and batch-norm statistics (gen_onnx.randomize), in
eval mode on a (2, 3, 67, 59) input; result["out"] is the reference. The full-width models (and fcn_resnet50,
deeplabv3_mobilenet_v3_large, whose fixtures would be tens of MB) are compared at test time through their ONNX
exports (tests/onnx/test_onnx_segmentation.sh). Writes seg_zoo_forward.fvx: "x", "y", "param_count" and every
parameter and buffer by name; the test is tests/nn/test_seg_zoo.c."""
import os
import warnings

import torch

import fvfx
from gen_onnx import randomize


def make(outdir):
    warnings.filterwarnings("ignore")
    from torchvision.models import mobilenet_v3_large
    from torchvision.models.segmentation.lraspp import _lraspp_mobilenetv3
    torch.manual_seed(21)
    net = randomize(_lraspp_mobilenetv3(mobilenet_v3_large(width_mult=0.25, dilated=True), 3))
    x = torch.randn(2, 3, 67, 59)
    with torch.no_grad():
        y = net.double()(x.double())["out"]
    entries = [("x", fvfx.tensor(x)), ("y", fvfx.tensor(y)),
               ("param_count", [sum(p.numel() for p in net.parameters())])]
    for name, t in net.state_dict().items():
        if not name.endswith("num_batches_tracked"):
            entries.append((name, fvfx.tensor(t)))
    fvfx.write(os.path.join(outdir, "seg_zoo_forward.fvx"), entries)
    return 1
