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

# ---- hostile names: a class folder and the model named as HTML that would run script, a layer named as markup --
# Each would set document.title if it reached the page as markup; escaped, it is text, and the page's
# Content-Security-Policy (which allows only the page's own script and style, by hash) still lets that script run.
"$FOVEA" data export fashion-mnist "$T/set" --per-class 3 >/dev/null 2>&1
mv "$T/set/0_T-shirt_top" "$T/set/<img src=x onerror=document.title='PWNED1'>"
printf "model <svg/onload=document.title='PWNED2'>\ninput shape=1x28x28\nconv2d <b>c&\"1'</b><i> filters=4 kernel=3\nrelu\nflatten\ndense fc units=10\n" > "$T/hostile.fvd"
"$FOVEA" train --model "$T/hostile.fvd" --data "$T/set" --epochs 1 --out "$T/hm.fvm" --history "$T/hh.csv" --quiet >/dev/null 2>&1
out=$("$FOVEA" report "$T/hm.fvm" --data "$T/set" --history "$T/hh.csv" --out "$T/hr.html" 2>&1)
case $out in *"Wrote $T/hr.html (30 samples)"*) ok "report of hostile names written" ;; *) bad "hostile report: $out" ;; esac
grep -q "<img src=x\|<svg/onload\|<b>c" "$T/hr.html" && bad "a name reached the page unescaped" || ok "no name reached the page as markup"
grep -q "&lt;img src=x onerror=document.title=&#39;PWNED1&#39;&gt;" "$T/hr.html" && ok "the class name is shown escaped" || bad "the class name is not shown"
grep -q "&lt;b&gt;c&amp;&quot;1&#39;&lt;/b&gt;&lt;i&gt; (Conv2D)" "$T/hr.html" && ok "the layer name is shown escaped" || bad "the layer name is not shown escaped"
grep -q 'http-equiv="Content-Security-Policy" content="default-src '"'none'"'; img-src data:' "$T/hr.html" && ok "a Content-Security-Policy" || bad "no Content-Security-Policy"
# the hashes in the policy are those of the page's style sheet and script (else the browser would block them)
csp_hash() { sed -n "s/.*<$1>\(.*\)<\/$1>.*/\1/p" "$T/hr.html" | head -n 1 | tr -d '\n' | openssl dgst -sha256 -binary | base64; }
if command -v openssl >/dev/null 2>&1; then
    for tag in style script; do
        h=$(csp_hash $tag)
        grep -q "'sha256-$h'" "$T/hr.html" && ok "the policy allows the page's $tag by its hash" || bad "the $tag's hash $h is not in the policy"
    done
fi
if command -v chromium >/dev/null 2>&1; then
    dom=$(cd "$T" && timeout 120 chromium --headless --no-sandbox --disable-gpu --dump-dom "file://$T/hr.html" 2>/dev/null)
    title=$(printf '%s' "$dom" | grep -o '<title>[^<]*</title>')
    [ "$title" = "<title>fovea report: &lt;svg/onload=document.title='PWNED2'&gt;</title>" ] && ok "Chromium: no hostile name ran" ||
        bad "Chromium: the title became '$title'"
    loaded=$(printf '%s' "$dom" | sed -n 's/.*data-images="\([0-9]*\)\/\([0-9]*\)".*/\1 \2/p')
    set -- $loaded
    if [ -n "$1" ] && [ "$1" -gt 0 ] && [ "$1" = "$2" ]; then ok "Chromium: the page's script ran and all $2 images decoded"; else bad "hostile page, images loaded: '$loaded'"; fi
fi

# ---- a history that is not one: refused before the work, naming the file and the line ------------------------
head -c 2000 /dev/urandom > "$T/random.bin"
printf 'epoch,loss\n0,1.5\n1,1.2\000junk\n' > "$T/nul.csv"
out=$("$FOVEA" report "$T/m.fvm" --data fashion-mnist --limit 50 --history "$T/random.bin" --out "$T/rb.html" 2>&1)
rc=$?
case "$rc $out" in "1 fovea report: history '$T/random.bin' line 1: "*) ok "random bytes as --history refused" ;; *) bad "random --history: exit $rc: $out" ;; esac
out=$("$FOVEA" report "$T/m.fvm" --data fashion-mnist --limit 50 --history "$T/nul.csv" --out "$T/rb.html" 2>&1)
case $out in *"history '$T/nul.csv' line 3: not a text file (byte 0x00 at column 6)") ok "a NUL byte in --history refused" ;; *) bad "NUL --history: $out" ;; esac
[ ! -f "$T/rb.html" ] && ok "no page written for a bad history" || bad "a page was written for a bad history"

# ---- a full disk reads as one (the errno of the failing write, not EIO): a 32 KB tmpfs where it can be mounted -
mkdir -p "$T/small"
if unshare -rm sh -c "mount -t tmpfs -o size=32k tmpfs '$T/small'" 2>/dev/null; then
    out=$(unshare -rm sh -c "mount -t tmpfs -o size=32k tmpfs '$T/small' && '$FOVEA' report '$T/m.fvm' --data fashion-mnist --limit 50 --out '$T/small/r.html'" 2>&1)
    case $out in *"cannot write report '$T/small/r.html': No space left on device"*) ok "full disk: No space left on device" ;; *) bad "full disk: $out" ;; esac
else
    echo "note: cannot mount a tmpfs here; the full-disk message is checked by tests/core/test_atomic_file"
fi
"$FOVEA" report "$T/m.fvm" --data /nonexistent --out "$T/r3.html" >/dev/null 2>&1 && bad "missing data accepted" || ok "missing data refused"
[ ! -f "$T/r3.html" ] && ok "no page written on failure" || bad "a page was written on failure"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
