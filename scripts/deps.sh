#!/bin/sh
# Installs, on Debian, what building and testing fovea need (a C compiler, make, zlib, libpng, protobuf-c,
# liblinear, libsvm, libxgboost, pkg-config, the Fashion-MNIST data set that the end-to-end tests and the demo
# train on; for the tests also clang with libFuzzer, Chromium, PyTorch with torchvision (the ONNX tests export
# torchvision's models at test time) and npm's onnxruntime-node), skipping what is already there.
# Run as root.
set -e
need=""
command -v cc >/dev/null 2>&1 || need="$need build-essential"
command -v make >/dev/null 2>&1 || need="$need make"
command -v pkg-config >/dev/null 2>&1 || need="$need pkg-config"
[ -e /usr/include/zlib.h ] || need="$need zlib1g-dev"
[ -e /usr/include/png.h ] || need="$need libpng-dev"
[ -e /usr/include/jpeglib.h ] || need="$need libjpeg-dev"
[ -e /usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz ] || need="$need dataset-fashion-mnist"
# ONNX interchange: protobuf-c (the compiler generates ONNX's message code at build time) and, for the tests,
# ONNX's conformance data (6 MB)
command -v protoc-c >/dev/null 2>&1 || need="$need protobuf-c-compiler"
[ -e /usr/include/protobuf-c/protobuf-c.h ] || need="$need libprotobuf-c-dev"
[ -d /usr/share/libonnx-testdata/data/node ] || need="$need libonnx-testdata"
# classical heads on network features (`fovea transfer`): liblinear, libsvm and XGBoost's C library
[ -e /usr/include/linear.h ] || need="$need liblinear-dev"
[ -e /usr/include/libsvm/svm.h ] || need="$need libsvm-dev"
[ -e /usr/include/xgboost/c_api.h ] || need="$need libxgboost-dev"
# fuzzing (`make fuzz`, run by scripts/test.sh): clang and its libFuzzer runtime (libclang_rt.fuzzer)
if [ "${1:-}" != "--demo" ]; then
    command -v clang >/dev/null 2>&1 || need="$need clang"
    ls /usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a >/dev/null 2>&1 || need="$need libclang-rt-14-dev"
fi
# the tests, not the demo: the report test opens pages in a headless browser; the ONNX tests compare with
# torchvision's exports (Debian's PyTorch 1.13) and run fovea's exports in onnxruntime (npm, below)
tests=no
[ "${1:-}" != "--demo" ] && tests=yes
if [ $tests = yes ]; then
    command -v chromium >/dev/null 2>&1 || need="$need chromium"
    /usr/bin/python3 -c "import torchvision" >/dev/null 2>&1 || need="$need python3-torchvision"
    command -v npm >/dev/null 2>&1 || need="$need npm"
fi
# Another apt may hold apt's locks (unattended-upgrades, cloud-init at first boot): apt-get waits for dpkg's lock
# through DPkg::Lock::Timeout, but `apt-get update` fails at once on the package lists' lock whatever the option
# (apt 2.6), so it is retried for as long.
wait_s=${FOVEA_APT_WAIT:-600}
apt_get() { apt-get -o DPkg::Lock::Timeout="$wait_s" "$@"; }
update_lists() {
    waited=0
    while ! out=$(apt_get update -qq 2>&1); do
        case $out in *"Could not get lock"*) ;; *) printf '%s\n' "$out" >&2; return 1 ;; esac
        if [ "$waited" -ge "$wait_s" ]; then printf '%s\n' "$out" >&2; return 1; fi
        [ "$waited" -eq 0 ] && echo "waiting up to $wait_s s for another apt to release the package lists"
        sleep 5
        waited=$((waited + 5))
    done
    [ -z "$out" ] || printf '%s\n' "$out"
}
if [ -n "$need" ]; then
    echo "installing:$need"
    export DEBIAN_FRONTEND=noninteractive
    update_lists
    apt_get install -y -qq $need >/dev/null
fi
# onnxruntime's Node.js binding beside the test that uses it (its CPU binaries ship in the package; the skip
# stops its installer from fetching GPU libraries from outside the npm registry)
here=$(cd "$(dirname "$0")/.." && pwd)
if [ $tests = yes ] && [ ! -d "$here/tests/onnx/node_modules/onnxruntime-node" ]; then
    echo "installing: onnxruntime-node (npm)"
    (cd "$here/tests/onnx" && ONNXRUNTIME_NODE_INSTALL=skip npm install --no-save --no-audit --no-fund \
        onnxruntime-node@1.30.0 >/dev/null)
fi
