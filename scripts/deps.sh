#!/bin/sh
# Installs, on Debian, what building and testing fovea need (a C compiler, make, zlib, libpng, protobuf-c, pkg-config, the
# Fashion-MNIST data set that the end-to-end tests and the demo train on, and for the tests Chromium), skipping
# what is already there.
# Run as root.
set -e
need=""
command -v cc >/dev/null 2>&1 || need="$need build-essential"
command -v make >/dev/null 2>&1 || need="$need make"
command -v pkg-config >/dev/null 2>&1 || need="$need pkg-config"
[ -e /usr/include/zlib.h ] || need="$need zlib1g-dev"
[ -e /usr/include/png.h ] || need="$need libpng-dev"
[ -e /usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz ] || need="$need dataset-fashion-mnist"
# ONNX interchange: protobuf-c (the compiler generates ONNX's message code at build time) and, for the tests,
# ONNX's conformance data (6 MB)
command -v protoc-c >/dev/null 2>&1 || need="$need protobuf-c-compiler"
[ -e /usr/include/protobuf-c/protobuf-c.h ] || need="$need libprotobuf-c-dev"
[ -d /usr/share/libonnx-testdata/data/node ] || need="$need libonnx-testdata"
# the report test opens pages in a headless browser; the demo does not need one
if [ "${1:-}" != "--demo" ]; then command -v chromium >/dev/null 2>&1 || need="$need chromium"; fi
if [ -n "$need" ]; then
    echo "installing:$need"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq $need >/dev/null
fi
