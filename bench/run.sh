#!/bin/sh
# make bench: fovea and the references side by side on this machine, alternating rounds in one run, on the
# same number of threads; prints medians and the ratio fovea/reference. Rows so far: FMNIST-CNN training
# (images/s, vs PyTorch), GEMM 1024^3 (GFLOP/s, as a share of the FMA peak measured here), peak RSS.
# The zoo-model inference rows (vs PyTorch and ONNX Runtime) join when the zoo and ONNX land.
set -e
cd "$(dirname "$0")/.."
B=${BUILD:-build}
THREADS=${THREADS:-$(nproc)}
ROUNDS=${ROUNDS:-3}
STEPS=${STEPS:-60}
CC=${CC:-cc}
mkdir -p "$B/bench"
for b in bench_train bench_gemm bench_peak bench_tsne; do
    $CC -O2 -g -Iinclude -fopenmp "bench/$b.c" "$B/libfovea.a" -lpng -lz -lm -fopenmp -o "$B/bench/$b"
done
PY=/usr/bin/python3
have_torch=0
$PY -c "import torch" 2>/dev/null && have_torch=1
export OPENBLAS_CORETYPE=SkylakeX
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
for r in $(seq "$ROUNDS"); do
    "$B/bench/bench_train" "$STEPS" "$THREADS" >> "$T/fovea_train"
    [ $have_torch -eq 1 ] && $PY bench/torch_fmnist.py "$STEPS" "$THREADS" >> "$T/torch_train"
    "$B/bench/bench_gemm" 1024 "$THREADS" >> "$T/gemm"
    "$B/bench/bench_peak" "$THREADS" >> "$T/peak"
done
median() { sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
field() { sed -n "s|.*$1 *\([0-9.]*\) *$2.*|\1|p"; }
ft=$(field ": " "images/s" < "$T/fovea_train" | median)
fr=$(field "peak RSS" "MiB" < "$T/fovea_train" | median)
g=$(field ", " "GFLOP/s" < "$T/gemm" | median)
p=$(field "peak: " "GFLOP/s" < "$T/peak" | median)
echo
echo "fovea benchmarks: $THREADS threads, $ROUNDS alternating rounds, medians ($(grep -o 'avx[0-9]*\|portable' "$T/gemm" | head -1))"
printf '%-44s %14s %14s %10s\n' "workload" "fovea" "reference" "ratio"
if [ $have_torch -eq 1 ]; then
    tt=$(field ": " "images/s" < "$T/torch_train" | median)
    tr=$(field "peak RSS" "MiB" < "$T/torch_train" | median)
    printf '%-44s %14s %14s %10s\n' "FMNIST-CNN training, images/s (vs PyTorch)" "$ft" "$tt" "$(echo "$ft $tt" | awk '{printf "%.2f", $1/$2}')"
    printf '%-44s %14s %14s %10s\n' "  peak RSS, MiB" "$fr" "$tr" "$(echo "$fr $tr" | awk '{printf "%.2f", $1/$2}')"
else
    printf '%-44s %14s %14s %10s\n' "FMNIST-CNN training, images/s" "$ft" "(no torch)" "-"
fi
if [ -e /usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz ]; then
    "$B/bench/bench_tsne" > "$T/tsne"
    ts=$(field "2-D in" "s," < "$T/tsne")
    ko=$(sed -n 's|.*accuracy \([0-9.]*\) in the original.*|\1|p' "$T/tsne")
    km=$(sed -n 's|.*space, \([0-9.]*\) in the map.*|\1|p' "$T/tsne")
    printf '%-44s %14s %14s %10s\n' "t-SNE 2,000 FMNIST embeddings, s (bar 30 s)" "$ts" "30" "$(echo "$ts" | awk '{printf "%.2f", $1/30}')"
    printf '%-44s %14s %14s %10s\n' "  5-NN accuracy in the map (vs original)" "$km" "$ko" "$(echo "$km $ko" | awk '{printf "%.2f", $1/$2}')"
fi
printf '%-44s %14s %14s %10s\n' "GEMM 1024^3 GFLOP/s (vs measured FMA peak)" "$g" "$p" "$(echo "$g $p" | awk '{printf "%.2f", $1/$2}')"
