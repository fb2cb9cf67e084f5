# fovea: `make` builds build/libfovea.a; `make test` builds and runs the test suite under AddressSanitizer,
# LeakSanitizer and UndefinedBehaviorSanitizer; `make fixtures` regenerates the reference fixtures (needs
# python3-torch).
CC      ?= cc
CFLAGS  ?= -O2 -g
WARN    := -std=c11 -Wall -Wextra -Wshadow -Wstrict-prototypes -Wno-unused-parameter -D_POSIX_C_SOURCE=200809L
CPPFLAGS := -Iinclude
# Threads come from fovea's own pool (src/core/pool.c); OpenMP only marks loops to vectorize (omp simd), so no
# OpenMP runtime is linked.
OMP     := -fopenmp-simd
LDLIBS  := -lpng -ljpeg -lz -lm -pthread -lprotobuf-c -llinear -lsvm -lxgboost

SRCS := $(shell find src -name '*.c' -not -path 'src/cli/*' | sort)
CLI_SRCS := $(sort $(wildcard src/cli/*.c))
TEST_COMMON := $(sort $(wildcard tests/common/*.c))
TEST_SRCS := $(sort $(wildcard tests/*/test_*.c))

BUILD ?= build
OBJS := $(SRCS:%.c=$(BUILD)/obj/%.o)
LIB := $(BUILD)/libfovea.a
TEST_BINS := $(TEST_SRCS:tests/%.c=$(BUILD)/tests/%)
TEST_COMMON_OBJS := $(TEST_COMMON:%.c=$(BUILD)/obj/%.o)
CLI_OBJS := $(CLI_SRCS:%.c=$(BUILD)/obj/%.o)
FOVEA := $(BUILD)/fovea

# ONNX interchange (src/io/onnx_*.c) reads and writes protobuf with protobuf-c: the C code of ONNX's messages is
# generated at build time by protoc-c from third_party/onnx/onnx.proto (ONNX's own schema).
ONNX_GEN := $(BUILD)/gen/onnx
ONNX_OBJS := $(patsubst %.c,$(BUILD)/obj/%.o,$(wildcard src/io/onnx_*.c))
OBJS += $(BUILD)/obj/gen/onnx.pb-c.o

# GCC's "undefined" leaves out float-cast-overflow (a double of 1e300 or NaN cast to int): named here.
SAN_FLAGS := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined,float-cast-overflow \
             -fno-sanitize-recover=undefined,float-cast-overflow

.PHONY: all lib cli test test-fast fixtures clean demo install bench fuzz fuzz-bins FORCE
.SECONDARY:

all: lib cli

lib: $(LIB)

cli: $(FOVEA)

# The command-line program: src/cli on top of the library.
$(FOVEA): $(CLI_OBJS) $(LIB)
	$(CC) $(CFLAGS) $(CLI_OBJS) $(LIB) $(LDLIBS) -o $@

$(LIB): $(OBJS)
	@mkdir -p $(dir $@)
	rm -f $@
	ar rcs $@ $^

# The compiler and flags the objects of $(BUILD) were built with: rewritten only when they change, so that a
# change of flags (the sanitizers' list in SAN_FLAGS, say) rebuilds every object instead of keeping stale ones.
FLAGS_STAMP := $(BUILD)/.flags
$(FLAGS_STAMP): FORCE
	@mkdir -p $(dir $@)
	@echo '$(CC) $(CFLAGS) $(LDLIBS)' | cmp -s - $@ || echo '$(CC) $(CFLAGS) $(LDLIBS)' > $@
FORCE:

$(BUILD)/obj/%.o: %.c $(shell find include src -name '*.h') $(wildcard tests/common/*.h) $(FLAGS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(WARN) $(OMP) $(CFLAGS) -c $< -o $@

# The protobuf-c code of ONNX's messages (generated code: compiled without the warning flags).
$(ONNX_GEN)/onnx.pb-c.c $(ONNX_GEN)/onnx.pb-c.h &: third_party/onnx/onnx.proto
	@mkdir -p $(ONNX_GEN)
	protoc-c --proto_path=third_party/onnx --c_out=$(ONNX_GEN) onnx.proto
$(BUILD)/obj/gen/onnx.pb-c.o: $(ONNX_GEN)/onnx.pb-c.c $(FLAGS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) -I$(ONNX_GEN) $(CFLAGS) -c $< -o $@
$(ONNX_OBJS): $(ONNX_GEN)/onnx.pb-c.h
$(ONNX_OBJS): CPPFLAGS += -I$(ONNX_GEN)

# Tests of the CLI's own pieces (tests/cli) link its objects too, all but main.
$(BUILD)/tests/cli/%: tests/cli/%.c $(TEST_COMMON_OBJS) $(filter-out %/main.o,$(CLI_OBJS)) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) -Isrc/cli -Itests/common $(WARN) $(CFLAGS) $< $(TEST_COMMON_OBJS) $(filter-out %/main.o,$(CLI_OBJS)) $(LIB) $(LDLIBS) -o $@

$(BUILD)/tests/%: tests/%.c $(TEST_COMMON_OBJS) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) -Itests/common $(WARN) $(CFLAGS) $< $(TEST_COMMON_OBJS) $(LIB) $(LDLIBS) -o $@
# the suite's fuzz tests include their libFuzzer targets' sources
$(patsubst tests/%.c,$(BUILD)/tests/%,$(wildcard tests/fuzz/test_*.c)): $(wildcard tests/fuzz/fuzz_*.c tests/fuzz/*.h)

# The generator of tests/hostile's files (test_hostile.sh runs it for the large ones).
HOSTILE_GEN := $(BUILD)/tests/hostile/make_hostile
$(HOSTILE_GEN): tests/hostile/make_hostile.c tests/onnx/pb.h $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) -Itests/onnx $(WARN) $(CFLAGS) $< $(LIB) $(LDLIBS) -o $@

test-bins: $(TEST_BINS) $(FOVEA) $(HOSTILE_GEN)

# The suite as CI runs it: everything under the sanitizers.
test:
	$(MAKE) BUILD=build/san CFLAGS="$(SAN_FLAGS)" LDLIBS="$(LDLIBS) -fsanitize=address,undefined,float-cast-overflow" test-bins
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1 \
		sh tests/run_tests.sh build/san/tests

# The same suite, optimized and without sanitizers (quicker while developing).
test-fast: test-bins
	sh tests/run_tests.sh $(BUILD)/tests

# Fuzzing with clang's libFuzzer under ASan and UBSan: each tests/fuzz/fuzz_<name>.c is linked against a clang
# build of the library (build/fuzz) and run FUZZ_SECONDS seconds on a copy of tests/fuzz/corpus/<name>,
# FUZZ_JOBS targets at a time (tests/fuzz/run.sh); any crash, leak, sanitizer report, timeout or out-of-memory
# fails. `make fuzz FUZZ_TARGETS="onnx npy"` runs some of them.
FUZZ_SECONDS ?= 60
FUZZ_JOBS ?= 2
FUZZ_TARGETS ?= $(patsubst tests/fuzz/fuzz_%.c,%,$(sort $(wildcard tests/fuzz/fuzz_*.c)))
FUZZ_CFLAGS := -g -O1 -fno-omit-frame-pointer -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined \
               -Wno-pass-failed -Wno-missing-field-initializers
FUZZ_BINS := $(FUZZ_TARGETS:%=build/fuzz/fuzz_%)

fuzz-bins:
	$(MAKE) BUILD=build/fuzz CC=clang CFLAGS="$(FUZZ_CFLAGS)" $(FUZZ_BINS)

build/fuzz/fuzz_%: tests/fuzz/fuzz_%.c build/fuzz/libfovea.a
	clang $(CPPFLAGS) -Isrc $(WARN) -g -O1 -fno-omit-frame-pointer -fsanitize=fuzzer,address,undefined \
		-fno-sanitize-recover=undefined $< build/fuzz/libfovea.a $(LDLIBS) -o $@

fuzz: fuzz-bins
	sh tests/fuzz/run.sh $(FUZZ_SECONDS) $(FUZZ_JOBS) $(FUZZ_TARGETS)

fixtures:
	/usr/bin/python3 tests/reference/make_fixtures.py tests/reference/fixtures

clean:
	rm -rf build

# The C examples, and the demo: FMNIST-CNN trained, evaluated and used by the fovea program (examples/demo.sh).
$(BUILD)/examples/%: examples/%.c $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(WARN) $(CFLAGS) $< $(LIB) $(LDLIBS) -o $@

demo:
	sh examples/demo.sh

# Side-by-side benchmarks against the references (bench/run.sh; PyTorch rows need python3-torch).
bench: lib
	sh bench/run.sh

# Installs the library, its headers, the fovea program and a pkg-config file under PREFIX (DESTDIR for
# staging), so that programs build with `cc app.c $(pkg-config --cflags --libs fovea)`.
PREFIX ?= /usr/local
install: lib cli
	mkdir -p $(DESTDIR)$(PREFIX)/lib/pkgconfig $(DESTDIR)$(PREFIX)/include/fovea $(DESTDIR)$(PREFIX)/bin
	cp $(LIB) $(DESTDIR)$(PREFIX)/lib/
	cp include/fovea.h $(DESTDIR)$(PREFIX)/include/
	cp include/fovea/*.h $(DESTDIR)$(PREFIX)/include/fovea/
	cp $(FOVEA) $(DESTDIR)$(PREFIX)/bin/
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBS@|$(LDLIBS)|' fovea.pc.in > $(DESTDIR)$(PREFIX)/lib/pkgconfig/fovea.pc
