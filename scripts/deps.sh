#!/bin/sh
# Installs, on Debian, what building and testing fovea need (and, with --demo, the Fashion-MNIST data set),
# skipping what is already there. Run as root.
set -e
need=""
command -v cc >/dev/null 2>&1 || need="$need build-essential"
command -v make >/dev/null 2>&1 || need="$need make"
[ -e /usr/include/zlib.h ] || need="$need zlib1g-dev"
if [ "${1:-}" = "--demo" ] && ! [ -e /usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz ]; then
    need="$need dataset-fashion-mnist"
fi
if [ -n "$need" ]; then
    echo "installing:$need"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq $need >/dev/null
fi
