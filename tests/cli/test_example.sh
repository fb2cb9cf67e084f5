#!/bin/sh
# The README's C example, taken from README.md itself, built against an installed fovea with
# `pkg-config fovea` and run: it must train, save a model file, and that file must load.
pass=0
fail=0
T=$(mktemp -d /tmp/fovea_example.XXXXXX)
trap 'rm -rf "$T"' EXIT
ok() { pass=$((pass + 1)); echo "ok $1"; }
bad() { fail=$((fail + 1)); echo "FAIL $1"; }

sed -n '/<!-- example: begin -->/,/<!-- example: end -->/p' README.md | sed '1,2d;$d' | sed '$d' > "$T/example.c"
cmp -s "$T/example.c" examples/train.c && ok "README example is examples/train.c" || bad "README example differs from examples/train.c"
if make -s install PREFIX="$T/prefix" >"$T/install.log" 2>&1; then ok "make install"; else bad "make install: $(tail -n 3 "$T/install.log")"; fi
flags=$(PKG_CONFIG_PATH="$T/prefix/lib/pkgconfig" pkg-config --cflags --libs fovea 2>&1)
if cc -std=c11 -Wall -Wextra -O2 "$T/example.c" -o "$T/example" $flags >"$T/cc.log" 2>&1; then
    ok "example builds with pkg-config fovea"
else
    bad "example does not build: $(head -n 5 "$T/cc.log")"
fi
out=$(cd "$T" && ./example 2>&1)
case $out in
    *"val_accuracy 0."*"saved example.fvm"*) ok "example trains: $out" ;;
    *) bad "example run: $out" ;;
esac
"$T/prefix/bin/fovea" summary "$T/example.fvm" >/dev/null 2>&1 && ok "its model file loads" || bad "its model file does not load"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
