#!/bin/sh
# Segmentation data on the command line: `fovea data compose` pastes Fashion-MNIST items onto canvases (the same
# seed, the same files), `fovea train --task segment --data DIR` trains on the images/ and masks/ folders it
# writes (augmented, the masks moving with the images), `fovea evaluate` prints the mean IoU and per-class lines
# (the task inferred from the data or the model), a CSV of image,mask pairs reads as the folder, and bad pairs (a
# mask of another size, an image without a mask and the reverse, an RGB mask, a class id beyond the model's) are
# named with the file and the reason, skipped, or refused with --strict.
# Skipped when Fashion-MNIST is not installed. Prints "N passed, N failed" like the C tests.
FOVEA=${FOVEA:-build/fovea}
T=$(mktemp -d /tmp/fovea_segdata.XXXXXX)
trap 'rm -rf "$T"' EXIT
. tests/common/harness.sh

if ! "$FOVEA" data compose fashion-mnist "$T/seg" --canvas 32 --items 2:3 --count 64 --seed 5 >/dev/null 2>&1; then
    echo "skip: Fashion-MNIST not found ($("$FOVEA" data compose fashion-mnist "$T/seg" --count 1 2>&1 | tail -n 1))"
    harness_finish
    exit $?
fi
[ "$(ls "$T/seg/images" | wc -l)" -eq 64 ] && [ "$(ls "$T/seg/masks" | wc -l)" -eq 64 ] \
    && ok "compose writes 64 images and 64 masks" || bad "compose wrote $(ls "$T/seg/images" | wc -l) images"
[ "$(head -n 2 "$T/seg/classes.txt" | tr '\n' ,)" = "background,T-shirt/top," ] && [ "$(wc -l < "$T/seg/classes.txt")" -eq 11 ] \
    && ok "classes.txt is background and the 10 Fashion-MNIST classes" || bad "classes.txt: $(head -n 3 "$T/seg/classes.txt")"
head -n 1 "$T/seg/boxes.csv" | grep -q "^file,class,x0,y0,x1,y1$" && ok "boxes.csv has its header" || bad "boxes.csv header"
"$FOVEA" data compose fashion-mnist "$T/again" --canvas 32 --items 2:3 --count 64 --seed 5 >/dev/null
cmp -s "$T/seg/masks/00063.png" "$T/again/masks/00063.png" && cmp -s "$T/seg/boxes.csv" "$T/again/boxes.csv" \
    && ok "the same seed composes the same files" || bad "a second compose differs"
expect "--items must be MIN:MAX" 2 "MIN:MAX" -- "$FOVEA" data compose fashion-mnist "$T/x" --items 3

printf 'input x shape=1x32x32\nconv2d c1 filters=8 kernel=3 padding=1\nrelu r1\nconv2d c2 filters=11 kernel=1\n' > "$T/seg.fvd"
expect "train --task segment --data DIR trains on the folder" 0 "Saved model" -- "$FOVEA" train --model "$T/seg.fvd" \
    --task segment --data "$T/seg" --epochs 1 --batch 16 --hflip 0.5 --validation-split 0.25 --out "$T/seg.fvm"
expect "evaluate --task segment --data DIR prints the mIoU" 0 "^mean_iou: 0\.[0-9]*$" -- "$FOVEA" evaluate "$T/seg.fvm" \
    --task segment --data "$T/seg"

# bad folders: each bad pair named with the file and the reason, skipped (and listed) or refused with --strict
bad_folder() { rm -rf "$T/bad" && cp -r "$T/seg" "$T/bad"; }
bad_folder && rm "$T/bad/masks/00007.png"
expect "an image without a mask is skipped, named" 0 "images/00007.png: no mask (no masks/00007.png)" -- "$FOVEA" train \
    --model "$T/seg.fvd" --data "$T/bad" --epochs 1 --out "$T/x.fvm"
expect "an image without a mask is refused with --strict" 1 "images/00007.png: no mask" -- "$FOVEA" train \
    --model "$T/seg.fvd" --data "$T/bad" --epochs 1 --strict --out "$T/x.fvm"
bad_folder && rm "$T/bad/images/00008.png"
expect "a mask without an image is skipped, named" 0 "masks/00008.png: a mask without an image" -- "$FOVEA" evaluate \
    "$T/seg.fvm" --data "$T/bad"
expect "a mask without an image is refused with --strict" 1 "masks/00008.png: a mask without an image" -- "$FOVEA" \
    evaluate "$T/seg.fvm" --data "$T/bad" --strict
bad_folder && "$FOVEA" data compose fashion-mnist "$T/small" --canvas 30 --count 3 >/dev/null && cp "$T/small/masks/00002.png" "$T/bad/masks/"
expect "a mask of another size is skipped, named" 0 "masks/00002.png: the mask is 30x30, its image 32x32" -- "$FOVEA" \
    train --model "$T/seg.fvd" --data "$T/bad" --epochs 1 --out "$T/x.fvm"
expect "a mask of another size is refused with --strict" 1 "masks/00002.png: the mask is 30x30, its image 32x32" -- \
    "$FOVEA" train --model "$T/seg.fvd" --data "$T/bad" --epochs 1 --strict --out "$T/x.fvm"
bad_folder && printf '\211\120\116\107\015\012\032\012\000\000\000\015\111\110\104\122\000\000\000\001\000\000\000\001\010\002\000\000\000\220\167\123\336\000\000\000\014\111\104\101\124\170\234\143\140\144\142\006\000\000\016\000\007\327\157\344\170\000\000\000\000\111\105\116\104\256\102\140\202' > "$T/bad/masks/00003.png"
expect "an RGB mask is refused with --strict, naming it" 1 "masks/00003.png.*an RGB mask holds colours" -- "$FOVEA" train \
    --model "$T/seg.fvd" --data "$T/bad" --epochs 1 --strict --out "$T/x.fvm"
expect "evaluate skips an RGB mask, naming it" 0 "skipped 1 of 64 pairs" -- "$FOVEA" evaluate "$T/seg.fvm" --data "$T/bad"

# a class id the model does not have: named where the model's class count is known
printf 'input x shape=1x32x32\nconv2d c1 filters=8 kernel=3 padding=1\nrelu r1\nconv2d c2 filters=5 kernel=1\n' > "$T/seg5.fvd"
expect "train names a mask with a class id beyond the model's" 0 "but the model has 5 classes" -- "$FOVEA" train \
    --model "$T/seg5.fvd" --data "$T/seg" --epochs 1 --out "$T/x5.fvm"
expect "and refuses it with --strict" 1 "masks/[0-9]*.png: class id [0-9]* at x [0-9]*, y [0-9]*, but the model has 5 classes" -- \
    "$FOVEA" train --model "$T/seg5.fvd" --data "$T/seg" --epochs 1 --strict --out "$T/x5.fvm"

# the task comes from the data (pairs) or from the model file (the task line train writes), never classify
expect "evaluate without --task on a segmentation folder" 0 "^mean_dice: 0\.[0-9]*$" -- "$FOVEA" evaluate "$T/seg.fvm" --data "$T/seg"
expect "per-class lines carry classes.txt's names" 0 "^class 1 (T-shirt/top): iou [0-9.]* dice [0-9.]*" -- "$FOVEA" \
    evaluate "$T/seg.fvm" --data "$T/seg"
(cd "$T/seg" && ls images | sed "s/^\(.*\)\.png$/images\/\1.png,masks\/\1.png/" > pairs.csv) && sed -i "1i image,mask" "$T/seg/pairs.csv"
a=$("$FOVEA" evaluate "$T/seg.fvm" --data "$T/seg" 2>&1 | grep -E "^(pixel_accuracy|mean_iou|mean_dice):")
b=$("$FOVEA" evaluate "$T/seg.fvm" --data "$T/seg/pairs.csv" 2>&1 | grep -E "^(pixel_accuracy|mean_iou|mean_dice):")
[ -n "$a" ] && [ "$a" = "$b" ] && ok "a CSV of image,mask pairs evaluates as the folder" || bad "CSV: '$b' folder: '$a'"
expect "train keeps the task in the model: predict needs no --task" 0 "00001.png:  class [0-9]* [0-9.]*%" -- "$FOVEA" \
    predict "$T/seg.fvm" "$T/seg/images/00001.png"
expect "predict --data on a segmentation set shows the chosen samples' classes" 0 "^sample\[5\]:  class" -- "$FOVEA" \
    predict "$T/seg.fvm" --data "$T/seg" --index 2,5

# data inspect: pairs, bad and unpaired files, pixels per class with names and shares, sizes
bad_folder && rm "$T/bad/masks/00007.png" && cp "$T/small/masks/00002.png" "$T/bad/masks/"
out=$("$FOVEA" data inspect "$T/bad" 2>&1)
printf '%s\n' "$out" | grep -q "^Found 63 image,mask pairs: 62 usable, 1 bad; 1 unpaired files\.$" \
    && ok "inspect counts pairs, bad pairs and unpaired files" || bad "inspect: $(printf '%s' "$out" | head -n 2)"
printf '%s\n' "$out" | grep -q "images/00007.png: no mask" && printf '%s\n' "$out" | grep -q "masks/00002.png: the mask is 30x30" \
    && ok "inspect names the missing and the mismatched mask" || bad "inspect problems: $(printf '%s' "$out" | tail -n 3)"
total=$(printf '%s\n' "$out" | sed -n 's/^Mask pixels per class (\([0-9]*\) pixels):$/\1/p')
sum=$(printf '%s\n' "$out" | awk '/^ +[0-9]+ .*%$/ { s += $(NF-1) } END { print s }')
[ "$total" = $((62 * 32 * 32)) ] && [ "$sum" = "$total" ] \
    && ok "inspect's pixels per class add up to the usable masks' ($total)" || bad "inspect pixels: total $total, sum $sum"
printf '%s\n' "$out" | grep -q "^    0 background  *[0-9]*  *[0-9.]*%$" && printf '%s\n' "$out" | grep -q "^ *32x32x1  63$" \
    && ok "inspect names the classes and lists the image sizes" || bad "inspect classes/sizes"
expect "inspect reads a CSV of pairs" 0 "^Found 64 image,mask pairs: 64 usable" -- "$FOVEA" data inspect "$T/seg/pairs.csv"
harness_finish
