#!/bin/sh
# Hostile input through every fovea command that reads files. The corpus (tests/hostile/corpus, made by
# make_corpus.sh; the large files by make_hostile at test time; truncated, bit-flipped, empty and
# directory variants of each valid file made here) covers every format fovea reads: model files, descriptions,
# ONNX, NPY, IDX (plain and gzip), PNG, JPEG, CSV label lists, histories, checkpoints with their optimizer
# state, augmentation specs. Each run is one test, held to this rule:
#   - it ends by itself within 5 s (timeout 5), and not by a signal or a sanitizer's report;
#   - a file that must be refused gives exit status 1 or 2 and exactly one line on stderr that names the file
#     (its path or its name) and says why; a file that may be taken gives 0, or else that one line;
#   - nothing is created or changed, in the scratch directory or beside the inputs, but the outputs the command
#     was asked to write, and those only when it succeeds;
#   - stdout and stderr hold no control bytes but newlines and tabs (no escape sequences from the files), and
#     no line injected by a newline in a file (INJECTED at the start of a line);
#   - "accept" cases (valid but large files) must succeed; "any" cases may succeed or be refused as above;
#   - "warn" cases (non-finite input) succeed and warn on stderr naming the sample; "html" cases write a report
#     with every string from the files escaped and a Content-Security-Policy.
# Prints "N passed, N failed" like the C tests.
FOVEA=${FOVEA:-build/fovea}
case $FOVEA in /*) ;; *) FOVEA=$PWD/$FOVEA ;; esac
GEN=${HOSTILE_GEN:-$(dirname "$FOVEA")/tests/hostile/make_hostile}
HERE=$(cd "$(dirname "$0")" && pwd)
pass=0
fail=0
T=$(mktemp -d /tmp/fovea_hostile.XXXXXX) # the sandbox: inputs in $T/in, each command runs in $T/work
S=$(mktemp -d /tmp/fovea_hostile_state.XXXXXX) # the harness's own files
trap 'chmod -R u+w "$T" 2>/dev/null; rm -rf "$T" "$S"' EXIT

ok() { pass=$((pass + 1)); echo "ok $1"; }
bad() { fail=$((fail + 1)); echo "FAIL $1"; }

if [ ! -x "$FOVEA" ] || [ ! -x "$GEN" ]; then
    echo "FAIL fovea or make_hostile not built ($FOVEA, $GEN)"
    echo "0 passed, 1 failed"
    exit 1
fi

# ---- the sandbox ----------------------------------------------------------------------------------------
I=$T/in
W=$T/work
mkdir -p "$I" "$W"
cp -R "$HERE/corpus/." "$I/"
"$GEN" large "$I" || bad "make_hostile large"
B=$I/base
TINY=$B/tiny.fvm
X=$B/x.npy
IDX=$B/idx
IMGS=$B/images

# Variants of a valid file: empty, cut to 1 byte, to half, less its last byte, one bit flipped near the
# start, in the middle and at the end, and a directory in its place, made in $I/var.
mkdir -p "$I/var"
variants() { # base-file prefix (the variants keep the base's extension: var/PREFIX-cut1.EXT)
    f=$1 p=$2 n=$(wc -c < "$1")
    e=
    case $(basename "$f") in *.*) e=.${f##*.} ;; esac
    : > "$I/var/$p-empty$e"
    head -c 1 "$f" > "$I/var/$p-cut1$e"
    head -c $((n / 2)) "$f" > "$I/var/$p-cuthalf$e"
    head -c $((n - 1)) "$f" > "$I/var/$p-cutlast$e"
    for at in 6 $((n / 2)) $((n - 1)); do
        cp "$f" "$I/var/$p-flip$at$e"
        b=$(od -An -tu1 -j "$at" -N1 "$f" | tr -d ' ')
        printf "\\$(printf %03o $((b ^ 16)))" | dd of="$I/var/$p-flip$at$e" bs=1 seek="$at" conv=notrunc 2>/dev/null
    done
    mkdir -p "$I/var/$p-dir$e"
    settle
}
# Copies of a whole set folder with one file replaced by each variant.
set_variants() { # set-dir file-in-set prefix
    variants "$1/$2" "$3"
    for v in "$I/var/$3"-*; do
        d=$I/var/set-$(basename "$v")
        cp -R "$1" "$d"
        rm -rf "${d:?}/$2"
        cp -R "$v" "$d/$2"
    done
    settle
}

# ---- one run --------------------------------------------------------------------------------------------
export ASAN_OPTIONS="allocator_may_return_null=1:${ASAN_OPTIONS:-}" # a refused allocation is the program's to handle
# Every file's time is set far in the past; a file newer than the marker afterwards was written by the run.
# settle does so for the files just made, and lists the sandbox as it should be after each run.
touch -d @1000000001 "$S/marker"
settle() {
    find "$T" -newer "$S/marker" -exec touch -h -d @1000000000 {} +
    (cd "$T" && find . | LC_ALL=C sort) > "$S/listing"
}
find "$T" -exec touch -h -d @1000000000 {} +
settle

# Checks one finished run; $rc, $S/out, $S/err are its results. Prints the reason of a failure, or nothing.
# (Few processes a run: the suite runs some 500 of them.)
CTL=$(printf '[\001-\010\013-\037\177]')
judge() { # rule names
    rule=$1 names=$2
    if LC_ALL=C grep -q -a -e 'Sanitizer' -e 'runtime error:' -e "$CTL" -e '^INJECTED' "$S/out" "$S/err"; then
        if grep -q 'Sanitizer\|runtime error:' "$S/err"; then
            echo "sanitizer: $(grep -m1 'ERROR\|runtime error:' "$S/err")"
        elif LC_ALL=C grep -q -a "$CTL" "$S/out" "$S/err"; then
            echo "control bytes printed: $(cat "$S/out" "$S/err" | LC_ALL=C grep -a -o -m1 ".\{0,30\}$CTL.\{0,30\}" | head -n 1 | cat -v)"
        else
            echo "a newline from the file was printed raw: $(grep -h -m1 '^INJECTED' "$S/out" "$S/err")"
        fi
        return
    fi
    [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ] && { echo "still running after 5 s"; return; }
    [ "$rc" -ge 128 ] && { echo "killed by signal $((rc - 128))"; return; }
    IFS= read -r line < "$S/err"
    [ "$rc" -gt 2 ] && { echo "exit status $rc: $line"; return; }
    if [ "$rc" -eq 0 ]; then
        case $rule in
            refuse) echo "accepted (exit 0)" ;;
            warn) if ! LC_ALL=C grep -qi 'finite\|nan' "$S/err"; then echo "no warning of a non-finite output"
                  elif ! named "$names" "$(cat "$S/err")"; then echo "the warning does not name the sample: $line"; fi ;;
            html) html_check "$W/r.html" ;;
        esac
        return
    fi
    case $rule in warn | html | accept) echo "refused (exit $rc): $line"; return ;; esac
    lines=0
    while IFS= read -r l; do lines=$((lines + 1)); done < "$S/err"
    [ "$lines" -ne 1 ] && { echo "$lines lines on stderr (exit $rc): $(head -n 3 "$S/err" | tr '\n' '|' | cut -c1-300)"; return; }
    named "$names" "$line" || { echo "the message does not name the file: $line"; return; }
    # and says why: some words beside the program's name and the file's
    rest=${line#fovea*: }
    rest=${rest%%"$matched"*}${rest#*"$matched"}
    [ ${#rest} -ge 12 ] || echo "the message gives no reason: $line"
}

# Whether the text holds one of the |-separated names (the one found in $matched).
named() { # names text
    old_ifs=$IFS
    IFS='|'
    for matched in $1; do
        case $2 in *"$matched"*) IFS=$old_ifs; return 0 ;; esac
    done
    IFS=$old_ifs
    return 1
}

html_check() {
    [ -f "$1" ] || { echo "no report written"; return; }
    if LC_ALL=C grep -q '<img src=x\|<script>alert\|<svg onload' "$1"; then
        echo "markup from the files is in the report unescaped: $(LC_ALL=C grep -o -m1 '.\{0,20\}\(<img src=x\|<script>alert\|<svg onload\).\{0,20\}' "$1" | head -n 1)"
    elif ! grep -qi 'Content-Security-Policy' "$1"; then
        echo "no Content-Security-Policy in the report"
    fi
}

# Whether ./PATH is one of the allowed outputs: a name in the scratch directory (or under it, for a folder), or
# a ./in/... path given as such (an input that is also an output, like a history that a resumed run extends).
allowed_out() {
    for a in $allowed; do
        case $1 in ./work/"$a" | ./work/"$a"/* | "$a") return 0 ;; esac
    done
    return 1
}

# Files the run created or changed outside the allowed outputs (any, when it failed), and files it removed;
# then the sandbox is put back as it was: outputs and stray files removed, times reset. The sandbox is listed
# with its files written since the marker tagged "+", so that one comparison covers the usual case.
changes() { # outs
    (cd "$T" && find . ! -type d -newer "$S/marker" -printf '+%p\n' -o -printf '%p\n' | LC_ALL=C sort) > "$S/listing2"
    cmp -s "$S/listing" "$S/listing2" && return
    allowed=$1
    [ "$rc" -ne 0 ] && allowed=
    sed 's/^+//' "$S/listing2" | LC_ALL=C sort > "$S/listing3"
    LC_ALL=C comm -13 "$S/listing" "$S/listing3" > "$S/new"
    sed -n 's/^+//p' "$S/listing2" | LC_ALL=C comm -23 - "$S/new" > "$S/changed"
    while read -r f; do allowed_out "$f" || printf ' created %s' "${f#./}"; done < "$S/new"
    while read -r f; do allowed_out "$f" || printf ' changed %s' "${f#./}"; done < "$S/changed"
    LC_ALL=C comm -23 "$S/listing" "$S/listing3" | while read -r f; do printf ' removed %s' "${f#./}"; done
    while read -r f; do rm -rf "${T:?}/$f"; done < "$S/new"
    mkdir -p "$W"
    (cd "$T" && find . -newer "$S/marker" -exec touch -h -d @1000000000 {} +)
    (cd "$T" && find . | LC_ALL=C sort) > "$S/listing" # what was removed stays so
}

# hostile RULE NAMES OUTS -- fovea args...: one test. RULE: refuse, any, warn or html. NAMES: what the message
# must name, |-separated. OUTS: the outputs the command is asked to write (relative to the scratch directory),
# space-separated, or -. A file that hung once is not run again (each later run counts as failed) so that a
# hang costs 5 s once.
hung=
hostile() {
    rule=$1 names=$2 outs=$3
    shift 4
    label=
    for a in "$@"; do a=${a#"$I"/}; label="$label ${a#"$W"/}"; done
    case $label in *[![:print:]]*) label=$(printf '%s' "$label" | LC_ALL=C tr -c '[:print:]' '?') ;; esac
    label=${label# }
    if [ -n "$hung" ] && [ "$names" = "$hung" ]; then
        bad "$label: not run: the file hung an earlier command"
        return
    fi
    (cd "$W" && exec timeout -k 2 5 "$FOVEA" "$@" > "$S/out" 2> "$S/err" < /dev/null)
    rc=$?
    if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then hung=$names; fi
    why="$(judge "$rule" "$names")$(changes "$outs")"
    if [ -z "$why" ]; then ok "$label"; else bad "$label: ${why# }"; fi
}

# The name to look for: the path as given or the file's name.
nm() { printf '%s|%s' "$1" "$(basename "$1")"; }

# ---- the commands that read each kind of file -----------------------------------------------------------
# A model (model file, description or ONNX). all: every command that reads one; else the usual three.
model_readers() { # rule file all|some
    r=$1 f=$2 n=$(nm "$2")
    hostile "$r" "$n" - -- summary "$f"
    hostile "$r" "$n" y.npy -- run "$f" --input "$X" --output y.npy
    hostile "$r" "$n" "out.onnx out.fvm" -- convert "$f" "$(case $f in *.onnx) echo out.fvm ;; *) echo out.onnx ;; esac)"
    [ "$3" = all ] || return 0
    hostile "$r" "$n" - -- predict "$f" "$X"
    hostile "$r" "$n" - -- evaluate "$f" --data "$IDX"
    hostile "$r" "$n" f.npy -- features "$f" --data "$IDX" --out f.npy
    hostile "$r" "$n" fm.png -- featuremaps "$f" --data "$IDX" --index 0 --out fm.png
    hostile "$r" "$n" g.png -- gradcam "$f" --data "$IDX" --index 0 --out g.png
    hostile "$r" "$n" p.png -- patches "$f" --data "$IDX" --limit 12 --n 4 --out p.png
    hostile "$r" "$n" r.html -- report "$f" --data "$IDX" --out r.html
    hostile "$r" "$n" t.fvm -- train --model "$f" --data "$IDX" --epochs 1 --batch 4 --out t.fvm --quiet
    case $f in *.fvd) ;; *)
        hostile "$r" "$n" t.fvm -- train --model "$B/tiny.fvd" --weights "$f" --data "$IDX" --epochs 1 --batch 4 --out t.fvm --quiet
        hostile "$r" "$n" w.fvm -- convert "$B/tiny.fvd" w.fvm --weights "$f" ;;
    esac
}

# Resuming from a checkpoint, with the flags it was made with (make_corpus.sh).
resume() { # rule file
    hostile "$1" "$(nm "$2")" t.fvm -- train --model "$B/tiny.fvd" --data "$IDX" --epochs 3 --batch 4 --seed 1 \
        --validation-split 0.25 --early-stopping 3 --resume "$2" --out t.fvm --quiet
}

# Resuming with a history to extend (read first, to check its header and find its last epoch).
resume_history() { # rule history
    hostile "$1" "$(nm "$2")" "t.fvm ./in/${2#"$I"/}" -- train --model "$B/tiny.fvd" --data "$IDX" --epochs 3 --batch 4 \
        --seed 1 --validation-split 0.25 --early-stopping 3 --resume "$B/ckpt.fvm" --history "$2" --out t.fvm --quiet
}

# A batch (.npy).
npy_readers() { # rule file [rule-of-the-image-commands]
    r=$1 f=$2 n=$(nm "$2")
    hostile "$r" "$n" y.npy -- run "$TINY" --input "$f" --output y.npy
    hostile "$r" "$n" - -- predict "$TINY" "$f"
    hostile "${3:-$r}" "$n" g.png -- gradcam "$TINY" "$f" --out g.png
    hostile "${3:-$r}" "$n" fm.png -- featuremaps "$TINY" "$f" --out fm.png
}

# A data set (IDX folder, image folder or CSV). all: every command that reads one.
data_readers() { # rule names set all|some
    r=$1 n=$2 d=$3
    hostile "$r" "$n" t.fvm -- train --model "$B/tiny.fvd" --data "$d" --epochs 1 --batch 4 --out t.fvm --quiet
    hostile "$r" "$n" - -- evaluate "$TINY" --data "$d"
    [ "$4" = all ] || return 0
    hostile "$r" "$n" - -- predict "$TINY" --data "$d" --index 0
    hostile "$r" "$n" f.npy -- features "$TINY" --data "$d" --out f.npy
    hostile "$r" "$n" fm.png -- featuremaps "$TINY" --data "$d" --index 0 --out fm.png
    hostile "$r" "$n" g.png -- gradcam "$TINY" --data "$d" --index 0 --out g.png
    hostile "$r" "$n" p.png -- patches "$TINY" --data "$d" --limit 12 --n 4 --out p.png
    hostile "$r" "$n" r.html -- report "$TINY" --data "$d" --out r.html
    hostile "$r" "$n" t.fvm -- train --model "$B/tiny.fvd" --data "$IDX" --validation "$d" --epochs 1 --batch 4 --out t.fvm --quiet
}

# An image: alone (augment), and in an image folder (inspect lists it; a strict training refuses it).
image_readers() { # rule file
    r=$1 f=$2 n=$(nm "$2")
    d=$I/imgset-$(basename "$f")
    cp -R "$IMGS" "$d" && rm -f "$d/labels.csv" && cp -R "$f" "$d/bag/$(basename "$f")"
    case $f in *.jpg | *.png) ;; *) mv "$d/bag/$(basename "$f")" "$d/bag/$(basename "$f").png" && n="$n|$(basename "$f").png" ;; esac
    settle
    hostile "$r" "$n" p.png -- augment "$f" --preview p.png --n 2
    hostile any "$n" - -- data inspect "$d"
    hostile "$r" "$n" t.fvm -- train --model "$B/tiny.fvd" --data "$d" --strict --epochs 1 --batch 4 --out t.fvm --quiet
}

# ---- model files, descriptions, ONNX ----------------------------------------------------------------------
echo "# models"
model_readers refuse "$I/onnx-reshape-gather.onnx" all
model_readers refuse "$I/fvm-nan-weight.fvm" all
model_readers refuse "$I/fvm-wrap-tensor.fvm" all
model_readers refuse "$I/fvd-comma-shape.fvd" all
model_readers any "$I/fvm-meta-escape.fvm" all
for f in "$I"/onnx-*.onnx "$I"/fvm-*.fvm "$I"/fvd-*.fvd; do
    case $f in */onnx-reshape-gather.onnx | */fvm-nan-weight.fvm | */fvm-wrap-tensor.fvm | */fvd-comma-shape.fvd | */fvm-meta-escape.fvm) continue ;; esac
    case $f in */fvm-markup-classes.fvm | */fvm-seven-classes.fvm | */fvm-norm-nan.fvm | */fvd-duplicate-names.fvd | */fvd-long-name.fvd | */fvd-wide-concat.fvd | */fvd-escape-name.fvd) r=any ;; *) r=refuse ;; esac
    model_readers $r "$f" some
done
# 4,000 unnamed layers in each format load within the 5 s (the issue's bar: 100,000 in under 2 s)
for f in "$I"/relu4000.fvd "$I"/relu4000.fvm "$I"/relu4000.onnx; do hostile accept "$(nm "$f")" - -- summary "$f"; done
# the class names must match the model's outputs before training starts
hostile refuse "$(nm "$I/fvm-seven-classes.fvm")" t.fvm -- train --model "$I/fvm-seven-classes.fvm" --data "$IDX" --epochs 1 --batch 4 --out t.fvm --quiet
# the report escapes class names from the model
hostile html - r.html -- report "$I/fvm-markup-classes.fvm" --data "$I/idx-markup" --out r.html

echo "# checkpoints"
for f in "$I"/ckpt-*.fvm; do resume refuse "$f"; done
resume accept "$B/ckpt.fvm"

echo "# truncated, flipped, empty and directory model files"
variants "$TINY" fvm
variants "$B/tiny.onnx" onnx
variants "$B/tiny.fvd" fvd
variants "$B/ckpt.fvm" ckpt
for v in "$I"/var/fvm-*; do model_readers refuse "$v" some; done
for v in "$I"/var/onnx-*; do
    case $v in *-flip*) model_readers any "$v" some ;; *) model_readers refuse "$v" some ;; esac
done
for v in "$I"/var/fvd-*; do
    case $v in *-empty* | *-dir*) r=refuse ;; *) r=any ;; esac
    hostile $r "$(nm "$v")" - -- summary "$v"
    hostile $r "$(nm "$v")" t.fvm -- train --model "$v" --data "$IDX" --epochs 1 --batch 4 --out t.fvm --quiet
done
for v in "$I"/var/ckpt-*; do resume refuse "$v"; done
model_readers refuse "$I/nothere.fvm" some

# ---- batches -----------------------------------------------------------------------------------------------
echo "# npy"
hostile refuse "$(nm "$X")" g.png -- gradcam "$TINY" "$X" --out g.png
npy_readers refuse "$I/npy-int32.npy"
npy_readers warn "$I/npy-nan.npy" any
npy_readers warn "$I/npy-inf.npy" any
for f in "$I"/npy-*.npy; do
    case $f in */npy-int32.npy | */npy-nan.npy | */npy-inf.npy) continue ;; esac
    hostile refuse "$(nm "$f")" y.npy -- run "$TINY" --input "$f" --output y.npy
    hostile refuse "$(nm "$f")" - -- predict "$TINY" "$f"
done
variants "$X" npy
for v in "$I"/var/npy-*; do
    case $v in *-flip*) r=any ;; *) r=refuse ;; esac
    hostile $r "$(nm "$v")" y.npy -- run "$TINY" --input "$v" --output y.npy
    hostile $r "$(nm "$v")" - -- predict "$TINY" "$v"
done

# ---- data sets -------------------------------------------------------------------------------------------------
echo "# idx"
data_readers refuse "idx-wrap-dims|train-images-idx3-ubyte|t10k-images-idx3-ubyte" "$I/idx-wrap-dims" all
hostile refuse "idx-wrap-dims|train-images-idx3-ubyte" out -- data export "$I/idx-wrap-dims" out
for d in "$I"/idx-*; do
    case $d in */idx-wrap-dims | */idx-markup) continue ;; esac
    data_readers refuse "$(basename "$d")|-images-idx3-ubyte|-labels-idx1-ubyte" "$d" some
done
hostile refuse "idx-huge-dims|train-images-idx3-ubyte" out -- data export "$I/idx-huge-dims" out
set_variants "$IDX" train-images-idx3-ubyte idx
for v in "$I"/var/set-idx-*; do
    case $v in *-flip*) r=any ;; *) r=refuse ;; esac
    hostile $r "train-images-idx3-ubyte" t.fvm -- train --model "$B/tiny.fvd" --data "$v" --epochs 1 --batch 4 --out t.fvm --quiet
done
mkdir -p "$I/idxgz"
for f in "$IDX"/*; do gzip -c "$f" > "$I/idxgz/$(basename "$f").gz"; done
settle
set_variants "$I/idxgz" t10k-labels-idx1-ubyte.gz idxgz
for v in "$I"/var/set-idxgz-*; do
    case $v in *-flip*) r=any ;; *) r=refuse ;; esac
    hostile $r "t10k-labels-idx1-ubyte" - -- evaluate "$TINY" --data "$v"
done
hostile refuse "$(nm "$TINY")" t.fvm -- train --model "$B/tiny.fvd" --data "$TINY" --epochs 1 --out t.fvm --quiet

echo "# label lists"
data_readers refuse "$(nm "$I/csv-mixed-labels.csv")" "$I/csv-mixed-labels.csv" all
data_readers refuse "$(nm "$I/csv-nul.csv")" "$I/csv-nul.csv" some
hostile refuse "$(nm "$I/csv-nul.csv")" - -- data inspect "$I/csv-nul.csv"
hostile html - r.html -- report "$I/fvm-markup-classes.fvm" --data "$I/csv-markup.csv" --out r.html
hostile any "$(nm "$I/csv-markup.csv")" - -- data inspect "$I/csv-markup.csv"
hostile refuse "$(nm "$I/csv-escape-label.csv")" t.fvm -- train --model "$B/tiny.fvd" --data "$I/csv-escape-label.csv" --epochs 1 --batch 4 --out t.fvm --quiet
hostile any "$(nm "$I/csv-escape-label.csv")" - -- data inspect "$I/csv-escape-label.csv"
for f in "$I"/csv-missing-file.csv "$I"/csv-directory-entry.csv "$I"/csv-not-image.csv; do
    hostile refuse "$(nm "$f")|nothere.png|base/images/bag|x.npy" t.fvm -- train --model "$B/tiny.fvd" --data "$f" --strict --epochs 1 --batch 4 --out t.fvm --quiet
    hostile any "$(nm "$f")" - -- data inspect "$f"
done
hostile refuse "$(nm "$I/csv-long-line.csv")" - -- data inspect "$I/csv-long-line.csv"
hostile accept "$(nm "$I/csv-20000-classes.csv")" - -- data inspect --quick-scan "$I/csv-20000-classes.csv"
sed "s#^#$IMGS/#" "$IMGS/labels.csv" > "$I/labels.csv" # absolute paths: the variants are elsewhere
variants "$I/labels.csv" csv
for v in "$I"/var/csv-*; do
    case $v in *-empty* | *-dir*) r=refuse ;; *) r=any ;; esac
    hostile $r "$(nm "$v")" t.fvm -- train --model "$B/tiny.fvd" --data "$v" --epochs 1 --batch 4 --out t.fvm --quiet
    hostile $r "$(nm "$v")" - -- data inspect "$v"
done

# ---- images ---------------------------------------------------------------------------------------------------
echo "# images"
for f in "$I"/png-*.png "$I"/jpeg-*.jpg; do image_readers refuse "$f"; done
variants "$IMGS/ankle/0.png" png
variants "$IMGS/ankle/2.jpg" jpg
for v in "$I"/var/png-* "$I"/var/jpg-*; do
    case $v in *-flip* | */jpg-cuthalf* | */jpg-cutlast*) r=any ;; *) r=refuse ;; esac
    image_readers $r "$v"
done

# ---- histories ------------------------------------------------------------------------------------------------
echo "# histories"
for f in "$I"/hist-*.csv; do
    case $f in */hist-binary.csv | */hist-nul.csv) r=refuse ;; */hist-markup.csv) r=html ;; *) r=any ;; esac
    hostile $r "$(nm "$f")" r.html -- report "$TINY" --data "$IDX" --history "$f" --out r.html
    case $r in html) r=any ;; esac
    resume_history $r "$f"
done
variants "$B/history.csv" hist
for v in "$I"/var/hist-*; do
    case $v in *-empty* | *-dir* | *-cut1*) r=refuse ;; *) r=any ;; esac
    hostile $r "$(nm "$v")" r.html -- report "$TINY" --data "$IDX" --history "$v" --out r.html
    case $v in *-dir* | *-cut1*) r=refuse ;; *) r=any ;; esac
    resume_history $r "$v"
done

# ---- augmentation specs ---------------------------------------------------------------------------------------
echo "# augmentation specs"
tab=$(printf '\t')
while IFS=$tab read -r r spec; do
    hostile $r "$spec|augment spec|--augment" p.png -- augment "$IMGS/ankle/0.png" --augment "$spec" --preview p.png --n 2
    hostile $r "$spec|augment spec|--augment" t.fvm -- train --model "$B/tiny.fvd" --data "$IMGS" --augment "$spec" --epochs 1 --batch 4 --out t.fvm --quiet
done < "$I/augment-specs.txt"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
