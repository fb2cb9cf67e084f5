#!/bin/sh
# Today's architectures through ONNX: torchvision's shufflenet_v2_x1_0, densenet121, convnext_tiny, vit_b_16,
# swin_t and its segmentation models fcn_resnet50, deeplabv3_mobilenet_v3_large and lraspp_mobilenet_v3_large at
# 230x230, with random weights, exported by PyTorch at opsets 13 and 17 with a dynamic batch
# (tests/reference/gen_onnx_modern.py, into a cache beside test_onnx_torchvision.sh's) and imported by fovea:
# outputs within 1e-4 of PyTorch's at batch 3 and batch 1, in eval and inference graphs (test_onnx_import --models).
# Needs /usr/bin/python3 with torch and torchvision, else skips; FOVEA_SKIP_TORCHVISION=1 skips it anyway (the
# first run exports 1.7 GB of models, about 2.5 minutes on 2 cores).
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
gen=tests/reference/gen_onnx_modern.py
dir=$(/usr/bin/python3 "$gen" --print-dir) || fail "finding the cache directory"
/usr/bin/python3 "$gen" 2>&1 || fail "exporting the models into $dir"
"$bin" --models "$dir"
