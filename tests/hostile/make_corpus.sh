#!/bin/sh
# Regenerates tests/hostile/corpus: the valid files the hostile ones vary (corpus/base: an IDX set, a batch,
# an image folder with its CSV, and a model, its ONNX form, a checkpoint and a history that fovea itself
# trains on them), the binary hostile files (make_hostile small) and those edited from the base model and
# checkpoint (make_hostile derive). The hand-written text cases (corpus/*.fvd, *.csv, *.txt) are kept.
# Usage, from the repository root after `make test-bins`: sh tests/hostile/make_corpus.sh [BUILD_DIR]
set -e
B=${1:-build}
C=tests/hostile/corpus
"$B/tests/hostile/make_hostile" small "$C"
cp tests/hostile/tiny.fvd "$C/base/tiny.fvd"
rm -f "$C/base/tiny.fvm" "$C/base/ckpt.fvm" "$C/base/history.csv"
"$B/fovea" train --model "$C/base/tiny.fvd" --data "$C/base/idx" --epochs 2 --batch 4 --seed 1 --validation-split 0.25 \
    --early-stopping 3 --checkpoint "$C/base/ckpt.fvm" --history "$C/base/history.csv" --out "$C/base/tiny.fvm" --quiet
"$B/fovea" convert "$C/base/tiny.fvm" "$C/base/tiny.onnx"
"$B/tests/hostile/make_hostile" derive "$C/base" "$C"
