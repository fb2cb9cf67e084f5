#!/bin/sh
# fovea report end to end: a small model trained on a slice of Fashion-MNIST, its report opened in headless
# Chromium (Debian's chromium): every image in the page decodes and the screenshot is not blank; bad input
# (an empty data set, a model of the wrong input) fails clearly. Prints "N passed, N failed".
FOVEA=${FOVEA:-build/fovea}
pass=0
fail=0
T=$(mktemp -d /tmp/fovea_report.XXXXXX)
trap 'rm -rf "$T"' EXIT
ok() { pass=$((pass + 1)); echo "ok $1"; }
bad() { fail=$((fail + 1)); echo "FAIL $1"; }

cat > "$T/conv.fvd" <<'EOF2'
input shape=1x28x28
conv2d c1 filters=4 kernel=3 padding=1
relu
max_pool kernel=2
flatten
dense fc units=10
EOF2
"$FOVEA" train --model "$T/conv.fvd" --data fashion-mnist --limit 512 --epochs 2 --validation-split 0.25 \
    --history "$T/h.csv" --out "$T/m.fvm" --quiet && ok "model trained" || bad "training failed"
out=$("$FOVEA" report "$T/m.fvm" --data fashion-mnist --limit 300 --history "$T/h.csv" --out "$T/r.html" 2>&1)
case $out in *"Wrote $T/r.html (300 samples)"*) ok "report written" ;; *) bad "report: $out" ;; esac
for section in "Training curves" "Confusion matrix" "ROC curves" "Most confident wrong" "Least confident" "Grad-CAM" "Embedding"; do
    grep -q "$section" "$T/r.html" && ok "section '$section'" || bad "no section '$section'"
done
if command -v chromium >/dev/null 2>&1; then
    dom=$(cd "$T" && timeout 120 chromium --headless --no-sandbox --disable-gpu --dump-dom "file://$T/r.html" 2>/dev/null)
    loaded=$(printf '%s' "$dom" | sed -n 's/.*data-images="\([0-9]*\)\/\([0-9]*\)".*/\1 \2/p')
    set -- $loaded
    if [ -n "$1" ] && [ "$1" -gt 0 ] && [ "$1" = "$2" ]; then ok "Chromium decoded all $2 images"; else bad "images loaded: '$loaded'"; fi
    (cd "$T" && timeout 120 chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --window-size=1000,2400 \
        --screenshot="$T/shot.png" "file://$T/r.html" >/dev/null 2>&1)
    size=$(wc -c < "$T/shot.png" 2>/dev/null || echo 0)
    [ "$size" -gt 50000 ] && ok "the screenshot is not blank ($size bytes of PNG)" || bad "screenshot of $size bytes"
else
    echo "note: chromium is not installed; the page was not opened in a browser"
fi
out=$("$FOVEA" report "$T/m.fvm" --data fashion-mnist --limit 200 --tsne --dims 3 --out "$T/r3d.html" 2>&1)
case $out in *"Wrote"*) ok "report with a 3-D t-SNE" ;; *) bad "3-D report: $out" ;; esac
grep -q "t-SNE, 3-D" "$T/r3d.html" && grep -q "axes 2 and 3" "$T/r3d.html" && ok "three projections of the 3-D map" || bad "no 3-D projections"
"$FOVEA" report "$T/m.fvm" --data /nonexistent --out "$T/r3.html" >/dev/null 2>&1 && bad "missing data accepted" || ok "missing data refused"
[ ! -f "$T/r3.html" ] && ok "no page written on failure" || bad "a page was written on failure"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
