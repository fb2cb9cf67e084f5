#!/bin/sh
# The demo command: installs what is missing (compiler, zlib, Fashion-MNIST), builds and trains FMNIST-CNN.
set -e
cd "$(dirname "$0")/.."
sh scripts/deps.sh --demo
make -s build/examples/fmnist_demo
./build/examples/fmnist_demo /usr/share/datasets/fashion-mnist "${TRAIN_IMAGES:-6000}" "${EPOCHS:-1}"
