#!/bin/sh
# What fovea says when something is wrong: shape errors name the layer at fault and what the model expects; no
# message repeats the command's name; names read from files are printed escaped (no terminal escape sequence
# gets through); --resume holds a run to its checkpoint's settings and says where it resumes. Small models on a
# few hundred Fashion-MNIST samples, one or two epochs. Prints "N passed, N failed".
FOVEA=${FOVEA:-build/fovea}
. "$(dirname "$0")/../common/harness.sh"
T=$(mktemp -d /tmp/fovea_messages.XXXXXX)
trap 'rm -rf "$T"' EXIT
# no_output NAME PATTERN -- command...: the pattern is nowhere in the output
no_output() {
    name=$1 pattern=$2
    shift 3
    if "$@" 2>&1 | grep -q -e "$pattern"; then bad "$name: '$pattern' in $("$@" 2>&1 | head -n 2)"; else ok "$name"; fi
}
# npy FILE DESCR SHAPE ITEMSIZE: an all-zero .npy, e.g. npy x.npy '<f4' '2, 3, 224, 224' 4
npy() {
    h="{'descr': '$2', 'fortran_order': False, 'shape': ($3), }"
    pad=$((64 - (10 + ${#h} + 1) % 64))
    n=$4
    for d in $(printf '%s' "$3" | tr ',' ' '); do n=$((n * d)); done
    { printf '\223NUMPY\001\000'; printf "\\$(printf %03o $(((${#h} + pad + 1) % 256)))\\$(printf %03o $(((${#h} + pad + 1) / 256)))";
      printf '%s%*s\n' "$h" $pad ''; head -c $n /dev/zero; } > "$1"
}

cat > "$T/conv.fvd" <<'EOF'
input shape=1x28x28
conv2d conv1 filters=4 kernel=3 padding=1
relu relu1
max_pool kernel=2
flatten
dense fc units=10
EOF
"$FOVEA" train --model "$T/conv.fvd" --data fashion-mnist --limit 256 --epochs 1 --out "$T/c.fvm" --quiet ||
    bad "training the small model"

# ---- shape errors: the layer at fault and what the model expects ------------------------------------------
npy "$T/rgb.npy" '<f4' '2, 3, 224, 224' 4
npy "$T/int.npy" '<i4' '2, 1, 28, 28' 4
npy "$T/flat.npy" '<f4' '2, 784' 4
expect "predict: the model's input and the batch's" 1 "rgb.npy: model 'model' expects (N, 1, 28, 28), got (2, 3, 224, 224): conv2d 'conv1': " -- "$FOVEA" predict "$T/c.fvm" "$T/rgb.npy"
no_output "predict: the ReLU fused into conv1 is not blamed" "'relu1'" -- "$FOVEA" predict "$T/c.fvm" "$T/rgb.npy"
expect "run: the same" 1 "model 'model' expects (N, 1, 28, 28), got (2, 3, 224, 224): conv2d 'conv1'" -- "$FOVEA" run "$T/c.fvm" --input "$T/rgb.npy"
expect "run: a flat batch" 1 "expects (N, 1, 28, 28), got (2, 784): conv2d 'conv1'" -- "$FOVEA" run "$T/c.fvm" --input "$T/flat.npy"
expect "featuremaps: the same" 1 "expects (N, 1, 28, 28), got (2, 3, 224, 224)" -- "$FOVEA" featuremaps "$T/c.fvm" "$T/rgb.npy" --layer conv1 --out "$T/fm.png"
expect "gradcam: the same" 1 "expects (N, 1, 28, 28), got (2, 3, 224, 224)" -- "$FOVEA" gradcam "$T/c.fvm" "$T/rgb.npy" --out "$T/g.png"
expect "predict an int32 array" 1 "int.npy: model 'model' expects float32 (N, 1, 28, 28), got int32 (2, 1, 28, 28)$" -- "$FOVEA" predict "$T/c.fvm" "$T/int.npy"
no_output "predict an int32 array: no dims count" "got 4 dims" -- "$FOVEA" predict "$T/c.fvm" "$T/int.npy"

# ---- the command's name once ------------------------------------------------------------------------------
for c in predict patches train report; do
    case $c in
    predict) set -- "$FOVEA" predict "$T/c.fvm" "$T/int.npy" ;;
    patches) set -- "$FOVEA" patches "$T/c.fvm" --data fashion-mnist --limit 20 --layer max_pool --channel 9 --out "$T/p.png" ;;
    train) set -- "$FOVEA" train --model "$T/conv.fvd" --data fashion-mnist --limit 10 --validation-split 0.95 --epochs 1 --out "$T/z.fvm" ;;
    report) set -- "$FOVEA" report "$T/c.fvm" --data fashion-mnist --limit 20 --history "$T/none.csv" --out "$T/r.html" ;;
    esac
    out=$("$@" 2>&1)
    case $out in
    "fovea $c: $c: "* | "fovea train: fit: "*) bad "$c: the prefix is doubled: $out" ;;
    "fovea $c: "*) ok "$c: one prefix ($(printf '%s' "$out" | cut -c1-60)...)" ;;
    *) bad "$c: no error: $out" ;;
    esac
done

# ---- names from files are printed escaped -----------------------------------------------------------------
printf 'model evil\033[31mRED\033]0;title\007\ninput shape=1x28x28\nconv2d c\033[2J1 filters=4 kernel=3\nrelu\nflatten\ndense fc units=10\n' > "$T/esc.fvd"
expect "summary: the model name escaped" 0 'Model: "evil\\x1b\[31mRED\\x1b\]0;title\\x07"' -- "$FOVEA" summary "$T/esc.fvd"
expect "summary: the layer name escaped" 0 ' c\\x1b\[2J1 (Conv2D)' -- "$FOVEA" summary "$T/esc.fvd"
esc=$(printf '\033')
no_output "summary: no ESC byte printed" "$esc" -- "$FOVEA" summary "$T/esc.fvd"
no_output "an error naming the layers: no ESC byte printed" "$esc" -- "$FOVEA" features "$T/esc.fvd" --data fashion-mnist --limit 10 --layer nope --out "$T/f.npy"
expect "an error naming the layers: escaped" 1 "c\\\\x1b\[2J1" -- "$FOVEA" features "$T/esc.fvd" --data fashion-mnist --limit 10 --layer nope --out "$T/f.npy"
# a class name with an escape sequence, put in an ONNX file's metadata (which has no checksum) byte for byte
mkdir -p "$T/set"
"$FOVEA" data export fashion-mnist "$T/set" --per-class 2 >/dev/null 2>&1
mv "$T/set/0_T-shirt_top" "$T/set/0_AAAAAAA"
"$FOVEA" train --data "$T/set" --model mlp --epochs 1 --out "$T/e.fvm" --quiet >/dev/null 2>&1
"$FOVEA" convert "$T/e.fvm" "$T/e.onnx" >/dev/null 2>&1
LC_ALL=C sed 's/AAAAAAA/\x1b]0;PW\x07/' "$T/e.onnx" > "$T/esc.onnx"
npy "$T/one.npy" '<f4' '1, 1, 28, 28' 4
expect "predict: the class name escaped" 0 '0_\\x1b\]0;PW\\x07' -- "$FOVEA" predict "$T/esc.onnx" "$T/one.npy" --top 10
no_output "predict: no ESC byte printed" "$esc" -- "$FOVEA" predict "$T/esc.onnx" "$T/one.npy" --top 10

# a class folder named with an escape sequence: listed escaped, never printed raw
mkdir -p "$T/dset/a${esc}[2Jb"
cp "$T/set/1_Trouser/"*.png "$T/dset/a${esc}[2Jb/"
no_output "data inspect: no ESC byte printed" "$esc" -- "$FOVEA" data inspect "$T/dset"
expect "data inspect: the folder's name escaped" 0 'a\\x1b\[2Jb' -- "$FOVEA" data inspect "$T/dset"

# ---- resume: held to the checkpoint's settings, and says where it resumes -----------------------------------
train() { "$FOVEA" train --model "$T/conv.fvd" --data fashion-mnist --limit 300 --batch 50 "$@"; }
train --epochs 3 --validation-split 0.2 --lr 0.002 --out "$T/full.fvm" --quiet
train --epochs 2 --validation-split 0.2 --lr 0.002 --checkpoint "$T/ck.fvm" --out "$T/two.fvm" --quiet
cp "$T/ck.fvm" "$T/ck-keep.fvm"
expect "resume with another --lr" 2 "fovea train: --lr 0.1 differs from the checkpoint '$T/ck.fvm' (0.002)" -- train --epochs 3 --validation-split 0.2 --lr 0.1 --resume "$T/ck.fvm" --out "$T/x.fvm"
expect "resume with another --validation-split" 2 "\-\-validation-split 0.3 differs from the checkpoint '$T/ck.fvm' (0.2)" -- train --epochs 3 --validation-split 0.3 --lr 0.002 --resume "$T/ck.fvm" --out "$T/x.fvm"
expect "resume with another --batch" 2 "\-\-batch 32 differs from the checkpoint '$T/ck.fvm' (50)" -- "$FOVEA" train --model "$T/conv.fvd" --data fashion-mnist --limit 300 --batch 32 --epochs 3 --resume "$T/ck.fvm" --out "$T/x.fvm"
expect "resume with another --optimizer" 2 "\-\-optimizer sgd differs from the checkpoint '$T/ck.fvm' (adam)" -- train --epochs 3 --optimizer sgd --resume "$T/ck.fvm" --out "$T/x.fvm"
[ ! -f "$T/x.fvm" ] && ok "no model written on a refused resume" || bad "a refused resume wrote a model"
cmp -s "$T/ck.fvm" "$T/ck-keep.fvm" && ok "a refused resume leaves the checkpoint" || bad "the checkpoint changed"
# the flags left out (--lr, --validation-split) take the stored values: the same model as the uninterrupted run
expect "resume says where" 0 "^Resuming at epoch 3 of 3 from $T/ck.fvm$" -- train --epochs 3 --resume "$T/ck.fvm" --out "$T/resumed.fvm"
cmp -s "$T/full.fvm" "$T/resumed.fvm" && ok "resumed with the stored settings: byte-identical to the uninterrupted run" || bad "the resumed model differs"
expect "resume of a finished run" 0 "already complete (2 of 2 epochs)" -- train --resume "$T/ck-keep.fvm" --out "$T/done.fvm"
expect "resume of a finished run, its --epochs given" 0 "^The run in $T/ck-keep.fvm is already complete (2 of 2 epochs); nothing to train$" -- train --epochs 2 --validation-split 0.2 --lr 0.002 --resume "$T/ck-keep.fvm" --out "$T/done2.fvm"
[ -f "$T/done.fvm" ] && ok "a finished run's model still goes to --out" || bad "no --out for a finished run"

harness_finish
