#!/bin/sh
# The test command: installs what is missing, runs the whole suite under the sanitizers, then every fuzz target
# for 20 seconds with libFuzzer under ASan and UBSan (two at a time; a few minutes in all).
set -e
cd "$(dirname "$0")/.."
sh scripts/deps.sh
make test
make fuzz FUZZ_SECONDS=20 FUZZ_JOBS=2
