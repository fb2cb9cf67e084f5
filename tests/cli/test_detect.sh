#!/bin/sh
# Detection from the command line: composed canvases with YOLO labels (data compose --boxes), data inspect on
# them, a short yolo-fmnist training (--task detect), evaluate's mAP lines, detect's printed boxes, boxed PNGs
# and JSON; then the refusals: detect with a classifier, --json naming an input image, a label file that goes
# bad, a detector evaluated on a folder without labels. Prints "N passed, N failed".
FOVEA=${FOVEA:-build/fovea}
. tests/common/harness.sh
T=$(mktemp -d /tmp/fovea_detect.XXXXXX)
trap 'rm -rf "$T"' EXIT

expect "compose --boxes" 0 "under $T/train (images/, masks/, labels/, classes.txt, boxes.csv)" -- \
    "$FOVEA" data compose fashion-mnist "$T/train" --count 300 --seed 1 --boxes
"$FOVEA" data compose fashion-mnist "$T/test" --split test --count 60 --seed 2 --boxes > /dev/null
[ "$(wc -l < "$T/train/boxes.csv")" -eq "$(cat "$T"/train/labels/*.txt | wc -l | awk '{print $1 + 1}')" ] &&
    ok "one label line per boxes.csv row" || bad "labels and boxes.csv disagree"
expect "inspect a composed folder: masks and labels both" 0 "Found 300 image,label pairs: 300 usable" -- \
    "$FOVEA" data inspect "$T/train"
expect "train --task detect" 0 "Saved model to $T/y.fvm" -- \
    "$FOVEA" train --task detect --model yolo-fmnist --data "$T/train" --epochs 2 --batch 32 --lr 2e-3 --seed 1 \
    --out "$T/y.fvm"
expect "evaluate a detector: mAP lines" 0 "^map50: 0\.[0-9]" -- "$FOVEA" evaluate "$T/y.fvm" --data "$T/test"
expect "and per class, an absent class as -" 0 "    0             -            -" -- "$FOVEA" evaluate "$T/y.fvm" --data "$T/test"
expect "detect: boxes printed, drawn, written" 0 "Wrote the detections of 2 images to $T/b.json" -- \
    "$FOVEA" detect "$T/y.fvm" "$T/test/images/00000.png" "$T/test/images/00001.png" --conf 0.05 \
    --out "$T/boxed.png" --json "$T/b.json"
[ -s "$T/boxed-0.png" ] && [ -s "$T/boxed-1.png" ] && ok "a boxed PNG per image" || bad "boxed PNGs: $(ls "$T")"
grep -q '"image": ".*00001.png", "detections": \[' "$T/b.json" && grep -q '"class": [0-9]*, "score": 0\.' "$T/b.json" &&
    ok "the JSON lists each image's detections" || bad "JSON: $(head -c 300 "$T/b.json")"

expect "detect with a classifier refused" 1 "not a yolo head" -- "$FOVEA" detect fmnist-cnn "$T/test/images/00000.png"
expect "--json naming an input image refused" 2 "is the input" -- \
    "$FOVEA" detect "$T/y.fvm" "$T/test/images/00000.png" --json "$T/test/images/00000.png"
printf '3 0.5 0.5 1.7 0.2\n' > "$T/test/labels/00003.txt"
expect "a bad label line named with its file and line, skipped" 0 "00003.txt: line 1: w 1.7 is outside \[0, 1\]" -- \
    "$FOVEA" data inspect "$T/test"
expect "and --strict makes it an error" 1 "00003.txt: line 1" -- \
    "$FOVEA" train --task detect --model yolo-fmnist --data "$T/test" --epochs 1 --strict --quiet --out "$T/z.fvm"
mkdir -p "$T/bare/images" && cp "$T/test/images/00000.png" "$T/bare/images/"
expect "a detector on a folder without labels/" 1 "is not a detection folder" -- \
    "$FOVEA" evaluate "$T/y.fvm" --data "$T/bare"
expect "detect --help" 0 "usage: fovea detect" -- "$FOVEA" detect --help
harness_finish
