#!/bin/sh
# The test command: installs what is missing, then runs the whole suite under the sanitizers.
set -e
cd "$(dirname "$0")/.."
sh scripts/deps.sh
make test
