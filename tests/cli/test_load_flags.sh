#!/bin/sh
# The flags shared by the commands that read images (--max-image-mb) and load models (--allow-nonfinite): listed
# in each command's help, range-checked, and the image limit reaching the decoder (a PNG header declaring a
# 16000x16000 16-bit RGBA image, 2 GB of pixels, is refused naming the flag). Prints "N passed, N failed".
FOVEA=${FOVEA:-build/fovea}
. "$(dirname "$0")/../common/harness.sh"
T=$(mktemp -d /tmp/fovea_flags.XXXXXX)
trap 'rm -rf "$T"' EXIT

for c in train evaluate predict gradcam featuremaps patches features report augment "data inspect"; do
    expect "$c lists --max-image-mb" 0 "--max-image-mb MB" -- $FOVEA $c --help
done
for c in train evaluate predict summary run gradcam featuremaps patches features report convert; do
    expect "$c lists --allow-nonfinite" 0 "--allow-nonfinite" -- $FOVEA $c --help
done
expect "--max-image-mb 0 is a usage error" 2 "max-image-mb" -- $FOVEA data inspect "$T" --max-image-mb 0

# signature, IHDR 16000 x 16000 16-bit RGBA (CRC included), then a few bytes of IDAT: refused from the header
mkdir -p "$T/set/a" "$T/set/b"
printf '\211\120\116\107\015\012\032\012\000\000\000\015\111\110\104\122\000\000\076\200\000\000\076\200\020\006\000\000\000\021\356\003\235\000\000\000\021\111\104\101\124\170\234\143\140\030\005\243\140\024\014\167\000\000\003\350\000\001\263\246\323\106' > "$T/set/a/bomb.png"
cp "$T/set/a/bomb.png" "$T/set/b/bomb.png"
expect "a 2 GB PNG header is refused by bytes" 1 "bomb.png': a 16000x16000 image of 4 channels at 16 bits needs 1953.2 MiB to decode, over the limit of 256.0 MiB (raise it with --max-image-mb" -- $FOVEA data inspect "$T/set"
expect "evaluate refuses it the same way" 1 "needs 1953.2 MiB" -- $FOVEA evaluate fmnist-cnn --data "$T/set"

harness_finish
