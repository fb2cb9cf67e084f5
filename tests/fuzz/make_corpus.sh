#!/bin/sh
# Writes the committed seed corpus of the fuzz targets, tests/fuzz/corpus/<target>/, from the valid inputs the
# deterministic fuzz tests start from (their --seeds mode) and a few of the reference images.
# Usage: sh tests/fuzz/make_corpus.sh [BUILD_TESTS_DIR]   (default build/tests; `make test-bins` first)
set -e
bin=${1:-build/tests}/fuzz
out=tests/fuzz/corpus
rm -rf "$out"
mkdir -p "$out/onnx" "$out/model_file" "$out/model_desc" "$out/image"
"$bin/test_fuzz_data" --seeds "$out" >/dev/null             # idx, npy
"$bin/test_fuzz_text" --seeds "$out" >/dev/null             # history, image_list, augment, optim_state, seg_set
"$bin/test_fuzz_model_desc" --seeds "$out/model_desc"
"$bin/test_fuzz_model_file" --seeds "$out/model_file"
"$bin/test_fuzz_onnx" --seeds "$out/onnx"
# the larger ONNX exports add little that the small ones lack: keep the corpus a few KB per target
find "$out/onnx" -type f -size +6k -delete
for f in gray1.png palette_trns.png gray16.png rgb_trns.png gray.jpg progressive.jpg exif6.jpg cmyk.jpg; do
    cp "tests/reference/fixtures/images/$f" "$out/image/"
done
# seg_set: a palette mask (indices, tRNS) after the mode byte 0 that sends it to the mask reader
{ printf '\000'; cat tests/reference/fixtures/images/palette_trns.png; } > "$out/seg_set/palette_mask"
du -sh "$out"/*
