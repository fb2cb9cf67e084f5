#!/bin/sh
# torchvision's segmentation models end to end (issue 17): fcn_resnet50, lraspp_mobilenet_v3_large and
# deeplabv3_mobilenet_v3_large with random weights and 21 classes, exported to ONNX by PyTorch at 224x224 at
# test time (tests/reference/tv_segmentation.py; 13 to 130 MB, never committed). For each: fovea's import gives
# torchvision's result["out"] within 1e-4 (relative to the largest logit); the zoo's model of the same name,
# given the export's weights by structure (`fovea convert NAME --weights`), gives it too; and fcn_resnet50 and
# lraspp_mobilenet_v3_large fine-tune for two steps (`fovea train --task segment`) on composed Fashion-MNIST
# canvases resized to 224x224 RGB. 35 to 50 s on 2 shared cores. Needs /usr/bin/python3 with torch, torchvision and PIL,
# else skips (FOVEA_SKIP_TORCHVISION=1 skips it too).
FOVEA=${FOVEA:-build/fovea}
. tests/common/harness.sh
[ -n "$FOVEA_SKIP_TORCHVISION" ] && harness_skip "FOVEA_SKIP_TORCHVISION is set"
/usr/bin/python3 -c "import torch, torchvision, numpy, PIL" >/dev/null 2>&1 || harness_skip "python3-torchvision is not installed"
T=$(mktemp -d /tmp/fovea_segtv.XXXXXX)
trap 'rm -rf "$T"' EXIT
MODELS="fcn_resnet50 lraspp_mobilenet_v3_large deeplabv3_mobilenet_v3_large"
/usr/bin/python3 tests/reference/tv_segmentation.py "$T" 224 $MODELS || { bad "exporting torchvision's models"; harness_finish; exit 1; }

# same NAME FILE: FILE's logits equal torchvision's for NAME within 1e-4 of the largest
same() {
    /usr/bin/python3 -c "
import sys, numpy as np
a, b = np.load('$2'), np.load('$T/$1_y.npy')
err = abs(a - b).max() / abs(b).max() if a.shape == b.shape else float('inf')
print(f'{err:.3g}')
sys.exit(0 if err <= 1e-4 else 1)"
}
for m in $MODELS; do
    if "$FOVEA" run "$T/$m.onnx" --input "$T/${m}_x.npy" --output "$T/${m}_onnx.npy" >/dev/null 2>&1 &&
        err=$(same "$m" "$T/${m}_onnx.npy"); then ok "$m.onnx: fovea's forward = torchvision's within 1e-4 ($err)"
    else bad "$m.onnx: forward differs from torchvision's (${err:-did not run})"; fi
    if "$FOVEA" convert "$m" "$T/${m}_zoo.fvm" --input 3x224x224 --weights "$T/$m.onnx" >/dev/null 2>&1 &&
        "$FOVEA" run "$T/${m}_zoo.fvm" --input "$T/${m}_x.npy" --output "$T/${m}_zoo.npy" >/dev/null 2>&1 &&
        err=$(same "$m" "$T/${m}_zoo.npy"); then
        ok "zoo $m with the export's weights (paired by structure) = torchvision's within 1e-4 ($err)"
    else bad "zoo $m with the export's weights: ${err:-did not convert or run}"; fi
done

# Composed canvases, resized to the models' 224x224 RGB input (images bilinear, masks nearest: class ids stay).
"$FOVEA" data compose fashion-mnist "$T/canvas" --count 2 --seed 17 >/dev/null 2>&1 || bad "composing canvases"
/usr/bin/python3 - "$T/canvas" "$T/c224" <<'PY' || bad "resizing the canvases"
import os, shutil, sys
from PIL import Image
src, dst = sys.argv[1], sys.argv[2]
for sub, mode in (("images", Image.BILINEAR), ("masks", Image.NEAREST)):
    os.makedirs(os.path.join(dst, sub))
    for f in sorted(os.listdir(os.path.join(src, sub))):
        im = Image.open(os.path.join(src, sub, f))
        im = im.convert("RGB") if sub == "images" else im
        im.resize((224, 224), mode).save(os.path.join(dst, sub, f))
shutil.copy(os.path.join(src, "classes.txt"), dst)
PY
for m in fcn_resnet50 lraspp_mobilenet_v3_large; do
    expect "$m.onnx fine-tunes for two steps on 224x224 canvases" 0 "Saved model to" -- "$FOVEA" train \
        --model "$T/$m.onnx" --task segment --data "$T/c224" --epochs 1 --batch 1 --lr 1e-4 --out "$T/${m}_ft.fvm"
    loss=$(printf '%s\n' "$out" | tr '\r' '\n' | sed -n 's/.* - loss: \([^ ]*\) .*/\1/p' | tail -n 1) # expect's output
    /usr/bin/python3 -c "import math, sys; sys.exit(0 if math.isfinite(float('$loss')) else 1)" 2>/dev/null &&
        ok "$m: the training loss is finite ($loss)" || bad "$m: training loss '$loss'"
done
expect "the fine-tuned lraspp_mobilenet_v3_large evaluates on the canvases" 0 "mean_iou:" -- "$FOVEA" evaluate \
    "$T/lraspp_mobilenet_v3_large_ft.fvm" --task segment --data "$T/c224"
harness_finish
