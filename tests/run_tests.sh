#!/bin/sh
# Runs every test binary under a directory and every shell test in tests/, from the repository root, and
# prints the totals. Each binary
# prints its own last line "N passed, N failed"; a binary that crashes or exits non-zero counts as failed.
dir=${1:-build/tests}
total_pass=0
total_fail=0
status=0
# Shell tests (tests/*/test_*.sh) drive the fovea program built beside the test binaries.
FOVEA=$(cd "$dir/.." && pwd)/fovea
export FOVEA
for bin in $(find "$dir" -type f -perm -u+x -name 'test_*' | sort) $(find tests -name 'test_*.sh' | sort); do
    name=${bin#"$dir"/}
    start=$(date +%s)
    case $bin in
        *.sh) out=$(sh "$bin" 2>&1) ;;
        *) out=$("$bin" 2>&1) ;;
    esac
    rc=$?
    secs=$(( $(date +%s) - start ))
    last=$(printf '%s\n' "$out" | grep -E '^[0-9]+ passed, [0-9]+ failed' | tail -n 1)
    p=$(printf '%s' "$last" | sed -n 's/^\([0-9]*\) passed.*/\1/p')
    f=$(printf '%s' "$last" | sed -n 's/.* \([0-9]*\) failed.*/\1/p')
    p=${p:-0}
    f=${f:-0}
    if [ $rc -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
    if [ $rc -ne 0 ] || [ "$f" -ne 0 ]; then
        status=1
        printf '%s\n' "$out" | grep -v '^ok ' | tail -n 60
        echo "FAIL $name ($p passed, $f failed, exit $rc, ${secs}s)"
    else
        echo "ok   $name ($p passed, ${secs}s)"
    fi
    total_pass=$((total_pass + p))
    total_fail=$((total_fail + f))
done
echo "$total_pass passed, $total_fail failed"
exit $status
