#!/bin/sh
# fovea transfer end to end on Fashion-MNIST: an FMNIST-CNN trained for one epoch on 1,000 images is the body;
# each classical head is fitted on 500 training images' features (a spatial layer pooled, or the penultimate
# dense features, standardized or not), saved as one model file, and that file is then used by evaluate (its
# accuracy well above chance), predict, summary and report like any model. Bad input: a layer that does not
# exist, non-finite features (a log layer over zero pixels), a kernel SVM past --max-memory-mb, a malformed
# --gamma, the plan subcommand not yet there: one-line errors naming the flag or file, before any fitting, and
# no output file written.
FOVEA=${FOVEA:-build/fovea}
T=$(mktemp -d /tmp/fovea_transfer.XXXXXX)
trap 'rm -rf "$T"' EXIT
. tests/common/harness.sh

expect "transfer --help" 0 "usage: fovea transfer" -- "$FOVEA" transfer --help
expect "train the body" 0 "Saved model" -- "$FOVEA" train --model fmnist-cnn --data fashion-mnist --epochs 1 --limit 1000 \
    --seed 3 --out "$T/cnn.fvm"

# accuracy NAME FILE MIN: evaluate FILE on 500 test images and want an accuracy of at least MIN
accuracy() {
    out=$("$FOVEA" evaluate "$2" --data fashion-mnist --limit 500 2>&1)
    acc=$(printf '%s\n' "$out" | sed -n 's/.*accuracy: \([0-9.]*\).*/\1/p' | head -n 1)
    if [ -n "$acc" ] && awk "BEGIN { exit !($acc >= $3) }"; then ok "$1: evaluate accuracy $acc"
    else bad "$1: evaluate accuracy '$acc' below $3: $(printf '%s' "$out" | tail -n 2)"; fi
}

fit() {
    name=$1
    shift
    expect "transfer $name" 0 "saved $T/$name.fvm" -- "$FOVEA" transfer "$T/cnn.fvm" --data fashion-mnist --limit 500 \
        --out "$T/$name.fvm" "$@"
}
fit logreg --head logreg
fit linear_svm --head linear_svm --layer relu2 --pool max --standardize
fit svm_rbf --head svm_rbf --layer relu2 --standardize --C 2 --gamma scale
fit gaussian_nb --head gaussian_nb
fit random_forest --head random_forest --trees 30 --layer relu2 --seed 2
fit xgboost --head xgboost --trees 10 --max-depth 3 --layer relu2
for h in logreg linear_svm svm_rbf random_forest xgboost; do accuracy "$h" "$T/$h.fvm" 0.45; done
accuracy gaussian_nb "$T/gaussian_nb.fvm" 0.35

expect "summary shows the head" 0 "svm_rbf (SVC)" -- "$FOVEA" summary "$T/svm_rbf.fvm"
expect "summary shows the standardize layer" 0 "standardize (StandardScaler)" -- "$FOVEA" summary "$T/svm_rbf.fvm"
expect "predict with a tree head names classes" 0 "sample\[1\] (true: Pullover)" -- "$FOVEA" predict "$T/xgboost.fvm" \
    --data fashion-mnist --index 0,1
expect "report on a classical head" 0 "Wrote" -- "$FOVEA" report "$T/random_forest.fvm" --data fashion-mnist --limit 60 \
    --out "$T/report.html"
expect "ONNX export refuses the head by name" 1 "gaussian_nb .gaussian_nb.: this layer has no ONNX form" -- "$FOVEA" \
    convert "$T/gaussian_nb.fvm" "$T/nb.onnx"

# ---- bad input ---------------------------------------------------------------------------------------------
expect "unknown layer names --layer" 1 "fovea transfer: --layer: layer 'nope' does not exist" -- "$FOVEA" transfer \
    "$T/cnn.fvm" --data fashion-mnist --limit 100 --head logreg --layer nope --out "$T/bad.fvm"
printf 'model logs\ninput x shape=1x28x28\nlog l\nflatten f\ndense d units=10\n' > "$T/log.fvd"
expect "non-finite features refused" 1 "fashion-mnist: classical head: feature [0-9]* of sample 0 is -inf" -- "$FOVEA" \
    transfer "$T/log.fvd" --data fashion-mnist --limit 100 --head gaussian_nb --layer f --out "$T/bad.fvm"
expect "kernel SVM past the memory limit" 1 "needs about [0-9]* MiB, more than the limit of 50 MiB" -- "$FOVEA" transfer \
    "$T/cnn.fvm" --data fashion-mnist --limit 100 --head svm_rbf --max-memory-mb 50 --out "$T/bad.fvm"
expect "malformed --gamma" 2 "\-\-gamma expects scale, auto or a positive number" -- "$FOVEA" transfer "$T/cnn.fvm" \
    --data fashion-mnist --head svm_rbf --gamma -1 --out "$T/bad.fvm"
expect "unknown head" 2 "\-\-head" -- "$FOVEA" transfer "$T/cnn.fvm" --data fashion-mnist --head svm --out "$T/bad.fvm"
printf 'input x shape=3x28x28\nconv2d c filters=4 kernel=3 padding=1\nrelu r\nglobal_avg_pool g\nflatten f\ndense fc units=10\n' > "$T/rgb.fvd"
expect "gray Fashion-MNIST trains an RGB model (the channel repeated)" 0 "Saved model" -- "$FOVEA" train \
    --model "$T/rgb.fvd" --data fashion-mnist --limit 200 --epochs 1 --validation test --out "$T/rgb.fvm"
expect "and evaluates it" 0 "200 samples - loss" -- "$FOVEA" evaluate "$T/rgb.fvm" --data fashion-mnist --limit 200
"$FOVEA" convert "$T/rgb.fvd" "$T/rgb0.fvm" >/dev/null 2>&1
mkdir -p "$T/imgs"
"$FOVEA" data export fashion-mnist "$T/imgs" --per-class 2 --split test >/dev/null 2>&1
expect "an image folder of 28x28 grays trains a 3x28x28 model file at its size" 0 "Saved model" -- "$FOVEA" train \
    --model "$T/rgb0.fvm" --data "$T/imgs" --epochs 1 --out "$T/rgb2.fvm"
expect "transfer plan needs --data" 2 "--data is required" -- "$FOVEA" transfer plan "$T/cnn.fvm"
expect "transfer plan places a small target" 0 "Quadrant: small data" -- "$FOVEA" transfer plan "$T/cnn.fvm" \
    --data fashion-mnist --select-classes 7,8,9 --per-class 10
expect "transfer plan --run trains what it recommends" 0 "Saved model to $T/plan.fvm" -- "$FOVEA" transfer plan \
    "$T/cnn.fvm" --data fashion-mnist --select-classes 7,8,9 --per-class 10 --run --out "$T/plan.fvm"
expect "the planned model evaluates on the target's classes" 0 "accuracy" -- "$FOVEA" evaluate "$T/plan.fvm" \
    --data fashion-mnist --select-classes 7,8,9
if [ -e "$T/bad.fvm" ]; then bad "a refused transfer left $T/bad.fvm"; else ok "refused transfers write nothing"; fi
harness_finish
