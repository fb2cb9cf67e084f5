#!/bin/sh
# End-to-end tests of image folders in the fovea program: `fovea data export` writes Fashion-MNIST as class
# folders of PNG files, `fovea data inspect` counts them (Keras' Found line, sizes, bad files by path),
# `fovea train` learns from a folder with augmentation and a seeded validation split, `fovea evaluate` reads a
# folder at the model's size; bad files are skipped and listed, or fatal with --strict. Prints "N passed, N failed".
FOVEA=${FOVEA:-build/fovea}
pass=0
fail=0
T=$(mktemp -d /tmp/fovea_images.XXXXXX)
trap 'rm -rf "$T"' EXIT
ok() { pass=$((pass + 1)); echo "ok $1"; }
bad() { fail=$((fail + 1)); echo "FAIL $1"; }
# expect NAME STATUS PATTERN -- command...
expect() {
    name=$1 want=$2 pattern=$3
    shift 4
    out=$("$@" 2>&1)
    rc=$?
    if [ "$rc" -eq "$want" ] && printf '%s\n' "$out" | grep -q -- "$pattern"; then ok "$name"
    else bad "$name (exit $rc, wanted $want and '$pattern'): $(printf '%s' "$out" | tail -n 3)"; fi
}
if [ ! -e /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz ]; then
    echo "ok skipped: no Fashion-MNIST"
    echo "1 passed, 0 failed"
    exit 0
fi
expect "export 6 per class" 0 "Wrote 60 PNG files in 10 class folders" -- "$FOVEA" data export fashion-mnist "$T/train" --per-class 6
expect "export test" 0 "Wrote 30 PNG files" -- "$FOVEA" data export fashion-mnist "$T/test" --split test --per-class 3
expect "inspect: Keras' line" 0 "Found 60 files belonging to 10 classes." -- "$FOVEA" data inspect "$T/train"
expect "inspect: sizes" 0 "28x28x1  60" -- "$FOVEA" data inspect "$T/train"
expect "inspect: classes" 0 "9_Ankle_boot  *6" -- "$FOVEA" data inspect "$T/train"
expect "train on a folder with augmentation" 0 "^" -- "$FOVEA" train --data "$T/train" --model mlp --epochs 2 \
    --batch 16 --augment "rotate=10 shift=0.1 hflip=0.5" --validation-split 0.2 --seed 3 --out "$T/m.fvm" --quiet
expect "train announces the folder" 0 "Found 60 files belonging to 10 classes." -- "$FOVEA" train --data "$T/train" \
    --model mlp --epochs 1 --out "$T/m2.fvm" --loader-threads 2
expect "evaluate on a folder" 0 "30 samples - loss" -- "$FOVEA" evaluate "$T/m.fvm" --data "$T/test"
# --limit on a folder is a stratified sample (was: the first files in sorted order, the first classes only)
"$FOVEA" evaluate "$T/m.fvm" --data "$T/test" --limit 10 > "$T/lim.txt" 2>&1
n=$(grep -c "^ *[0-9]_[A-Za-z_~-]* .* 1$" "$T/lim.txt")
[ "$n" -eq 10 ] && ok "evaluate --limit 10 on a folder: one image of each of the 10 classes" || bad "--limit 10: $n classes with one image"
# classes matched by name: a model trained on Fashion-MNIST (classes in its order: T-shirt/top, Trouser, ...)
# scored on a CSV naming the same classes (numbered in sorted order: Ankle boot, Bag, ...) gives the accuracy
# of the same CSV with the true class numbers; a folder whose names differ is refused, naming both lists
"$FOVEA" train --model mlp --data fashion-mnist --limit 300 --epochs 2 --out "$T/fm.fvm" --checkpoint "$T/ck.fvm" \
    --quiet >/dev/null 2>&1
names="T-shirt/top Trouser Pullover Dress Coat Sandal Shirt Sneaker Bag Ankle_boot"
printf 'path,label\n' > "$T/test/names.csv"
printf 'path,label\n' > "$T/test/numbers.csv"
for f in $(cd "$T/test" && find . -name '*.png' | sort); do
    k=${f#./}; k=${k%%_*}
    printf '%s,%s\n' "$f" "$(echo $names | cut -d' ' -f$((k + 1)) | tr _ ' ')" >> "$T/test/names.csv"
    printf '%s,%s\n' "$f" "$k" >> "$T/test/numbers.csv"
done
a1=$("$FOVEA" evaluate "$T/fm.fvm" --data "$T/test/numbers.csv" 2>&1 | grep -m1 accuracy)
a2=$("$FOVEA" evaluate "$T/fm.fvm" --data "$T/test/names.csv" 2>&1 | grep -m1 accuracy)
[ -n "$a1" ] && [ "$a1" = "$a2" ] && ok "class names matched by name: $a2" || bad "by name '$a2' vs by number '$a1'"
expect "predict: true class by name" 0 "sample\[0\] (true: T-shirt/top)" -- "$FOVEA" predict "$T/fm.fvm" --data "$T/test/names.csv" --index 0
rm "$T/test/names.csv" "$T/test/numbers.csv"
expect "other class names refused" 1 "class '0_T-shirt_top' is not one of the model's classes (the data's: 0_T-shirt_top, .*; the model's: T-shirt/top, Trouser" \
    -- "$FOVEA" evaluate "$T/fm.fvm" --data "$T/test"
expect "resume on other classes refused" 1 "not one of the model's classes" -- "$FOVEA" train --data "$T/test" \
    --resume "$T/ck.fvm" --epochs 3 --out "$T/fm2.fvm"
# the same seed gives the same model, whatever the loader's threads
"$FOVEA" train --data "$T/train" --model mlp --epochs 2 --batch 16 --augment "rotate=10 hflip=0.5" --seed 5 \
    --loader-threads 1 --out "$T/a.fvm" --quiet >/dev/null 2>&1
"$FOVEA" train --data "$T/train" --model mlp --epochs 2 --batch 16 --augment "rotate=10 hflip=0.5" --seed 5 \
    --loader-threads 4 --out "$T/b.fvm" --quiet >/dev/null 2>&1
if cmp -s "$T/a.fvm" "$T/b.fvm"; then ok "1 and 4 loader threads: identical models"; else bad "1 and 4 loader threads differ"; fi
# a CSV list
printf 'path,label\n' > "$T/train/list.csv"
(cd "$T/train" && find . -name '*.png' | sort | head -20 | sed 's|^\./\(\([0-9]\)[^/]*\)/\(.*\)|\1/\3,\2|') >> "$T/train/list.csv"
expect "train on a CSV" 0 "Found 20 files belonging to 4 classes." -- "$FOVEA" train --data "$T/train/list.csv" \
    --model mlp --epochs 1 --out "$T/c.fvm"
rm "$T/train/list.csv"
# bad input: skipped and listed by default, fatal with --strict, never a crash
: > "$T/train/0_T-shirt_top/zero.png"
echo "not an image" > "$T/train/1_Trouser/text.png"
head -c 100 "$(ls "$T"/train/2_Pullover/*.png | head -1)" > "$T/train/2_Pullover/truncated.png"
mkdir "$T/train/3_Dress/folder.png" "$T/train/99_empty"
ln -s "$T/nowhere.png" "$T/train/4_Coat/dangling.png"
expect "inspect lists bad files" 0 "truncated.png" -- "$FOVEA" data inspect "$T/train"
expect "inspect: dangling link" 0 "dangling.png: cannot read" -- "$FOVEA" data inspect "$T/train"
expect "inspect: empty class" 0 "99_empty: a class folder without images" -- "$FOVEA" data inspect "$T/train"
expect "train skips bad files" 0 "skipped 5 unreadable of 65 files" -- "$FOVEA" train --data "$T/train" --model mlp \
    --epochs 1 --out "$T/d.fvm" --size 28x28 --channels 1
expect "train --strict stops on one" 1 "fovea train: .*/train/.*png" -- "$FOVEA" train --data "$T/train" --model mlp \
    --epochs 1 --out "$T/e.fvm" --strict
expect "bad --size" 2 "--size expects HxW" -- "$FOVEA" train --data "$T/train" --size 28y28
expect "missing folder" 1 "nowhere-dir" -- "$FOVEA" data inspect "$T/nowhere-dir"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
