#!/bin/sh
# make bench: fovea and the references side by side on this machine, alternating rounds in one run (fovea,
# PyTorch, ONNX Runtime on each workload in turn), on the same number of threads; prints medians over the rounds
# and the ratio fovea/reference. Rows: FMNIST-CNN training (images/s, vs PyTorch); the zoo inference set at
# 224x224 (batch-1 latency and batch-8 throughput, vs PyTorch and vs ONNX Runtime running the ONNX file fovea
# exports of the same model); a ResNet-18 training step at 32x32, issue 17's U-Net segmentation step at 64x64
# and issue 19's yolo-fmnist detector training (images/s) (all vs PyTorch); peak RSS of each side; t-SNE;
# GEMM 1024^3 as a share of the FMA peak measured here; the image loader's batches/s (PNG decode + augmentation)
# against FMNIST-CNN training's (it must be >= 3x). The header gives the core-to-core cache-line round trip at
# the start of each round and at the end (bench_pingpong), which tells the host's quiet and slow periods apart.
# Environment: ROUNDS (5), THREADS (all cores), STEPS (FMNIST steps, 60), ZOO_MODELS (the five of
# ../shared/BENCHMARKS.md), ZOO_REPEAT (timed passes per process, 15; VGG_REPEAT for vgg16, 1), WARMUP (2),
# TRAIN_STEPS (ResNet-18 steps, 8), UNET_STEPS (U-Net segmentation steps, 6), YOLO_STEPS (detector steps, 20),
# ORT_INSTALL (1: npm-install
# onnxruntime-node into bench/ when absent),
# ONNX_MODELS (architectures the zoo does not build, at batch 1: PyTorch exports each to ONNX once, at 224x224 with
# random weights, and fovea and ONNX Runtime run that file; default convnext_tiny vit_b_16 densenet121
# shufflenet_v2_x1_0; needs torchvision).
# Rows whose reference is missing (no torch, no node/onnxruntime-node) show "-".
set -e
cd "$(dirname "$0")/.."
B=${BUILD:-build}
THREADS=${THREADS:-$(nproc)}
ROUNDS=${ROUNDS:-5}
STEPS=${STEPS:-60}
ZOO_MODELS=${ZOO_MODELS:-resnet18 resnet50 mobilenet_v2 vgg16 efficientnet_b0}
ZOO_REPEAT=${ZOO_REPEAT:-15}
VGG_REPEAT=${VGG_REPEAT:-1}
TRAIN_STEPS=${TRAIN_STEPS:-8}
UNET_STEPS=${UNET_STEPS:-6}
YOLO_STEPS=${YOLO_STEPS:-20}
ONNX_MODELS=${ONNX_MODELS-convnext_tiny vit_b_16 densenet121 shufflenet_v2_x1_0}
export WARMUP=${WARMUP:-2}
CC=${CC:-cc}
mkdir -p "$B/bench"
# link as the Makefile links (its LDLIBS), so that a new dependency of the library needs no change here
LIBS=${LDLIBS:-$(sed -n 's/^LDLIBS *:*= *//p' Makefile)}
for b in bench_train bench_gemm bench_peak bench_tsne bench_zoo bench_train_resnet bench_train_unet bench_train_yolo bench_loader bench_pingpong; do
    $CC -O2 -g -Iinclude -fopenmp "bench/$b.c" "$B/libfovea.a" $LIBS -o "$B/bench/$b"
done
PY=/usr/bin/python3
have_torch=0
$PY -c "import torch, torchvision" 2>/dev/null && have_torch=1
# ONNX Runtime: the tests' copy, bench/'s own, or an install into bench/ (the binding ships in the package).
have_ort=0
if command -v node >/dev/null 2>&1; then
    if [ -d tests/onnx/node_modules/onnxruntime-node ]; then
        NODE_PATH=$PWD/tests/onnx/node_modules
    elif [ ! -d bench/node_modules/onnxruntime-node ] && [ "${ORT_INSTALL:-1}" = 1 ] && command -v npm >/dev/null 2>&1; then
        (cd bench && ONNXRUNTIME_NODE_INSTALL=skip npm install --no-save onnxruntime-node@1.30.0 >/dev/null 2>&1) || true
    fi
    [ -d bench/node_modules/onnxruntime-node ] && [ -z "$NODE_PATH" ] && NODE_PATH=$PWD/bench/node_modules
    export NODE_PATH
    node -e "require('onnxruntime-node')" 2>/dev/null && have_ort=1
fi
export OPENBLAS_CORETYPE=SkylakeX
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
repeat_of() { if [ "$1" = vgg16 ]; then echo "$VGG_REPEAT"; else echo "$ZOO_REPEAT"; fi; }
# fovea writes each zoo model (same seed as the one it times) as ONNX once, outside the timed rounds.
if [ $have_ort -eq 1 ]; then
    for m in $ZOO_MODELS; do
        "$B/bench/bench_zoo" "$m" 1 "$THREADS" 1 "$T/$m.onnx" || echo "bench: fovea's ONNX export of $m failed" >&2
    done
fi
# PyTorch exports the ONNX-only models once, outside the timed rounds (opset 13, as torch_zoo.py writes it).
if [ $have_torch -eq 1 ]; then
    for m in $ONNX_MODELS; do
        $PY bench/torch_zoo.py "$m" 1 "$THREADS" 1 "$T/$m.onnx" >/dev/null 2>&1 || echo "bench: PyTorch's ONNX export of $m failed" >&2
    done
fi
for r in $(seq "$ROUNDS"); do
    echo "bench: round $r of $ROUNDS" >&2
    "$B/bench/bench_pingpong" >> "$T/pingpong" || true
    "$B/bench/bench_train" "$STEPS" "$THREADS" >> "$T/fovea_train"
    [ $have_torch -eq 1 ] && $PY bench/torch_fmnist.py "$STEPS" "$THREADS" >> "$T/torch_train"
    for m in $ZOO_MODELS; do
        n=$(repeat_of "$m")
        for bs in 1 8; do
            "$B/bench/bench_zoo" "$m" $bs "$THREADS" "$n" >> "$T/zoo_fovea_${m}_$bs" ||
                echo "bench: fovea $m batch $bs failed" >&2
            [ $have_torch -eq 1 ] && { $PY bench/torch_zoo.py "$m" $bs "$THREADS" "$n" >> "$T/zoo_torch_${m}_$bs" ||
                echo "bench: pytorch $m batch $bs failed" >&2; }
            [ $have_ort -eq 1 ] && [ -s "$T/$m.onnx" ] && { node bench/ort_run.js "$T/$m.onnx" $bs "$THREADS" "$n" \
                >> "$T/zoo_ort_${m}_$bs" || echo "bench: onnxruntime $m batch $bs failed" >&2; }
        done
    done
    for m in $ONNX_MODELS; do
        [ -s "$T/$m.onnx" ] || continue
        "$B/bench/bench_zoo" "$T/$m.onnx" 1 "$THREADS" "$ZOO_REPEAT" >> "$T/zoo_fovea_${m}_1" ||
            echo "bench: fovea $m batch 1 failed" >&2
        $PY bench/torch_zoo.py "$m" 1 "$THREADS" "$ZOO_REPEAT" >> "$T/zoo_torch_${m}_1" || echo "bench: pytorch $m failed" >&2
        [ $have_ort -eq 1 ] && { node bench/ort_run.js "$T/$m.onnx" 1 "$THREADS" "$ZOO_REPEAT" >> "$T/zoo_ort_${m}_1" ||
            echo "bench: onnxruntime $m failed" >&2; }
    done
    "$B/bench/bench_train_resnet" "$TRAIN_STEPS" "$THREADS" >> "$T/fovea_rtrain" || echo "bench: fovea resnet18 training failed" >&2
    [ $have_torch -eq 1 ] && { $PY bench/torch_resnet_train.py "$TRAIN_STEPS" "$THREADS" >> "$T/torch_rtrain" ||
        echo "bench: pytorch resnet18 training failed" >&2; }
    "$B/bench/bench_train_yolo" "$YOLO_STEPS" "$THREADS" >> "$T/fovea_ytrain" || echo "bench: fovea yolo training failed" >&2
    [ $have_torch -eq 1 ] && { $PY bench/torch_yolo.py step "$YOLO_STEPS" "$THREADS" >> "$T/torch_ytrain" ||
        echo "bench: pytorch yolo training failed" >&2; }
    "$B/bench/bench_train_unet" "$UNET_STEPS" "$THREADS" >> "$T/fovea_utrain" || echo "bench: fovea unet training failed" >&2
    [ $have_torch -eq 1 ] && { $PY bench/torch_unet.py step "$UNET_STEPS" "$THREADS" >> "$T/torch_utrain" ||
        echo "bench: pytorch unet training failed" >&2; }
    "$B/bench/bench_gemm" 1024 "$THREADS" >> "$T/gemm"
    "$B/bench/bench_peak" "$THREADS" >> "$T/peak"
    "$B/bench/bench_loader" "$STEPS" "$THREADS" >> "$T/loader"
done
median() { sort -g | awk '{a[NR]=$1} END {if (NR) print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
field() { sed -n "s|.*$1 *\([0-9.][0-9.]*\) *$2.*|\1|p"; }
# med FILE PREFIX UNIT: the median over the rounds of the number between PREFIX and UNIT ("" when none).
med() { [ -s "$1" ] && field "$2" "$3" < "$1" | median || true; }
ratio() { if [ -n "$1" ] && [ -n "$2" ]; then awk -v a="$1" -v b="$2" 'BEGIN {if (b + 0 == 0) print "-"; else printf "%.2f", a / b}'; else echo "-"; fi; }
row() { printf '%-46s %10s %10s %10s %10s %10s\n' "$1" "${2:--}" "${3:--}" "${4:--}" "$(ratio "$2" "$3")" "$(ratio "$2" "$4")"; }
if [ -e /usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz ]; then
    "$B/bench/bench_tsne" > "$T/tsne"
fi
g=$(med "$T/gemm" ", " "GFLOP/s")
p=$(med "$T/peak" "peak: " "GFLOP/s")
tv=$($PY -c "import torch; print(torch.__version__)" 2>/dev/null || echo none)
ov=$( [ $have_ort -eq 1 ] && node -p "require('onnxruntime-node/package.json').version" 2>/dev/null || echo none)
echo
echo "fovea benchmarks: $THREADS threads, $ROUNDS alternating rounds, medians ($(grep -o 'avx[0-9]*\|portable' "$T/gemm" | head -1));" \
    "$(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //'), $($CC --version | head -1), torch $tv, onnxruntime-node $ov"
echo "ratio = fovea / reference in the row's unit: for ms and MiB <= 1.00 means fovea is at least as fast / as small;"
echo "for images/s and GFLOP/s >= 1.00 means fovea is at least as fast. Zoo: 224x224, random weights, eval mode;"
echo "ORT runs the ONNX file fovea exports of the same model. \"-\": not measured (reference missing or failed)."
"$B/bench/bench_pingpong" >> "$T/pingpong" || true
echo "Core-to-core cache-line round trip at the start of each round and at the end: $(sed -n 's/.*trip: \([0-9-]*\).*/\1/p' "$T/pingpong" | tr '\n' ' ')ns"
echo "(about 100 ns: the two cores share a cache; several times that: the host has put them on different dies,"
echo "and fovea's 2-thread figures drop by 10-40% while it lasts; see README, Benchmarks)"
printf '%-46s %10s %10s %10s %10s %10s\n' "workload" "fovea" "PyTorch" "ORT" "f/PyTorch" "f/ORT"
row "FMNIST-CNN training, images/s" "$(med "$T/fovea_train" ": " "images/s")" "$(med "$T/torch_train" ": " "images/s")" ""
row "  peak RSS, MiB" "$(med "$T/fovea_train" "peak RSS" "MiB")" "$(med "$T/torch_train" "peak RSS" "MiB")" ""
for m in $ZOO_MODELS; do
    f="$T/zoo_fovea_${m}_1" t="$T/zoo_torch_${m}_1" o="$T/zoo_ort_${m}_1"
    row "$m batch 1, latency ms (median)" "$(med "$f" median ms)" "$(med "$t" median ms)" "$(med "$o" median ms)"
    row "  peak RSS, MiB" "$(med "$f" "peak RSS" MiB)" "$(med "$t" "peak RSS" MiB)" "$(med "$o" "peak RSS" MiB)"
    f="$T/zoo_fovea_${m}_8" t="$T/zoo_torch_${m}_8" o="$T/zoo_ort_${m}_8"
    row "$m batch 8, images/s" "$(med "$f" ", " images/s)" "$(med "$t" ", " images/s)" "$(med "$o" ", " images/s)"
    row "  peak RSS, MiB" "$(med "$f" "peak RSS" MiB)" "$(med "$t" "peak RSS" MiB)" "$(med "$o" "peak RSS" MiB)"
done
for m in $ONNX_MODELS; do
    f="$T/zoo_fovea_${m}_1" t="$T/zoo_torch_${m}_1" o="$T/zoo_ort_${m}_1"
    row "$m batch 1 (PyTorch's ONNX), ms" "$(med "$f" median ms)" "$(med "$t" median ms)" "$(med "$o" median ms)"
done
row "ResNet-18 train step 32x32 b64 SGD-m, ms" "$(med "$T/fovea_rtrain" ": " "ms/step")" "$(med "$T/torch_rtrain" ": " "ms/step")" ""
row "  peak RSS, MiB" "$(med "$T/fovea_rtrain" "peak RSS" MiB)" "$(med "$T/torch_rtrain" "peak RSS" MiB)" ""
row "U-Net train step 64x64 b32 Adam, ms" "$(med "$T/fovea_utrain" ": " "ms/step")" "$(med "$T/torch_utrain" ": " "ms/step")" ""
row "  peak RSS, MiB" "$(med "$T/fovea_utrain" "peak RSS" MiB)" "$(med "$T/torch_utrain" "peak RSS" MiB)" ""
row "YOLO (yolo-fmnist) training, images/s" "$(med "$T/fovea_ytrain" "ms/step, " "images/s")" "$(med "$T/torch_ytrain" "ms/step, " "images/s")" ""
if [ -s "$T/tsne" ]; then
    ts=$(field "2-D in" "s," < "$T/tsne")
    ko=$(sed -n 's|.*accuracy \([0-9.]*\) in the original.*|\1|p' "$T/tsne")
    km=$(sed -n 's|.*space, \([0-9.]*\) in the map.*|\1|p' "$T/tsne")
    row "t-SNE 2,000 FMNIST embeddings, s (ref: bar)" "$ts" "30" ""
    row "  5-NN accuracy in the map (ref: original)" "$km" "$ko" ""
fi
# the loader must make batches >= 3x as fast as training consumes them
row "Loader, PNG+augment batches/s (ref: training)" "$(med "$T/loader" "loader: " "batches/s")" "$(med "$T/loader" "consumes " "batches/s")" ""
row "GEMM 1024^3 GFLOP/s (ref: measured FMA peak)" "$g" "$p" ""
