#!/bin/sh
# fovea's ONNX exports (every layer type, zoo models, opsets 11 to 18) run by onnxruntime within 1e-5 of
# fovea's own outputs. Needs node and npm's onnxruntime-node, else skips; to install it beside this script:
#   (cd tests/onnx && ONNXRUNTIME_NODE_INSTALL=skip npm install --no-save onnxruntime-node)
# (or point NODE_PATH at a node_modules folder that has it).
here=$(cd "$(dirname "$0")" && pwd)
fovea=${FOVEA:-build/fovea}
bin=$(dirname "$fovea")/tests/onnx/test_onnx_roundtrip
skip() {
    echo "skipped: $1"
    echo "0 passed, 0 failed"
    exit 0
}
command -v node >/dev/null 2>&1 || skip "node is not installed"
(cd "$here" && node -e "require.resolve('onnxruntime-node')") >/dev/null 2>&1 ||
    skip "onnxruntime-node is not installed (see the top of tests/onnx/test_onnx_ort.sh)"
[ -x "$bin" ] || skip "$bin is not built"
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
if ! "$bin" --ort "$dir"; then
    echo "FAIL test_onnx_roundtrip --ort did not write the models"
    echo "0 passed, 1 failed"
    exit 1
fi
cd "$here" && node ort_check.js "$dir"
