#!/bin/sh
# The demo command: installs what is missing (compiler, make, zlib, Fashion-MNIST), builds fovea, trains
# FMNIST-CNN (../shared/BENCHMARKS.md) on Fashion-MNIST for 5 epochs, evaluates it on the test set and
# predicts a few test images. EPOCHS and LIMIT (training images) shorten it.
set -e
cd "$(dirname "$0")/.."
sh scripts/deps.sh --demo
make -s -j"$(nproc)" cli
start=$(date +%s)
./build/fovea train --model fmnist-cnn --data fashion-mnist --epochs "${EPOCHS:-5}" --batch 64 --seed 1 \
    --limit "${LIMIT:-0}" --out fmnist-cnn.fvm
./build/fovea evaluate fmnist-cnn.fvm --data fashion-mnist
./build/fovea predict fmnist-cnn.fvm --data fashion-mnist --index 0,1,2,3,4
echo "demo: $(( $(date +%s) - start )) s for training, evaluation and prediction"
