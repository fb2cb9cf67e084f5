#!/bin/sh
# The fovea program's files under hostile conditions (issue 13, "never clobber what is not ours, never lose a
# finished run"): outputs through symlinks, into FIFOs, /dev/null and /dev/stdout (which stays a symlink),
# directories refused; an output naming an input refused by device and inode (links too) for every command
# that writes; unwritable outputs refused in the first second; class names checked before training; a failed
# final save kept elsewhere; a full disk under --history only warned about; two trainers on one history; a
# resume cutting the history back; stale temporaries of a killed save removed. Only files made here are touched.
# Prints "N passed, N failed" like the C tests.
FOVEA=${FOVEA:-build/fovea}
. "$(dirname "$0")/../common/harness.sh"
T=$(mktemp -d /tmp/fovea_files.XXXXXX)
MNT="$T/small"
cleanup() {
    [ -n "$bg" ] && kill "$bg" 2>/dev/null
    mountpoint -q "$MNT" 2>/dev/null && umount "$MNT"
    rm -rf "$T"
}
trap cleanup EXIT

same() { cmp -s "$1" "$2" && ok "$3" || bad "$3"; }
is_npy() { [ "$(head -c 6 "$1" | tail -c 5)" = "NUMPY" ] && ok "$2" || bad "$2"; }

if [ ! -x "$FOVEA" ]; then
    echo "FAIL fovea not built at $FOVEA"
    echo "0 passed, 1 failed"
    exit 1
fi
FOVEA=$(cd "$(dirname "$FOVEA")" && pwd)/$(basename "$FOVEA")
cd "$T" || exit 1

cat > small.fvd <<'EOF'
model small
input input shape=1x28x28
flatten flat
dense fc1 units=32
relu relu1
dense fc2 units=10
EOF
cp small.fvd small.orig
# each section starts from intact fixtures, so that one clobbered file cannot fail the sections after it
restore() { cp small.orig small.fvd && cp m.orig m.fvm; }
train() { "$FOVEA" train --model small.fvd --data fashion-mnist --limit 300 --batch 50 --seed 7 --quiet "$@"; }
expect "a tiny model to work with" 0 "" -- train --epochs 1 --out m.fvm
cp m.fvm m.orig
# a batch of two zero images, (2, 1, 28, 28) float32, written byte by byte
h="{'descr': '<f4', 'fortran_order': False, 'shape': (2, 1, 28, 28), }"
pad=$((64 - (10 + ${#h} + 1) % 64))
{ printf '\223NUMPY\001\000'; printf "\\$(printf %03o $(((${#h} + pad + 1) % 256)))\\$(printf %03o $(((${#h} + pad + 1) / 256)))";
  printf '%s%*s\n' "$h" $pad ''; head -c 6272 /dev/zero; } > batch.npy
feats() { "$FOVEA" features m.fvm --data fashion-mnist --limit 20 "$@"; }

# ---- outputs through links, into FIFOs and devices; directories refused ------------------------------------
ln -s target.npy link.npy
expect "features through a symlink" 0 "20 samples" -- feats --out link.npy
[ -L link.npy ] && ok "the symlink is still a symlink" || bad "the symlink was replaced"
is_npy target.npy "its target got the array"
mkfifo fifo.npy
cat fifo.npy > from_fifo.npy &
reader=$!
expect "features into a FIFO" 0 "20 samples" -- feats --out fifo.npy
[ -p fifo.npy ] || kill $reader 2>/dev/null # replaced: nothing will ever open the reader's end
wait $reader
[ -p fifo.npy ] && ok "the FIFO is still a FIFO" || bad "the FIFO was replaced"
is_npy from_fifo.npy "the FIFO's reader got the array"
safe=$([ -p fifo.npy ] && echo 1)
if [ "$safe" ]; then # only once a FIFO is shown not to be replaced are system devices written to
    expect "features to /dev/null" 0 "20 samples" -- feats --out /dev/null
    [ -c /dev/null ] && ok "/dev/null is still a character device" || bad "/dev/null was replaced"
    was_link=$([ -L /dev/stdout ] && echo 1)
    feats --out /dev/stdout > stdout.npy 2>/dev/null
    is_npy stdout.npy "features --out /dev/stdout writes the array to standard output (a file)"
    grep -q "20 samples" stdout.npy && ok "and the line printed after it follows it" || bad "the printed line is missing"
    "$FOVEA" features m.fvm --data fashion-mnist --limit 20 --out /dev/stdout 2>/dev/null | head -c 6 | tail -c 5 > piped.txt
    [ "$(cat piped.txt)" = NUMPY ] && ok "and into a pipe" || bad "/dev/stdout into a pipe: '$(cat piped.txt)'"
    [ "$([ -L /dev/stdout ] && echo 1)" = "$was_link" ] && ok "/dev/stdout is as it was" || bad "/dev/stdout changed"
    expect "run --output /dev/null" 0 "" -- "$FOVEA" run m.fvm --input batch.npy --output /dev/null
    "$FOVEA" run m.fvm --input batch.npy --output /dev/stdout > run_out.npy 2>/dev/null
    is_npy run_out.npy "run --output /dev/stdout writes the output array to standard output"
    [ "$([ -L /dev/stdout ] && echo 1)" = "$was_link" ] && ok "/dev/stdout is still as it was" || bad "/dev/stdout changed"
else
    echo "skip /dev/null and /dev/stdout: the FIFO was replaced"
fi
mkdir adir
expect "an output directory is refused" 1 "cannot write --out 'adir': is a directory" -- feats --out adir
[ -d adir ] && ok "the directory is still there" || bad "the directory was replaced"

restore
# ---- an output over an input, for every command that writes ------------------------------------------------
expect "features --out over the model" 2 "refusing to overwrite" -- feats --out m.fvm
same m.fvm m.orig "the model is unchanged"
ln m.fvm hard.fvm
restore
expect "features --out over a hard link of the model" 2 "is the input MODEL" -- feats --out hard.fvm
ln -s m.fvm soft.fvm
expect "features --csv over a symlink to the model" 2 "is the input MODEL" -- feats --out x.npy --csv soft.fvm
expect "features: two outputs, one file" 2 "are the same file" -- feats --out x.npy --labels x.npy
same m.fvm m.orig "the model is still unchanged"
restore
expect "train --out over --model" 2 "'small.fvd' is the input --model" -- train --epochs 1 --out small.fvd
same small.fvd small.orig "the description is unchanged"
expect "train --history over --model" 2 "is the input --model" -- train --epochs 1 --out n.fvm --history small.fvd
restore
expect "train --out over --resume" 2 "is the input --resume" -- train --epochs 1 --resume m.fvm --out m.fvm
restore
expect "convert OUT over IN" 2 "is the input IN" -- "$FOVEA" convert m.fvm hard.fvm
cp batch.npy x.npy
cp x.npy x.orig
expect "run --output over --input" 2 "is the input --input" -- "$FOVEA" run m.fvm --input x.npy --output x.npy
same x.npy x.orig "the input array is unchanged"
cat > conv.fvd <<'EOF'
model conv
input input shape=1x28x28
conv2d conv1 filters=4 kernel=3 padding=1
relu relu1
max_pool pool1 kernel=2
flatten flat
dense fc units=10
EOF
"$FOVEA" train --model conv.fvd --data fashion-mnist --limit 100 --batch 50 --epochs 1 --quiet --out c.fvm
cp c.fvm c.orig
expect "gradcam --raw over the model" 2 "is the input MODEL" -- "$FOVEA" gradcam c.fvm --data fashion-mnist --raw c.fvm
same c.fvm c.orig "gradcam left the model as it was"
cp c.orig c.fvm
expect "featuremaps --out over the model" 2 "is the input MODEL" -- "$FOVEA" featuremaps c.fvm --data fashion-mnist --out c.fvm
same c.fvm c.orig "featuremaps left the model as it was"
cp c.orig c.fvm
expect "patches --out over the model" 2 "is the input MODEL" -- "$FOVEA" patches c.fvm --data fashion-mnist --limit 50 --out c.fvm
same c.fvm c.orig "patches left the model as it was"
printf 'epoch,loss\n0,1\n' > h0.csv
restore
expect "report --out over --history" 2 "is the input --history" -- "$FOVEA" report m.fvm --data fashion-mnist --history h0.csv --out h0.csv
same m.fvm m.orig "the model survived every command"

restore
# ---- outputs that cannot be written fail before any training --------------------------------------------
# 100,000 epochs would take hours: a run that trained before checking is killed by the timeout (exit 124).
for flag in --out --history --checkpoint; do
    out=$(timeout 60 "$FOVEA" train --model small.fvd --data fashion-mnist --limit 300 --batch 50 --seed 7 --quiet \
          --epochs 100000 --out ok.fvm $flag nodir/f.out 2>&1)
    rc=$?
    if [ $rc -eq 1 ] && printf '%s' "$out" | grep -q "the directory 'nodir' does not exist"; then
        ok "train $flag in a missing directory fails before training"
    else
        bad "train $flag in a missing directory: exit $rc: $out"
    fi
done
expect "a checkpoint template in a missing directory" 1 "nodir" -- train --epochs 1 --checkpoint 'nodir/ck-{epoch}.fvm'

restore
# ---- class names are checked before training ---------------------------------------------------------------
"$FOVEA" data export fashion-mnist imgs --per-class 4 > /dev/null 2>&1
png=$(find imgs -name '*.png' | head -n 1)
cp "$png" img.png
cp img.png img.orig
expect "augment --preview over its IMAGE" 2 "is the input IMAGE" -- "$FOVEA" augment img.png --preview img.png --rotate 10
same img.png img.orig "the image is unchanged"
ls imgs | head -n 3 > three.txt
mkdir three && while read -r c; do mv "imgs/$c" three/; done < three.txt
bad_name=$(printf 'bad\033[31mname')
mv "three/$(head -n 1 three.txt)" "three/$bad_name"
out=$("$FOVEA" train --model mlp --data three --epochs 1 --batch 4 --out bad.fvm 2>&1)
rc=$?
if [ $rc -eq 1 ] && printf '%s' "$out" | grep -q "control character" && ! printf '%s' "$out" | grep -q "Epoch 1/"; then
    ok "a class name with an escape sequence is refused before training"
else
    bad "a class name with an escape sequence: exit $rc: $(printf '%s' "$out" | tail -n 2)"
fi
mv "three/$bad_name" "three/$(head -n 1 three.txt)"
out=$("$FOVEA" train --model small.fvd --data three --classes 3 --epochs 1 --batch 4 --out three.fvm 2>&1)
if printf '%s' "$out" | grep -q "New classifier: 3 outputs"; then
    ok "--classes 3 gives a description of 10 outputs a new 3-class head"
else
    bad "no new head for --classes 3: $(printf '%s' "$out" | tail -n 2)"
fi
out=$("$FOVEA" train --model small.fvd --data three --epochs 1 --batch 4 --out three.fvm 2>&1)
rc=$?
if [ $rc -eq 1 ] && printf '%s' "$out" | grep -q "3 class names for the 10 outputs" && ! printf '%s' "$out" | grep -q "Epoch 1/"; then
    ok "3 classes for a description of 10 outputs are refused before training (no head is replaced unasked)"
else
    bad "3 classes for 10 outputs: exit $rc: $(printf '%s' "$out" | tail -n 2)"
fi

restore
# ---- a failed final save keeps the run; a full disk under --history warns ----------------------------------
if [ "$safe" ]; then
    out=$(train --epochs 1 --out /dev/full 2>&1)
    rc=$?
    saved=$(printf '%s' "$out" | sed -n 's/.*saved to \(\.\/fovea-unsaved-[0-9]*\.fvm\) instead.*/\1/p')
    if [ $rc -eq 1 ] && [ -n "$saved" ] && "$FOVEA" summary "$saved" > /dev/null 2>&1; then
        ok "a final save that fails (/dev/full) is kept in $saved"
    else
        bad "final save to /dev/full: exit $rc: $out"
    fi
    rm -f fovea-unsaved-*.fvm
    expect "a full device under --history warns" 0 "Warning: history '/dev/full': write failed: No space left on device" -- train --epochs 2 --out full_hist.fvm --history /dev/full
    [ -f full_hist.fvm ] && ok "and the model is saved" || bad "no model after a full history device"
else
    echo "skip /dev/full: the FIFO was replaced"
fi
mkdir -p "$MNT"
if mount -t tmpfs -o size=64k tmpfs "$MNT" 2>/dev/null; then
    out=$(train --epochs 1 --out "$MNT/m.fvm" 2>&1)
    rc=$?
    if [ $rc -eq 1 ] && printf '%s' "$out" | grep -q "No space left on device.*saved to ./fovea-unsaved-"; then
        ok "a model too large for a 64 KiB tmpfs is saved in the working directory instead"
    else
        bad "model on a full tmpfs: exit $rc: $out"
    fi
    ls "$MNT" | grep -q tmp- && bad "a temporary was left on the tmpfs" || ok "no temporary left on the tmpfs"
    dd if=/dev/zero of="$MNT/filler" bs=4k 2>/dev/null
    expect "a full tmpfs under --history warns and training goes on" 0 "Warning: history.*No space left" -- train --epochs 2 --out tmpfs_hist.fvm --history "$MNT/h.csv"
    [ -f tmpfs_hist.fvm ] && ok "and the model is saved" || bad "no model after a full tmpfs history"
    umount "$MNT"
else
    echo "skip full tmpfs: cannot mount one here"
fi

restore
# ---- one history, two trainers; resuming cuts the history back ---------------------------------------------
"$FOVEA" train --model small.fvd --data fashion-mnist --limit 2000 --batch 20 --epochs 1000 --quiet --out long.fvm --history shared.csv > /dev/null 2>&1 &
bg=$!
i=0
while [ ! -s shared.csv ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i + 1)); done
expect "a second trainer on the same --history is refused" 1 "another training run is writing it" -- train --epochs 1 --out other.fvm --history shared.csv
head -n 1 shared.csv | grep -q '^epoch,' && ok "the first run's history keeps its header" || bad "the first run's history was truncated"
kill "$bg" 2>/dev/null
wait "$bg" 2>/dev/null
bg=
train --epochs 3 --checkpoint 'ck-{epoch}.fvm' --history run.csv --out full.fvm
cp run.csv run.orig
expect "resume from epoch 1's checkpoint" 0 "" -- train --epochs 3 --resume ck-1.fvm --checkpoint 'ck-{epoch}.fvm' --history run.csv --out resumed.fvm
same run.csv run.orig "the resumed history holds each epoch once, as the uninterrupted run's"
expect "a checkpoint may be the file resumed from (one latest checkpoint)" 0 "" -- train --epochs 3 --resume ck-2.fvm --checkpoint ck-2.fvm --out resumed2.fvm

restore
# ---- stale temporaries of a killed save go with the next save of that file ---------------------------------
printf 'half' > m.fvm.tmp-Ab12Cd
printf 'mine' > m.fvm.tmp-notours
printf 'other' > other.fvm.tmp-Ab12Cd
expect "a save after a killed one" 0 "" -- train --epochs 1 --out m.fvm
[ ! -e m.fvm.tmp-Ab12Cd ] && ok "the stale temporary of m.fvm is removed" || bad "the stale temporary is still there"
[ -e m.fvm.tmp-notours ] && [ -e other.fvm.tmp-Ab12Cd ] && ok "other names are kept" || bad "a file not ours was removed"

harness_finish
