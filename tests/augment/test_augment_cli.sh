#!/bin/sh
# End-to-end test of `fovea augment IMAGE --preview grid.png`: the grid is written with the size the image and
# --n imply, the same seed writes the same bytes and another seed others, and bad values, a missing --preview and
# a missing image are one-line errors with exit statuses 2, 2 and 1. Prints "N passed, N failed".
FOVEA=${FOVEA:-build/fovea}
pass=0
fail=0
T=$(mktemp -d /tmp/fovea_augment.XXXXXX)
trap 'rm -rf "$T"' EXIT
ok() { pass=$((pass + 1)); echo "ok $1"; }
bad() { fail=$((fail + 1)); echo "FAIL $1"; }
IMG=tests/reference/fixtures/images/exif2.jpg
[ -f "$IMG" ] || IMG=$(find tests/reference/fixtures/images -name '*.png' | head -n 1)

FLAGS="--rotate 20 --zoom 0.8:1.2 --fill reflect --hflip 0.5 --brightness 0.3 --hue 0.1 --erase 0.5 --blur 0.3:1@0.5"
out=$("$FOVEA" augment "$IMG" --preview "$T/a.png" --n 9 --seed 3 $FLAGS 2>&1)
rc=$?
w=$(printf '%s' "$out" | sed -n 's/.*(\([0-9]*\)x\([0-9]*\), .*/\1/p')
h=$(printf '%s' "$out" | sed -n 's/.*(\([0-9]*\)x\([0-9]*\), .*/\2/p')
if [ $rc -eq 0 ] && [ -s "$T/a.png" ] && [ -n "$w" ] &&
    printf '%s' "$out" | grep -q "grid $((3 * w + 4))x$((3 * h + 4)); pipeline: rotate=20"; then
    ok "9 versions in a 3x3 grid: $out"
else
    bad "grid (exit $rc): $out"
fi
"$FOVEA" augment "$IMG" --preview "$T/b.png" --n 9 --seed 3 $FLAGS >/dev/null 2>&1
"$FOVEA" augment "$IMG" --preview "$T/c.png" --n 9 --seed 4 $FLAGS >/dev/null 2>&1
if cmp -s "$T/a.png" "$T/b.png"; then ok "the same seed writes the same grid"; else bad "same seed, different grids"; fi
if ! cmp -s "$T/a.png" "$T/c.png"; then ok "another seed writes another grid"; else bad "seeds 3 and 4 give the same grid"; fi

# expect NAME STATUS PATTERN -- command...: the exit status and a one-line message matching PATTERN
expect() {
    name=$1 want=$2 pattern=$3
    shift 4
    out=$("$@" 2>&1)
    rc=$?
    if [ "$rc" -eq "$want" ] && [ "$(printf '%s\n' "$out" | wc -l)" -eq 1 ] && printf '%s' "$out" | grep -q -- "$pattern"; then
        ok "$name: $out"
    else
        bad "$name (exit $rc, wanted $want and '$pattern'): $out"
    fi
}
expect "bad range" 2 "fovea augment: --zoom '0.9:abc': zoom expects a number or a range LO:HI" -- \
    "$FOVEA" augment "$IMG" --preview "$T/x.png" --zoom 0.9:abc
expect "negative" 2 "fovea augment: --noise '-0.1:0.2': noise range -0.1:0.2 is outside \[0, 1\]" -- \
    "$FOVEA" augment "$IMG" --preview "$T/x.png" --noise=-0.1:0.2
expect "NaN" 2 "fovea augment: --rotate 'nan'" -- "$FOVEA" augment "$IMG" --preview "$T/x.png" --rotate nan
expect "fill mode" 2 "fill expects one of constant|nearest|reflect|wrap" -- \
    "$FOVEA" augment "$IMG" --preview "$T/x.png" --fill mirror
expect "no preview" 2 "give --preview GRID.png" -- "$FOVEA" augment "$IMG" --rotate 10
expect "no image" 1 "fovea augment: .*$T/none.png" -- "$FOVEA" augment "$T/none.png" --preview "$T/x.png"
if [ ! -e "$T/x.png" ]; then ok "nothing written on errors"; else bad "an error wrote $T/x.png"; fi
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
