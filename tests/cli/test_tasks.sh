#!/bin/sh
# fovea train, evaluate and predict for tasks other than classification, on small arrays
# (tests/reference/gen_tasks.py): segmentation with a weighted loss sum, paired flips and the validation mIoU
# monitored; embeddings with mined triplets; binary and multi-label decisions; the task's metrics as name: value
# lines; resume to the same bytes; and the refusals (a task the model cannot serve, a loss the task cannot use,
# arrays of different sample counts). Prints "N passed, N failed" like the C tests.
FOVEA=${FOVEA:-build/fovea}
D=tests/reference/fixtures
T=$(mktemp -d /tmp/fovea_tasks.XXXXXX)
trap 'rm -rf "$T"' EXIT
. tests/common/harness.sh

printf 'input x shape=1x8x8\nconv2d c1 filters=8 kernel=3 padding=1\nrelu r1\nconv2d c2 filters=2 kernel=1\n' > "$T/seg.fvd"
printf 'input x shape=4\ndense h units=16\nrelu r\ndense e units=3\n' > "$T/emb.fvd"
printf 'input x shape=4\ndense h units=8\nrelu r\ndense o units=1\n' > "$T/bin.fvd"
printf 'input x shape=4\ndense o units=3\n' > "$T/multi.fvd"
SEG="--inputs $D/task_cli_seg_x.npy --targets $D/task_cli_seg_y.npy --task segment"

expect "segment trains on ce+0.5*dice watching val_mean_iou" 0 "val_mean_iou" -- "$FOVEA" train --model "$T/seg.fvd" $SEG \
    --loss ce+0.5*dice --epochs 4 --batch 8 --lr 0.02 --validation-split 0.25 --monitor val_mean_iou --early-stopping 3 \
    --hflip 0.5 --history "$T/seg.csv" --out "$T/seg.fvm"
head -n 1 "$T/seg.csv" | grep -q "^epoch,loss,lr,mean_dice,mean_iou,pixel_accuracy,val_loss,val_mean_dice,val_mean_iou,val_pixel_accuracy$" \
    && ok "the history's columns are the task's metrics, sorted" || bad "history header: $(head -n 1 "$T/seg.csv")"
expect "evaluate prints the segmentation metrics" 0 "^mean_iou: 0\.[0-9]*$" -- "$FOVEA" evaluate "$T/seg.fvm" $SEG
out=$("$FOVEA" evaluate "$T/seg.fvm" $SEG 2>&1)
pa=$(printf '%s\n' "$out" | sed -n 's/^pixel_accuracy: //p')
awk "BEGIN { exit !($pa > 0.6) }" && ok "the trained segmenter beats chance (pixel accuracy $pa)" \
    || bad "pixel accuracy $pa after training"
expect "predict writes the masks" 0 "Wrote the masks" -- "$FOVEA" predict "$T/seg.fvm" $D/task_cli_seg_x.npy \
    --task segment --masks "$T/masks.npy"
[ "$(head -c 6 "$T/masks.npy" | tail -c 5)" = "NUMPY" ] && ok "the masks are an .npy file" || bad "no masks file"

# resume: 2 epochs, a checkpoint, then on to 4 gives the same bytes as 4 straight
"$FOVEA" train --model "$T/seg.fvd" $SEG --loss ce+0.5*dice --epochs 4 --batch 8 --hflip 0.5 --quiet --out "$T/full.fvm"
"$FOVEA" train --model "$T/seg.fvd" $SEG --loss ce+0.5*dice --epochs 2 --batch 8 --hflip 0.5 --quiet \
    --checkpoint "$T/ck.fvm" --out "$T/half.fvm"
"$FOVEA" train --model "$T/seg.fvd" $SEG --loss ce+0.5*dice --epochs 4 --batch 8 --hflip 0.5 --quiet \
    --resume "$T/ck.fvm" --out "$T/resumed.fvm"
cmp -s "$T/full.fvm" "$T/resumed.fvm" && ok "a resumed segmentation run is byte-identical" || bad "resumed model differs"

# the task declared in the description: no --task needed, and it stays in the trained model
printf 'input x shape=1x8x8\nconv2d c1 filters=8 kernel=3 padding=1\nrelu r1\nconv2d c2 filters=2 kernel=1\ntask segment loss=ce+0.5*dice ignore_index=255\n' > "$T/segtask.fvd"
ARR="--inputs $D/task_cli_seg_x.npy --targets $D/task_cli_seg_y.npy"
expect "a task line in the description sets the task" 0 "val_mean_iou" -- "$FOVEA" train --model "$T/segtask.fvd" $ARR \
    --epochs 1 --batch 8 --validation-split 0.25 --out "$T/segtask.fvm"
expect "the trained model keeps its task line" 0 "^task segment loss=ce+0.5\*dice ignore_index=255$" -- \
    "$FOVEA" summary "$T/segtask.fvm" --describe
expect "evaluate takes the task from the model" 0 "^mean_iou: " -- "$FOVEA" evaluate "$T/segtask.fvm" $ARR
expect "predict takes the task from the model" 0 "class [01] [0-9.]*%" -- "$FOVEA" predict "$T/segtask.fvm" \
    $D/task_cli_seg_x.npy
printf 'input x shape=4\ndense o units=1\ntask binary colour=red\n' > "$T/badtask.fvd"
expect "a task line with an unknown key is refused naming it" 1 "unknown key 'colour'" -- "$FOVEA" train \
    --model "$T/badtask.fvd" --inputs $D/task_cli_emb_x.npy --targets $D/task_cli_bin_y.npy --out "$T/x.fvm"

EMB="--inputs $D/task_cli_emb_x.npy --targets $D/task_cli_emb_y.npy --task embed"
expect "embeddings train with semi-hard mining" 0 "nn_accuracy" -- "$FOVEA" train --model "$T/emb.fvd" $EMB \
    --mining semi --margin 0.5 --epochs 3 --batch 12 --out "$T/emb.fvm"
expect "evaluate prints the embedding metric" 0 "^nn_accuracy: " -- "$FOVEA" evaluate "$T/emb.fvm" $EMB --mining semi
expect "binary trains with pos_weight" 0 "val_auc" -- "$FOVEA" train --model "$T/bin.fvd" --inputs $D/task_cli_emb_x.npy \
    --targets $D/task_cli_bin_y.npy --task binary --pos-weight 2 --epochs 3 --batch 8 --validation-split 0.25 \
    --out "$T/bin.fvm"
expect "predict gives binary decisions" 0 "p=0\.[0-9]* -> [01]" -- "$FOVEA" predict "$T/bin.fvm" \
    $D/task_cli_emb_x.npy --task binary
expect "multi-label trains on bce+focal" 0 "macro_f1" -- "$FOVEA" train --model "$T/multi.fvd" \
    --inputs $D/task_cli_emb_x.npy --targets $D/task_cli_multi_y.npy --task multilabel --loss bce+focal \
    --epochs 2 --batch 8 --out "$T/multi.fvm"

expect "segmenting with a dense model is refused before training" 1 "task segment needs (batch, classes, H, W)" -- \
    "$FOVEA" train --model "$T/emb.fvd" --inputs $D/task_cli_emb_x.npy --targets $D/task_cli_emb_y.npy \
    --task segment --out "$T/x.fvm"
expect "a loss the task cannot use is refused" 2 "'dice' does not fit for the task regress" -- "$FOVEA" train \
    --model "$T/bin.fvd" --inputs $D/task_cli_emb_x.npy --targets $D/task_cli_bin_y.npy --task regress --loss dice \
    --out "$T/x.fvm"
expect "arrays of different sample counts are refused" 1 "the targets have 32 samples; the inputs 24" -- \
    "$FOVEA" train --model "$T/emb.fvd" --inputs $D/task_cli_emb_x.npy --targets $D/task_cli_seg_y.npy \
    --task embed --out "$T/x.fvm"
expect "binary targets that are identities are refused naming the sample" 1 "target [0-9] (value 0) of sample [0-9]*: the task binary needs 0 or 1" -- \
    "$FOVEA" train --model "$T/bin.fvd" --inputs $D/task_cli_emb_x.npy --targets $D/task_cli_emb_y.npy \
    --task binary --out "$T/x.fvm"
[ ! -e "$T/x.fvm" ] && ok "nothing is saved by a refused run" || bad "a refused run saved a model"

harness_finish
