#!/bin/sh
# Installs what the demo needs on Debian (compiler, zlib, Fashion-MNIST), builds it and runs it.
set -e
cd "$(dirname "$0")/.."
if ! command -v cc >/dev/null 2>&1 || ! [ -e /usr/include/zlib.h ] || ! [ -e /usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz ]; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq build-essential zlib1g-dev dataset-fashion-mnist
fi
make -s build/examples/fmnist_demo
./build/examples/fmnist_demo /usr/share/datasets/fashion-mnist "${TRAIN_IMAGES:-6000}" "${EPOCHS:-1}"
