#!/bin/sh
# Torchvision's models (alexnet, vgg*, googlenet, resnet*, mobilenet_v2/v3, efficientnet_b0-b7) with random
# weights, exported by PyTorch at opsets 13 and 17 (tests/reference/gen_onnx_torchvision.py, into a cache:
# ~/.cache/fovea, or $FOVEA_ONNX_CACHE) and imported by fovea: outputs within 1e-4 of PyTorch's at batch 3 and
# batch 1, and the same for the zoo's model of each name with the imported weights (test_onnx_import --dir).
# Needs /usr/bin/python3 with torch and torchvision (Debian's python3-torchvision), else skips; set
# FOVEA_SKIP_TORCHVISION=1 to skip it anyway (the first run exports 7 GB of models, about 2.5 minutes).
fovea=${FOVEA:-build/fovea}
bin=$(dirname "$fovea")/tests/onnx/test_onnx_import
skip() {
    echo "skipped: $1"
    echo "0 passed, 0 failed"
    exit 0
}
fail() {
    echo "FAIL $1"
    echo "0 passed, 1 failed"
    exit 1
}
[ -n "$FOVEA_SKIP_TORCHVISION" ] && skip "FOVEA_SKIP_TORCHVISION is set"
/usr/bin/python3 -c "import torch, torchvision" >/dev/null 2>&1 || skip "python3-torchvision is not installed"
[ -x "$bin" ] || skip "$bin is not built"
gen=tests/reference/gen_onnx_torchvision.py
dir=$(/usr/bin/python3 "$gen" --print-dir) || fail "finding the cache directory"
/usr/bin/python3 "$gen" 2>&1 || fail "exporting torchvision's models into $dir"
"$bin" --dir "$dir"
