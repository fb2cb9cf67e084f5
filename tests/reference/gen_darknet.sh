#!/bin/sh
# Darknet's outputs for fovea's Darknet import (tests/io/test_darknet.c): builds darknet_ref.c against Debian's
# libdarknet (apt-get install darknet) and fovea, and writes darknet_<cfg>.fvx for the cfgs below from the cfg
# files in tests/reference/fixtures/darknet/ (copied from the darknet package's /usr/share/darknet/cfg).
# Usage: sh tests/reference/gen_darknet.sh   (after make lib)
set -e
cd "$(dirname "$0")/../.."
OUT=tests/reference/fixtures
LIBS=$(sed -n 's/^LDLIBS *:*= *//p' Makefile)
cc -O2 -Iinclude -Itests/common -I/usr/lib/darknet/include tests/reference/darknet_ref.c build/libfovea.a \
    -L/usr/lib/darknet -ldarknet -Wl,-rpath,/usr/lib/darknet $LIBS -o /tmp/darknet_ref
/tmp/darknet_ref "$OUT/darknet/yolov3-tiny.cfg" /tmp/yolov3-tiny.weights "$OUT/darknet_yolov3-tiny.fvx" 7 0.3
/tmp/darknet_ref "$OUT/darknet/yolov3.cfg" /tmp/yolov3.weights "$OUT/darknet_yolov3.fvx" 101 0.4
