#!/bin/sh
# The test command: installs what is missing, runs the whole suite under the sanitizers, then every fuzz target
# for 20 seconds with libFuzzer under ASan and UBSan (two at a time; a few minutes in all). The builds run one
# job per core (the tests themselves run one after another).
set -e
cd "$(dirname "$0")/.."
sh scripts/deps.sh
jobs=$(nproc 2>/dev/null || echo 2)
make -j"$jobs" test
make -j"$jobs" fuzz FUZZ_SECONDS=20 FUZZ_JOBS=2
