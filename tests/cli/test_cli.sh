#!/bin/sh
# End-to-end tests of the fovea program on real data (Fashion-MNIST from Debian's dataset-fashion-mnist):
# summary figures, training and evaluating, callbacks' messages, exact resume after a SIGKILL, and bad input
# (missing and truncated files, labels outside the classes, wrong image sizes, corrupt and newer model files,
# unknown flags and commands): each a one-line error naming the file or flag, a non-zero exit, nothing
# overwritten. Prints "N passed, N failed" like the C tests.
FOVEA=${FOVEA:-build/fovea}
pass=0
fail=0
T=$(mktemp -d /tmp/fovea_cli.XXXXXX)
trap 'rm -rf "$T"' EXIT

ok() { pass=$((pass + 1)); echo "ok $1"; }
bad() { fail=$((fail + 1)); echo "FAIL $1"; }
# expect NAME STATUS PATTERN -- command...: exit status and a pattern in its output (stdout and stderr)
expect() {
    name=$1 want=$2 pattern=$3
    shift 4
    out=$("$@" 2>&1)
    rc=$?
    if [ "$rc" -eq "$want" ] && printf '%s\n' "$out" | grep -q -- "$pattern"; then
        ok "$name"
    else
        bad "$name (exit $rc, wanted $want and '$pattern'): $(printf '%s' "$out" | tail -n 3)"
    fi
}
# an error must be exactly one line
one_line() {
    name=$1
    shift
    n=$("$@" 2>&1 >/dev/null | wc -l)
    if [ "$n" -eq 1 ]; then ok "$name: one line"; else bad "$name: $n lines of error"; fi
}

if [ ! -x "$FOVEA" ]; then
    echo "FAIL fovea not built at $FOVEA"
    echo "0 passed, 1 failed"
    exit 1
fi

# ---- summary and help ----------------------------------------------------------------------------------
expect "summary: trainable" 0 "Trainable params: 421,834" -- "$FOVEA" summary fmnist-cnn
expect "summary: non-trainable" 0 "Non-trainable params: 192" -- "$FOVEA" summary fmnist-cnn
expect "summary --explain" 0 "params = K\*(F\*F\*D1) + K = 64\*(3\*3\*32) + 64 = 18,496" -- "$FOVEA" summary fmnist-cnn --explain
expect "summary lenet5" 0 "Total params: 61,706" -- "$FOVEA" summary lenet5
expect "help" 0 "usage: fovea" -- "$FOVEA" --help
for c in train evaluate predict summary run gradcam segment featuremaps patches features report convert; do
    expect "$c --help" 0 "usage: fovea $c" -- "$FOVEA" $c --help
done
expect "unknown command" 2 "unknown command 'trian'" -- "$FOVEA" trian
one_line "unknown command" "$FOVEA" trian
expect "unknown flag" 2 "unknown flag '--epoch'" -- "$FOVEA" train --epoch 3 --data fashion-mnist
one_line "unknown flag" "$FOVEA" train --epoch 3 --data fashion-mnist
expect "bad flag value" 2 "\-\-batch" -- "$FOVEA" train --batch abc --data fashion-mnist

# ---- a description with dropout, trained on a slice of Fashion-MNIST ------------------------------------
cat > "$T/small.fvd" <<'EOF'
model small
input input shape=1x28x28
flatten flat
dense fc1 units=32
relu relu1
dropout drop rate=0.2
dense fc2 units=10
EOF
expect "summary of a description" 0 "Total params: 25,450" -- "$FOVEA" summary "$T/small.fvd"
train() { "$FOVEA" train --model "$T/small.fvd" --data fashion-mnist --limit 600 --batch 50 --seed 7 "$@"; }
expect "train 3 epochs" 0 "Saved model to" -- train --epochs 3 --validation-split 0.2 --out "$T/a.fvm" --history "$T/h.csv"
expect "progress lines" 0 "val_accuracy" -- cat "$T/h.csv"
rows=$(($(wc -l < "$T/h.csv") - 1))
[ "$rows" -eq 3 ] && ok "history has 3 epochs" || bad "history has $rows rows"
expect "evaluate" 0 "accuracy: 0\.[5-9]" -- "$FOVEA" evaluate "$T/a.fvm" --data fashion-mnist --limit 500
expect "evaluate: confusion matrix" 0 "Ankle boot" -- "$FOVEA" evaluate "$T/a.fvm" --data fashion-mnist --limit 500
expect "predict" 0 "sample\[2\] (true: " -- "$FOVEA" predict "$T/a.fvm" --data fashion-mnist --index 0,1,2

# ---- run and predict on a .npy batch (zeros, shape (2, 1, 28, 28), written byte by byte) -----------------
npy() {
    h="{'descr': '<f4', 'fortran_order': False, 'shape': (2, 1, 28, 28), }"
    pad=$((64 - (10 + ${#h} + 1) % 64))
    { printf '\223NUMPY\001\000'; printf "\\$(printf %03o $(((${#h} + pad + 1) % 256)))\\$(printf %03o $(((${#h} + pad + 1) / 256)))";
      printf '%s%*s\n' "$h" $pad ''; head -c 6272 /dev/zero; } > "$1"
}
npy "$T/x.npy"
expect "run writes the output" 0 "" -- "$FOVEA" run "$T/a.fvm" --input "$T/x.npy" --output "$T/y.npy"
expect "output .npy header" 0 "'shape': (2, 10)" -- head -c 128 "$T/y.npy"
expect "run --repeat times passes" 0 "5 passes: median [0-9.]* ms, min [0-9.]* ms" -- "$FOVEA" run "$T/a.fvm" --input "$T/x.npy" --repeat 5
expect "predict a .npy batch" 0 "x.npy\[1\]:" -- "$FOVEA" predict "$T/a.fvm" "$T/x.npy"
# a NaN input gives NaN outputs (as in PyTorch) and a warning naming the sample, never a confident class
{ head -c 128 "$T/x.npy"; head -c 6272 /dev/zero | tr '\0' '\377'; } > "$T/nan.npy"
expect "run warns on a NaN output" 0 "warning: sample 1 of $T/nan.npy gave a NaN output" -- "$FOVEA" run "$T/a.fvm" --input "$T/nan.npy"
expect "predict warns on a NaN output" 0 "warning: sample 0 of $T/nan.npy gave a NaN output" -- "$FOVEA" predict "$T/a.fvm" "$T/nan.npy"
expect "predict shows NaN, not a class" 0 "nan.npy\[0\]: .* -\?nan" -- "$FOVEA" predict "$T/a.fvm" "$T/nan.npy"
# a model of two inputs and two outputs: one --input per input (in order or NAME=FILE), one --output per output
npy_f4() { # FILE SHAPE VALUE-BYTES COUNT
    h="{'descr': '<f4', 'fortran_order': False, 'shape': $2, }"
    pad=$((64 - (10 + ${#h} + 1) % 64))
    { printf '\223NUMPY\001\000'; printf "\\$(printf %03o $(((${#h} + pad + 1) % 256)))\\$(printf %03o $(((${#h} + pad + 1) / 256)))";
      printf '%s%*s\n' "$h" $pad ''; i=0; while [ $i -lt "$4" ]; do printf "$3"; i=$((i + 1)); done; } > "$1"
}
npy_f4 "$T/ones.npy" "(2, 3)" '\000\000\200\077' 6
npy_f4 "$T/twos.npy" "(2, 3)" '\000\000\000\100' 6
printf 'input a shape=3\ninput b shape=3\nadd s from=a,b\nmul p from=a,b\noutputs s,p\n' > "$T/two.fvd"
expect "run: a model of two outputs prints both" 0 "output p shape (2, 3)" -- "$FOVEA" run "$T/two.fvd" --input "$T/ones.npy" --input "$T/twos.npy"
expect "run: inputs by name, outputs in order" 0 "" -- "$FOVEA" run "$T/two.fvd" --input "b=$T/twos.npy" --input "$T/ones.npy" --output "$T/s.npy" --output "$T/p.npy"
[ "$(tail -c 4 "$T/s.npy" | od -An -tx1 | tr -d ' ')" = "00004040" ] && ok "first output is a + b = 3" || bad "a + b: $(tail -c 4 "$T/s.npy" | od -An -tx1)"
[ "$(tail -c 4 "$T/p.npy" | od -An -tx1 | tr -d ' ')" = "00000040" ] && ok "second output is a * b = 2" || bad "a * b: $(tail -c 4 "$T/p.npy" | od -An -tx1)"
expect "run: a missing input is named" 2 "no --input for input 'b'" -- "$FOVEA" run "$T/two.fvd" --input "$T/ones.npy"
expect "run: too many outputs" 2 "3 --output files for the 2 outputs" -- "$FOVEA" run "$T/two.fvd" --input "$T/ones.npy" --input "$T/twos.npy" --output "$T/o1.npy" --output "$T/o2.npy" --output "$T/o3.npy"
head -c 100 "$T/x.npy" > "$T/cut.npy"
expect "truncated .npy" 1 "cut.npy" -- "$FOVEA" run "$T/a.fvm" --input "$T/cut.npy" --output "$T/y2.npy"
[ ! -f "$T/y2.npy" ] && ok "no output on failure" || bad "output written on failure"

# ---- ONNX: convert both ways; summary, evaluate, predict and run read .onnx; --weights by structure --------
expect "convert to ONNX" 0 "" -- "$FOVEA" convert "$T/a.fvm" "$T/a.onnx" --opset 17
expect "summary of an .onnx file" 0 "Total params:" -- "$FOVEA" summary "$T/a.onnx"
"$FOVEA" evaluate "$T/a.fvm" --data fashion-mnist --limit 300 > "$T/ev_fvm.txt" 2>&1
"$FOVEA" evaluate "$T/a.onnx" --data fashion-mnist --limit 300 > "$T/ev_onnx.txt" 2>&1
a1=$(grep -m1 "accuracy" "$T/ev_fvm.txt") a2=$(grep -m1 "accuracy" "$T/ev_onnx.txt")
[ -n "$a1" ] && [ "$a1" = "$a2" ] && ok "evaluate .onnx: the same accuracy as the model file ($a1)" || bad "evaluate .onnx: '$a2' vs '$a1'"
expect "predict with an .onnx file" 0 "x.npy\[1\]:" -- "$FOVEA" predict "$T/a.onnx" "$T/x.npy"
"$FOVEA" run "$T/a.onnx" --input "$T/x.npy" --output "$T/y_onnx.npy" >/dev/null 2>&1
cmp -s "$T/y.npy" "$T/y_onnx.npy" && ok "run .onnx: the same output bytes as the model file" || bad "run .onnx output differs"
expect "convert back from ONNX" 0 "" -- "$FOVEA" convert "$T/a.onnx" "$T/b.fvm"
"$FOVEA" run "$T/b.fvm" --input "$T/x.npy" --output "$T/y_b.npy" >/dev/null 2>&1
cmp -s "$T/y.npy" "$T/y_b.npy" && ok "fvm -> onnx -> fvm: the same outputs" || bad "fvm -> onnx -> fvm changed the outputs"
expect "convert --weights into a fresh build" 0 "" -- "$FOVEA" convert "$T/small.fvd" "$T/w.fvm" --weights "$T/a.onnx"
"$FOVEA" run "$T/w.fvm" --input "$T/x.npy" --output "$T/y_w.npy" >/dev/null 2>&1
cmp -s "$T/y.npy" "$T/y_w.npy" && ok "weights paired by structure: the same outputs" || bad "--weights gave other outputs"
expect "--weights of another architecture" 1 "weights do not fit" -- "$FOVEA" convert lenet5 "$T/x.fvm" --weights "$T/a.onnx"
[ ! -f "$T/x.fvm" ] && ok "no file written on refusal" || bad "file written on refusal"
expect "train --weights" 0 "Saved model" -- "$FOVEA" train --model "$T/small.fvd" --weights "$T/a.onnx" --data fashion-mnist --epochs 1 --limit 256 --out "$T/tw.fvm"
printf 'not a protobuf' > "$T/junk.onnx"
expect "junk .onnx" 1 "junk.onnx" -- "$FOVEA" summary "$T/junk.onnx"
one_line "junk .onnx" "$FOVEA" summary "$T/junk.onnx"

# ---- callbacks on the command line ----------------------------------------------------------------------
# --min-delta 10: no epoch after the first counts as an improvement, so the callbacks fire on schedule
expect "early stopping at epoch 3" 0 "Epoch 3: early stopping" -- train --epochs 20 --validation-split 0.2 --min-delta 10 --early-stopping 2 --out "$T/es.fvm"
expect "reduce lr after epoch 2" 0 "Epoch 2: ReduceLROnPlateau reducing learning rate to 0.0001" -- train --epochs 3 --validation-split 0.2 --lr 0.001 --min-delta 10 --reduce-lr 1 --lr-factor 0.1 --out "$T/rl.fvm"
expect "checkpoint" 0 "saving model to $T/ck-02.fvm" -- train --epochs 2 --validation-split 0.2 --checkpoint "$T/ck-{epoch:02d}.fvm" --out "$T/c.fvm"
[ -f "$T/ck-01.fvm" ] && [ -f "$T/ck-02.fvm" ] && ok "checkpoint files per epoch" || bad "checkpoint files missing"

# ---- resume: interrupted (SIGKILL) then resumed ends as the uninterrupted run ----------------------------
train --epochs 3 --validation-split 0.2 --out "$T/full.fvm" --quiet
train --epochs 3 --validation-split 0.2 --checkpoint "$T/ck.fvm" --out "$T/never.fvm" --quiet &
pid=$!
i=0
while [ ! -f "$T/ck.fvm" ] && [ $i -lt 600 ]; do sleep 0.05; i=$((i + 1)); done
kill -9 $pid 2>/dev/null
wait $pid 2>/dev/null
expect "checkpoint survives SIGKILL" 0 "Total params" -- "$FOVEA" summary "$T/ck.fvm"
expect "resume" 0 "Saved model to" -- train --epochs 3 --validation-split 0.2 --checkpoint "$T/ck.fvm" --resume "$T/ck.fvm" --out "$T/resumed.fvm"
cmp -s "$T/full.fvm" "$T/resumed.fvm" && ok "resumed model is byte-identical to the uninterrupted one" || bad "resumed model differs"

# ---- the thread count changes nothing -----------------------------------------------------------------------
cat > "$T/conv.fvd" <<'EOF2'
input shape=1x28x28
conv2d c1 filters=4 kernel=3 padding=1
batch_norm bn
relu
max_pool kernel=2
flatten
dense fc units=10
EOF2
"$FOVEA" train --model "$T/conv.fvd" --data fashion-mnist --limit 256 --batch 32 --epochs 1 --threads 1 --out "$T/t1.fvm" --quiet
"$FOVEA" train --model "$T/conv.fvd" --data fashion-mnist --limit 256 --batch 32 --epochs 1 --threads 3 --out "$T/t3.fvm" --quiet
cmp -s "$T/t1.fvm" "$T/t3.fvm" && ok "1 and 3 threads train byte-identical models" || bad "thread count changed the model"
expect "banner names SIMD and threads" 0 "Compute: SIMD .*, 3 threads" -- "$FOVEA" train --model "$T/conv.fvd" --data fashion-mnist --limit 64 --epochs 1 --threads 3 --out "$T/t4.fvm"

# ---- Grad-CAM ---------------------------------------------------------------------------------------------
expect "gradcam" 0 "Grad-CAM of class [0-9] (.*) at layer 'max_pool' (14x14); true class 9" -- "$FOVEA" gradcam "$T/t1.fvm" --data fashion-mnist --index 0 --out "$T/heat.png" --raw "$T/heat.npy"
expect "gradcam PNG" 0 "P   N   G" -- sh -c "head -c 4 '$T/heat.png' | od -c"
expect "gradcam raw map" 0 "'shape': (14, 14)" -- head -c 128 "$T/heat.npy"
expect "gradcam: unknown layer lists the valid ones" 1 "layer 'nope' does not exist in model.*c1, bn, relu" -- "$FOVEA" gradcam "$T/t1.fvm" --data fashion-mnist --layer nope
expect "gradcam: class out of range" 1 "class 12 is out of range" -- "$FOVEA" gradcam "$T/t1.fvm" --data fashion-mnist --class 12
expect "gradcam: no spatial map" 1 "no spatial feature map" -- "$FOVEA" gradcam "$T/a.fvm" --data fashion-mnist

# ---- feature maps and patches ---------------------------------------------------------------------------------
expect "featuremaps" 0 "Wrote $T/fm.png (57x57)" -- "$FOVEA" featuremaps "$T/t1.fvm" --data fashion-mnist --index 3 --layer c1 --out "$T/fm.png"
expect "featuremaps: a dense layer is refused" 1 "layer 'fc' has no spatial feature map in model" -- "$FOVEA" featuremaps "$T/t1.fvm" --data fashion-mnist --layer fc --out "$T/fm2.png"
expect "patches" 0 "Wrote $T/p.png: 9 patches of channel 2" -- "$FOVEA" patches "$T/t1.fvm" --data fashion-mnist --limit 200 --layer max_pool --channel 2 --n 9 --out "$T/p.png"
expect "patches: channel out of range" 1 "channel 9 of layer 'max_pool' (it has 4)" -- "$FOVEA" patches "$T/t1.fvm" --data fashion-mnist --limit 20 --layer max_pool --channel 9 --out "$T/p2.png"

# ---- features ----------------------------------------------------------------------------------------------
expect "features" 0 "100 samples x 32 features from layer 'drop'" -- "$FOVEA" features "$T/a.fvm" --data fashion-mnist --limit 100 --out "$T/f.npy" --labels "$T/l.npy" --csv "$T/f.csv"
expect "features .npy" 0 "'shape': (100, 32)" -- head -c 128 "$T/f.npy"
expect "features CSV header" 0 "^f0,f1,.*,f31,label$" -- head -n 1 "$T/f.csv"
rows=$(($(wc -l < "$T/f.csv") - 1))
[ "$rows" -eq 100 ] && ok "features CSV has 100 rows" || bad "features CSV has $rows rows"
expect "features of a named layer" 0 "100 samples x 784 features from layer 'flat'" -- "$FOVEA" features "$T/a.fvm" --data fashion-mnist --limit 100 --layer flat --out "$T/f2.npy"
expect "features: unknown layer lists the layers" 1 "layer 'nope' does not exist in model 'small'; its layers: input, flat" -- "$FOVEA" features "$T/a.fvm" --data fashion-mnist --layer nope --out "$T/f3.npy"

# ---- bad input ------------------------------------------------------------------------------------------
cp "$T/a.fvm" "$T/keep.fvm"
expect "missing data set" 1 "/nonexistent" -- "$FOVEA" train --data /nonexistent --out "$T/keep.fvm"
cmp -s "$T/a.fvm" "$T/keep.fvm" && ok "failed run leaves --out untouched" || bad "--out was changed"
one_line "missing data set" "$FOVEA" train --data /nonexistent
head -c 300 "$T/a.fvm" > "$T/cut.fvm"
expect "truncated model" 1 "cut.fvm.*truncated" -- "$FOVEA" evaluate "$T/cut.fvm" --data fashion-mnist
one_line "truncated model" "$FOVEA" evaluate "$T/cut.fvm" --data fashion-mnist
cp "$T/a.fvm" "$T/flip.fvm"
printf 'X' | dd of="$T/flip.fvm" bs=1 seek=2000 conv=notrunc 2>/dev/null
expect "corrupt model" 1 "flip.fvm" -- "$FOVEA" summary "$T/flip.fvm"
cp "$T/a.fvm" "$T/new.fvm"
printf '\011' | dd of="$T/new.fvm" bs=1 seek=4 conv=notrunc 2>/dev/null
expect "newer format" 1 "newer" -- "$FOVEA" summary "$T/new.fvm"
expect "missing model" 1 "nothere.fvm" -- "$FOVEA" evaluate "$T/nothere.fvm" --data fashion-mnist

# IDX files made here: 3 images of SIZE x SIZE, the first with LABEL
idx() { # split size label
    n=$(($2 * $2 * 3))
    { printf '\000\000\010\003\000\000\000\003\000\000\000'; printf "\\$(printf %03o "$2")"; printf '\000\000\000'; printf "\\$(printf %03o "$2")"; head -c $n /dev/zero; } > "$T/idx/$1-images-idx3-ubyte"
    { printf '\000\000\010\001\000\000\000\003'; printf "\\$(printf %03o "$3")"; printf '\001\002'; } > "$T/idx/$1-labels-idx1-ubyte"
}
mkdir -p "$T/idx"
idx train 28 12
idx t10k 28 12
expect "label outside the model's classes" 1 "label 12" -- "$FOVEA" evaluate "$T/a.fvm" --data "$T/idx" --split train
one_line "label outside the classes" "$FOVEA" evaluate "$T/a.fvm" --data "$T/idx" --split train
idx train 8 3
expect "wrong image size" 1 "8" -- "$FOVEA" train --model "$T/a.fvm" --data "$T/idx" --out "$T/x.fvm"
one_line "wrong image size" "$FOVEA" train --model "$T/a.fvm" --data "$T/idx" --out "$T/x.fvm"
head -c 20 "$T/idx/train-images-idx3-ubyte" > "$T/idx/cut" && mv "$T/idx/cut" "$T/idx/train-images-idx3-ubyte"
expect "truncated data set" 1 "train-images-idx3-ubyte" -- "$FOVEA" train --model mlp --data "$T/idx" --out "$T/x.fvm"
[ ! -f "$T/x.fvm" ] && ok "no model written on failure" || bad "a model was written"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
