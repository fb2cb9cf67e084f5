#!/bin/sh
# fovea report on a segmentation model: a tiny fully convolutional net trained for an epoch on 32 composed
# canvases; its page has the segmentation section (a row per class named from classes.txt, the pixel confusion
# matrix, best and worst images as image / truth / prediction), with the numbers `fovea evaluate --task segment`
# prints, every embedded PNG decodable (and decoded by headless Chromium where it is installed) and the HTML's
# tags balanced. Bad input: a segmentation model on data that is not a segmentation folder, a folder with an
# image whose mask is missing, masks with more classes than the model: refused clearly, no page written and an
# existing page left as it was. Prints "N passed, N failed".
FOVEA=${FOVEA:-build/fovea}
. tests/common/harness.sh
T=$(mktemp -d /tmp/fovea_report_seg.XXXXXX)
trap 'rm -rf "$T"' EXIT

"$FOVEA" data compose fashion-mnist "$T/seg" --count 32 --seed 1 >/dev/null 2>&1 && ok "canvases composed" || bad "compose failed"
cat > "$T/fcn.fvd" <<'EOF2'
model tiny-fcn
input shape=1x64x64
conv2d c1 filters=8 kernel=3 padding=1
relu
conv2d head filters=11 kernel=1
EOF2
"$FOVEA" train --model "$T/fcn.fvd" --task segment --data "$T/seg" --epochs 2 --batch 16 --threads 2 \
    --history "$T/h.csv" --out "$T/m.fvm" --quiet >/dev/null 2>&1 && ok "model trained" || bad "training failed"

expect "the segmentation report written" 0 "Wrote $T/r.html (32 images, segmentation)" -- \
    "$FOVEA" report "$T/m.fvm" --data "$T/seg" --history "$T/h.csv" --out "$T/r.html" --threads 2
for section in "Training curves" "<h2>Segmentation</h2>" "Confusion matrix (pixels" "Best images" "Worst images"; do
    grep -q "$section" "$T/r.html" && ok "section '$section'" || bad "no section '$section'"
done
for gone in "ROC curves" "Most confident" "Grad-CAM" "Embedding"; do
    grep -q "$gone" "$T/r.html" && bad "a classification section '$gone' on a segmentation page" || ok "no '$gone'"
done

# a row per class, in order, named by classes.txt
rows=$(grep -o '<tr><td>[0-9]*</td><td>[^<]*</td>' "$T/r.html" | sed 's/<tr><td>\([0-9]*\)<\/td><td>\([^<]*\)<\/td>/\1 \2/')
want=$(awk '{ print NR - 1 " " $0 }' "$T/seg/classes.txt" | sed 's/&/\&amp;/g; s/</\&lt;/g; s/>/\&gt;/g')
[ "$rows" = "$want" ] && ok "11 class rows named from classes.txt" || bad "class rows: $rows"

# the totals are evaluate's lines, name for name (the trainer's older names miou and dice accepted too)
value() { sed -n "s/^\($1\): \([0-9.na-]*\)$/\2/p" "$2" | head -n 1; }
same_as_evaluate() { # MODEL PAGE WHAT
    "$FOVEA" evaluate "$1" --data "$T/seg" --task segment --threads 2 > "$T/eval.txt" 2>&1
    for pair in "pixel_accuracy pixel_accuracy" "mean_iou mean_iou\|miou" "mean_dice mean_dice\|dice"; do
        set -- "$1" "$2" "$3" $pair
        page=$(sed -n '/<pre id="seg-metrics">/,/<\/pre>/p' "$2" | sed 's/.*<pre id="seg-metrics">//; s/<\/pre>.*//' | sed -n "s/^$4: //p")
        eval_v=$(value "$5" "$T/eval.txt")
        [ -n "$page" ] && [ "$page" = "$eval_v" ] && ok "$3: $4 $page as evaluate prints it" || bad "$3: $4: page '$page', evaluate '$eval_v'"
    done
}
same_as_evaluate "$T/m.fvm" "$T/r.html" "small net"
# mean_iou is the mean of the table's IoU column over the classes that are not n/a
check_mean=$(sed -n 's/^<tr><td>[0-9]*<\/td><td>[^<]*<\/td><td>\([^<]*\)<\/td>.*/\1/p' "$T/r.html" |
    awk -v m="$(sed -n 's/^mean_iou: //p' "$T/r.html")" '$1 != "n/a" { s += $1; n++ } END { d = s / n - m; print (d < 0 ? -d : d) < 0.0002 ? "yes" : "no" }')
[ "$check_mean" = yes ] && ok "mean_iou is the mean of the per-class IoU" || bad "mean_iou differs from the table's mean"
# the pixel counts of the table add up to the pixels counted
counted=$(sed -n 's/.*, \([0-9]*\) pixels counted.*/\1/p' "$T/r.html")
truth=$(sed -n 's/^<tr><td>[0-9]*<\/td>.*<td>\([0-9]*\)<\/td><td>\([0-9]*\)<\/td><\/tr>$/\1 \2/p' "$T/r.html" | awk '{ t += $1; p += $2 } END { print t " " p }')
[ "$truth" = "$counted $counted" ] && [ "$counted" = 131072 ] && ok "true and predicted pixels each add up to $counted" || bad "pixel sums '$truth' vs '$counted'"

# 4 best and 4 worst images, each as image, truth and prediction: 24 PNGs, each a PNG of 128x128 RGB (64 pixels
# scaled by 2 to be seen)
n_img=$(grep -o '<img src="data:image/png;base64,[A-Za-z0-9+/=]*">' "$T/r.html" | wc -l)
[ "$n_img" -eq 24 ] && ok "24 embedded images" || bad "$n_img embedded images"
grep -c '<figcaption>prediction: IoU' "$T/r.html" | grep -qx 8 && ok "8 predictions with their IoU" || bad "not 8 predictions"
i=0 good=0
for b64 in $(grep -o 'base64,[A-Za-z0-9+/=]*' "$T/r.html" | sed 's/base64,//'); do
    i=$((i + 1))
    printf '%s' "$b64" | base64 -d > "$T/img$i.png" 2>/dev/null || continue
    h=$(od -A n -t u1 -N 26 "$T/img$i.png" | tr -s ' \n' ' ' | cut -d" " -f2-4,18-27)
    [ "$h" = "137 80 78 0 0 0 128 0 0 0 128 8 2" ] && good=$((good + 1))
done
[ "$good" -eq 24 ] && ok "every image is a 128x128 RGB PNG" || bad "$good of $i images are 128x128 RGB PNGs"
if command -v python3 >/dev/null 2>&1; then
    python3 - "$T/img1.png" "$T/r.html" > "$T/py.txt" 2>&1 <<'EOF2'
import sys, zlib, struct
from html.parser import HTMLParser
# the first PNG inflates to 128 rows of a filter byte and 128 RGB pixels
d = open(sys.argv[1], 'rb').read()
pos, idat = 8, b''
while pos < len(d):
    n, kind = struct.unpack('>I4s', d[pos:pos + 8])
    if kind == b'IDAT': idat += d[pos + 8:pos + 8 + n]
    pos += 12 + n
assert len(zlib.decompress(idat)) == 128 * (1 + 128 * 3)
# every element that needs an end tag is closed, in order
void = {'meta', 'img', 'br', 'rect', 'circle', 'polyline', 'line', 'path'}
class P(HTMLParser):
    def __init__(self):
        super().__init__(); self.stack = []; self.err = None
    def handle_starttag(self, t, a):
        if t not in void: self.stack.append(t)
    def handle_startendtag(self, t, a): pass
    def handle_endtag(self, t):
        if t in void: return
        if not self.stack or self.stack[-1] != t: self.err = self.err or 'unexpected </%s> in %s' % (t, self.stack[-3:])
        else: self.stack.pop()
p = P(); p.feed(open(sys.argv[2]).read())
print(p.err or ('unclosed ' + str(p.stack) if p.stack else 'balanced'))
EOF2
    grep -qx balanced "$T/py.txt" && ok "a PNG inflates to its pixels; the HTML's tags are balanced" || bad "python checks: $(cat "$T/py.txt")"
fi
head -c 15 "$T/r.html" | grep -q '<!DOCTYPE html>' && tail -c 8 "$T/r.html" | grep -q '</html>' && ok "a whole page" || bad "not a whole page"
if command -v chromium >/dev/null 2>&1; then
    dom=$(cd "$T" && timeout 120 chromium --headless --no-sandbox --disable-gpu --dump-dom "file://$T/r.html" 2>/dev/null)
    loaded=$(printf '%s' "$dom" | sed -n 's/.*data-images="\([0-9]*\)\/\([0-9]*\)".*/\1 \2/p')
    [ "$loaded" = "24 24" ] && ok "Chromium decoded all 24 images" || bad "Chromium: images loaded '$loaded'"
else
    echo "note: chromium is not installed; the page was not opened in a browser"
fi

# ---- the zoo's U-Net (batch norm, transposed convolutions, concatenated skips), as the brief trains it ----------
"$FOVEA" train --model unet --task segment --data "$T/seg" --epochs 1 --batch 16 --threads 2 --out "$T/unet.fvm" \
    --quiet >/dev/null 2>&1 && ok "U-Net trained" || bad "U-Net training failed"
expect "the U-Net's report written" 0 "Wrote $T/unet.html (32 images, segmentation)" -- \
    "$FOVEA" report "$T/unet.fvm" --data "$T/seg" --out "$T/unet.html" --threads 2
same_as_evaluate "$T/unet.fvm" "$T/unet.html" "U-Net"

# ---- a model's task line: its ignore_index is the page's, as it is evaluate's (which reads the line) ----------
printf 'model tl\ntask segment ignore_index=0\ninput shape=1x64x64\nconv2d head filters=11 kernel=3 padding=1\n' > "$T/tl.fvd"
"$FOVEA" report "$T/tl.fvd" --data "$T/seg" --out "$T/tl.html" --threads 2 >/dev/null 2>&1
"$FOVEA" evaluate "$T/tl.fvd" --data "$T/seg" --threads 2 > "$T/tl.txt" 2>&1
grep -q "pixels counted (mask value 0 ignored)" "$T/tl.html" && ok "the task line's ignore_index=0 is used" || bad "ignore_index of the task line not used"
page=$(sed -n 's/.*<pre id="seg-metrics">pixel_accuracy: \([0-9.]*\)$/\1/p' "$T/tl.html")
[ -n "$page" ] && [ "$page" = "$(value pixel_accuracy "$T/tl.txt")" ] && ok "pixel_accuracy $page, as evaluate reads the line" ||
    bad "ignore_index=0: page '$page', evaluate: $(cat "$T/tl.txt")"

# ---- bad input: refused with the reason, nothing written, an existing page unchanged ---------------------------
cp "$T/r.html" "$T/keep.html"
expect "a segmentation model on fashion-mnist refused" 1 \
    "m.fvm is a segmentation model (logits (N, K, H, W)) but --data fashion-mnist is not a segmentation folder" -- \
    "$FOVEA" report "$T/m.fvm" --data fashion-mnist --out "$T/keep.html"
cmp -s "$T/r.html" "$T/keep.html" && ok "the existing page is unchanged" || bad "the existing page changed"
expect "a classifier on a segmentation folder refused" 1 \
    "--data $T/seg is a segmentation folder but fmnist-cnn is not a segmentation model" -- \
    "$FOVEA" report fmnist-cnn --data "$T/seg" --out "$T/keep.html"
cmp -s "$T/r.html" "$T/keep.html" && ok "the existing page is still unchanged" || bad "the existing page changed"
printf 'model three\ninput shape=1x64x64\nconv2d head filters=3 kernel=1\n' > "$T/three.fvd"
expect "masks with classes beyond the model's refused" 1 \
    "the mask of image [0-9]*: masks: label [0-9]* at position [0-9]* is outside \[0, 3)" -- \
    "$FOVEA" report "$T/three.fvd" --data "$T/seg" --out "$T/three.html"
[ ! -e "$T/three.html" ] && ok "no page for masks beyond the model's classes" || bad "a page was written"
rm "$T/seg/masks/00003.png"
expect "an image without its mask refused, naming it" 1 "00003" -- \
    "$FOVEA" report "$T/m.fvm" --data "$T/seg" --out "$T/nomask.html"
[ ! -e "$T/nomask.html" ] && ok "no page for a folder with a missing mask" || bad "a page was written"
harness_finish
