#!/bin/sh
# scripts/deps.sh while another apt holds apt's locks: it waits instead of failing at once. apt-get is a stub
# (nothing is installed) that fails as apt 2.6 does: `update` on the package lists' lock, held for its first two
# calls; `install` on dpkg's lock unless given DPkg::Lock::Timeout=600 (with which the real one waits). The only
# commands on PATH are the stub's, so the script thinks everything is missing. Prints "N passed, N failed".
pass=0
fail=0
T=$(mktemp -d /tmp/fovea_apt.XXXXXX)
trap 'rm -rf "$T"' EXIT
ok() { pass=$((pass + 1)); echo "ok $1"; }
bad() { fail=$((fail + 1)); echo "FAIL $1"; }

mkdir "$T/bin"
for tool in dirname cat; do ln -s "$(command -v $tool)" "$T/bin/$tool"; done
printf '#!/bin/sh\n' > "$T/bin/sleep" # the retries' pauses, skipped
{
    echo '#!/bin/sh'
    echo "log=$T"
    cat <<'STUB'
echo "$*" >> "$log/calls"
case " $* " in
*" update "*)
    n=$(cat "$log/updates" 2>/dev/null || echo 0)
    echo $((n + 1)) > "$log/updates"
    if [ "$n" -lt 2 ]; then
        echo "E: Could not get lock /var/lib/apt/lists/lock. It is held by process 4242 (apt-get)" >&2
        echo "E: Unable to lock directory /var/lib/apt/lists/" >&2
        exit 100
    fi ;;
*" install "*)
    case " $* " in *" DPkg::Lock::Timeout=600 "*) ;; *)
        echo "E: Could not get lock /var/lib/dpkg/lock-frontend. It is held by process 4242 (apt-get)" >&2
        exit 100 ;;
    esac ;;
esac
exit 0
STUB
} > "$T/bin/apt-get"
chmod +x "$T/bin/apt-get" "$T/bin/sleep"

out=$(PATH="$T/bin" /bin/sh scripts/deps.sh --demo 2>&1)
rc=$?
[ "$rc" -eq 0 ] && ok "deps.sh waits out the locks" || bad "deps.sh failed (exit $rc): $(printf '%s' "$out" | tail -n 3)"
case $out in *"waiting up to 600 s for another apt"*) ok "it says it is waiting" ;; *) bad "no word of waiting: $out" ;; esac
updates=$(grep -c "update" "$T/calls" 2>/dev/null)
[ "$updates" = 3 ] && ok "apt-get update retried until the lists' lock was free" || bad "apt-get update ran ${updates:-0} times"
if grep "update" "$T/calls" 2>/dev/null | grep -qv "DPkg::Lock::Timeout=600"; then bad "an update without DPkg::Lock::Timeout=600"
else ok "update given DPkg::Lock::Timeout=600"; fi
grep "install" "$T/calls" 2>/dev/null | grep -q "DPkg::Lock::Timeout=600" && ok "install given DPkg::Lock::Timeout=600" ||
    bad "install: $(grep install "$T/calls" 2>/dev/null)"
# the wait has an end: a lock never released fails, with apt's own message
echo -1000 > "$T/updates"
rm -f "$T/calls"
out=$(PATH="$T/bin" FOVEA_APT_WAIT=20 /bin/sh scripts/deps.sh --demo 2>&1)
rc=$?
[ "$rc" -ne 0 ] && ok "a lock held past the wait fails" || bad "a lock held for ever was waited out"
case $out in *"Could not get lock /var/lib/apt/lists/lock"*) ok "with apt's message" ;; *) bad "no message: $out" ;; esac
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
