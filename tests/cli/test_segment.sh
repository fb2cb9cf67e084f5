#!/bin/sh
# fovea segment: a tiny segmentation model (one 3x3 convolution to 3 classes) over PNG fixtures: the overlay
# (RGB) and the mask (8-bit gray) at the model's input size, the index before the extension with several
# images, and the refusals: a classifier's (N, K) output named with its shape, --out naming an input image,
# --out and --mask the same file, no --out. Prints "N passed, N failed".
FOVEA=${FOVEA:-build/fovea}
. tests/common/harness.sh
T=$(mktemp -d /tmp/fovea_segment.XXXXXX)
trap 'rm -rf "$T"' EXIT
IMG=tests/reference/fixtures/images
cp "$IMG/gray.png" "$IMG/rgb.png" "$T/"
printf 'model seg\ninput x shape=1x16x16\nconv2d c filters=3 kernel=3 padding=1\n' > "$T/seg.fvd"

# a PNG's signature, width, height, bit depth and colour type (IHDR), as numbers
png_head() { od -A n -t u1 -j 0 -N 26 "$1" | tr -s ' \n' ' ' | cut -d" " -f2-4,18-27; }

expect "segment one image" 0 "gray.png: 3 classes, 16x16 -> $T/o.png (+ mask)" -- \
    "$FOVEA" segment "$T/seg.fvd" "$T/gray.png" --out "$T/o.png" --mask "$T/m.png" --alpha 0.6
h=$(png_head "$T/o.png")
[ "$h" = "137 80 78 0 0 0 16 0 0 0 16 8 2" ] && ok "the overlay: a 16x16 RGB PNG" || bad "overlay header: $h"
h=$(png_head "$T/m.png")
[ "$h" = "137 80 78 0 0 0 16 0 0 0 16 8 0" ] && ok "the mask: a 16x16 8-bit gray PNG" || bad "mask header: $h"
expect "several images: the index before the extension" 0 "rgb.png: 3 classes, 16x16 -> $T/many-1.png" -- \
    "$FOVEA" segment "$T/seg.fvd" "$T/gray.png" "$T/rgb.png" --out "$T/many.png" --mask "$T/mask.png"
[ -s "$T/many-0.png" ] && [ -s "$T/many-1.png" ] && [ -s "$T/mask-0.png" ] && [ -s "$T/mask-1.png" ] &&
    ok "several images: every overlay and mask written" || bad "several images: $(ls "$T")"

expect "a classifier's output refused, naming the shape" 1 "fovea segment: fmnist-cnn: output (1, 10) is not segmentation logits" -- \
    "$FOVEA" segment fmnist-cnn "$T/gray.png" --out "$T/c.png"
[ ! -e "$T/c.png" ] && ok "nothing written for a classifier" || bad "a classifier's overlay written"
expect "--out naming the input refused" 2 "--out .* is the input" -- "$FOVEA" segment "$T/seg.fvd" "$T/gray.png" --out "$T/gray.png"
cmp -s "$T/gray.png" "$IMG/gray.png" && ok "the input left as it was" || bad "the input changed"
expect "--out and --mask the same file refused" 2 "mask" -- "$FOVEA" segment "$T/seg.fvd" "$T/gray.png" --out "$T/x.png" --mask "$T/x.png"
expect "no --out" 2 "give --out" -- "$FOVEA" segment "$T/seg.fvd" "$T/gray.png"
expect "a .npy refused" 1 "give PNG or JPEG images" -- "$FOVEA" segment "$T/seg.fvd" "$T/x.npy" --out "$T/y.png"
expect "segment --help" 0 "usage: fovea segment" -- "$FOVEA" segment --help
harness_finish
