#!/bin/sh
# Torchvision's models (resnet18/50, mobilenet_v2/v3, efficientnet_b0, googlenet) exported by PyTorch at test
# time (tests/reference/gen_onnx_torchvision.py) and imported by fovea: outputs within 1e-4 of PyTorch's.
# Needs /usr/bin/python3 with torch and torchvision (Debian's python3-torchvision), else skips; set
# FOVEA_SKIP_TORCHVISION=1 to skip it anyway (exporting takes about 10 s).
fovea=${FOVEA:-build/fovea}
bin=$(dirname "$fovea")/tests/onnx/test_onnx_import
skip() {
    echo "skipped: $1"
    echo "0 passed, 0 failed"
    exit 0
}
[ -n "$FOVEA_SKIP_TORCHVISION" ] && skip "FOVEA_SKIP_TORCHVISION is set"
/usr/bin/python3 -c "import torch, torchvision" >/dev/null 2>&1 || skip "python3-torchvision is not installed"
[ -x "$bin" ] || skip "$bin is not built"
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
if ! /usr/bin/python3 tests/reference/gen_onnx_torchvision.py "$dir" 2>&1; then
    echo "FAIL exporting torchvision's models"
    echo "0 passed, 1 failed"
    exit 1
fi
"$bin" --dir "$dir"
