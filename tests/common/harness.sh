# The shell tests' common checks, sourced by tests/*/test_*.sh: each check prints "ok NAME" or "FAIL NAME ..."
# and counts; the script ends with harness_finish, which prints "N passed, N failed" as the C tests do.
pass=0
fail=0
ok() { pass=$((pass + 1)); echo "ok $1"; }
bad() { fail=$((fail + 1)); echo "FAIL $1"; }
# expect NAME STATUS PATTERN -- command...: the exit status, and the pattern (grep) in stdout and stderr together
expect() {
    name=$1 want=$2 pattern=$3
    shift 4
    out=$("$@" 2>&1)
    rc=$?
    if [ "$rc" -eq "$want" ] && printf '%s\n' "$out" | grep -q -e "$pattern"; then ok "$name"
    else bad "$name (exit $rc, wanted $want and '$pattern'): $(printf '%s' "$out" | tail -n 3)"; fi
}
# harness_skip WHY: the script cannot run here (a missing tool); counts as nothing run
harness_skip() {
    echo "skipped: $1"
    echo "0 passed, 0 failed"
    exit 0
}
harness_finish() {
    echo "$pass passed, $fail failed"
    [ "$fail" -eq 0 ]
}
