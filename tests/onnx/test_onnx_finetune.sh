#!/bin/sh
# The ImageNet-style transfer path end to end: torchvision's resnet18 (random weights, 1000 classes) exported to
# ONNX by PyTorch, fine-tuned by fovea on a 3-class folder of images with a new head and `--freeze up-to=layer3`
# (layer1-3 keep their weights, layer4 and the head train), then evaluated. Needs /usr/bin/python3 with torch,
# torchvision and PIL (Debian's python3-torchvision), else skips. Prints "N passed, N failed".
FOVEA=${FOVEA:-build/fovea}
T=$(mktemp -d /tmp/fovea_finetune.XXXXXX)
trap 'rm -rf "$T"' EXIT
. tests/common/harness.sh
if ! /usr/bin/python3 -c "import torch, torchvision, PIL" >/dev/null 2>&1; then
    echo "skipped: python3-torchvision is not installed"
    harness_finish
    exit 0
fi
/usr/bin/python3 - "$T" <<'PY' || { bad "exporting resnet18 and drawing the images"; harness_finish; exit 1; }
import os, sys
import numpy as np, torch, torchvision
from PIL import Image, ImageDraw
out = sys.argv[1]
torch.manual_seed(0)
m = torchvision.models.resnet18().eval()
torch.onnx.export(m, torch.zeros(1, 3, 64, 64), os.path.join(out, "r18.onnx"), input_names=["x"],
                  dynamic_axes={"x": {0: "n"}}, opset_version=13)
rng = np.random.RandomState(1)
for c, shape in enumerate(["disc", "square", "bar"]):
    d = os.path.join(out, "shapes", shape)
    os.makedirs(d)
    for i in range(8):
        im = Image.new("RGB", (64, 64), tuple(int(v) for v in rng.randint(0, 80, 3)))
        g = ImageDraw.Draw(im)
        x, y = rng.randint(8, 24, 2)
        col = tuple(int(v) for v in rng.randint(150, 255, 3))
        if shape == "disc":
            g.ellipse([x, y, x + 30, y + 30], fill=col)
        elif shape == "square":
            g.rectangle([x, y, x + 30, y + 30], fill=col)
        else:
            g.rectangle([x, y + 12, x + 34, y + 18], fill=col)
        im.save(os.path.join(d, f"{i}.png"))
PY
expect "resnet18.onnx gets a 3-class head with layer1-3 frozen and trains" 0 "Saved model to" -- "$FOVEA" train \
    --model "$T/r18.onnx" --data "$T/shapes" --freeze up-to=layer3 --epochs 3 --batch 8 --lr 1e-3 --out "$T/ft.fvm"
out=$("$FOVEA" train --model "$T/r18.onnx" --data "$T/shapes" --freeze up-to=layer3 --epochs 1 --batch 8 --quiet \
      --out "$T/ft1.fvm" 2>&1; "$FOVEA" summary "$T/ft1.fvm" 2>&1)
printf '%s\n' "$out" | grep -q "fc (Dense) *(None, 3)" && ok "the new head has 3 outputs" || bad "no 3-way head: $(printf '%s' "$out" | tail -n 3)"
trainable=$(printf '%s\n' "$out" | sed -n 's/^Trainable params: //p' | tr -d ,)
# layer4 (8,393,728 weights of convolutions and batch norms: 8,391,680 + 2 x ... ) plus the head (513 x 3 = 1,539)
[ -n "$trainable" ] && [ "$trainable" -gt 8000000 ] && [ "$trainable" -lt 8500000 ] \
    && ok "only layer4 and the head train ($trainable parameters)" || bad "trainable parameters: '$trainable'"
expect "the fine-tuned model evaluates on the folder" 0 "24 samples - loss" -- "$FOVEA" evaluate "$T/ft.fvm" --data "$T/shapes"
expect "predict names the folder's classes" 0 "disc\|square\|bar" -- "$FOVEA" predict "$T/ft.fvm" --data "$T/shapes" --index 0
harness_finish
