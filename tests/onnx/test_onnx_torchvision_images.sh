#!/bin/sh
# The ImageNet path end to end against torchvision (tests/reference/tv_predict.py, made at test time): a
# random-weight torchvision resnet18 exported to ONNX, converted with `--normalize imagenet` (mean, std, shorter
# side 256 + centre crop 224); `fovea run` on a JPEG gives torchvision's Resize(256) + CenterCrop(224) +
# ToTensor + Normalize + forward within 1e-4 (logits), and `fovea predict` on it prints torchvision's five best
# classes, by ImageNet name, with their probabilities within 1e-4. A few seconds. Needs /usr/bin/python3 with
# torch and torchvision, else skips (FOVEA_SKIP_TORCHVISION=1 skips it too).
FOVEA=${FOVEA:-build/fovea}
. tests/common/harness.sh
skip() {
    echo "skipped: $1"
    echo "0 passed, 0 failed"
    exit 0
}
[ -n "$FOVEA_SKIP_TORCHVISION" ] && skip "FOVEA_SKIP_TORCHVISION is set"
/usr/bin/python3 -c "import torch, torchvision, numpy" >/dev/null 2>&1 || skip "python3-torchvision is not installed"
T=$(mktemp -d /tmp/fovea_tvimg.XXXXXX)
trap 'rm -rf "$T"' EXIT
/usr/bin/python3 tests/reference/tv_predict.py "$T" || { bad "torchvision's reference"; harness_finish; exit 1; }
expect "convert --normalize imagenet" 0 "shorter side to 256, centre crop" -- "$FOVEA" convert "$T/r18.onnx" "$T/r18.fvm" --normalize imagenet
expect "run on the JPEG" 0 "^" -- "$FOVEA" run "$T/r18.fvm" --input "$T/photo.jpg" --output "$T/y.npy"
diff=$(/usr/bin/python3 -c "import numpy as np; a = np.load('$T/y.npy'); b = np.load('$T/logits.npy'); print(f'{abs(a - b).max():.3g} {abs(b).max():.3g}')")
set -- $diff
/usr/bin/python3 -c "import sys; sys.exit(0 if float('$1') <= 1e-4 else 1)" &&
    ok "logits equal torchvision's preprocessing + forward within 1e-4: max difference $1 (largest logit $2)" ||
    bad "logits differ by $1 (largest logit $2)"
"$FOVEA" predict "$T/r18.fvm" "$T/photo.jpg" --top 5 > "$T/pred.txt" 2>&1
names=$(/usr/bin/python3 -c "
from torchvision.models._meta import _IMAGENET_CATEGORIES as c
print('  '.join(f'{c[int(i)]} {float(p):.4f}' for i, p in (l.split() for l in open('$T/top5.txt'))))")
got=$(sed -n 's/^[^:]*photo.jpg:  //p' "$T/pred.txt")
/usr/bin/python3 - "$names" "$got" <<'PY' && ok "predict prints torchvision's top 5 by name within 1e-4: $got" || bad "predict: '$got', torchvision: '$names'"
import re, sys
want = re.findall(r"(.+?) (\d\.\d{4})(?:  |$)", sys.argv[1])
got = re.findall(r"(.+?) (\d\.\d{4})(?:  |$)", sys.argv[2])
sys.exit(0 if len(want) == 5 and [w[0] for w in want] == [g[0] for g in got]
         and all(abs(float(a[1]) - float(b[1])) <= 1e-4 for a, b in zip(want, got)) else 1)
PY
harness_finish
