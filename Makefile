# fovea: `make` builds build/libfovea.a; `make test` builds and runs the test suite under AddressSanitizer,
# LeakSanitizer and UndefinedBehaviorSanitizer; `make fixtures` regenerates the reference fixtures (needs
# python3-torch).
CC      ?= cc
CFLAGS  ?= -O2 -g
WARN    := -std=c11 -Wall -Wextra -Wshadow -Wstrict-prototypes -Wno-unused-parameter -D_POSIX_C_SOURCE=200809L
CPPFLAGS := -Iinclude
LDLIBS  := -lz -lm

SRCS := $(shell find src -name '*.c' | sort)
TEST_COMMON := $(sort $(wildcard tests/common/*.c))
TEST_SRCS := $(sort $(wildcard tests/*/test_*.c))

BUILD ?= build
OBJS := $(SRCS:%.c=$(BUILD)/obj/%.o)
LIB := $(BUILD)/libfovea.a
TEST_BINS := $(TEST_SRCS:tests/%.c=$(BUILD)/tests/%)
TEST_COMMON_OBJS := $(TEST_COMMON:%.c=$(BUILD)/obj/%.o)

SAN_FLAGS := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined

.PHONY: all lib test test-fast fixtures clean demo
.SECONDARY:

all: lib

lib: $(LIB)

$(LIB): $(OBJS)
	@mkdir -p $(dir $@)
	rm -f $@
	ar rcs $@ $^

$(BUILD)/obj/%.o: %.c $(shell find include src -name '*.h') $(wildcard tests/common/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(WARN) $(CFLAGS) -c $< -o $@

$(BUILD)/tests/%: tests/%.c $(TEST_COMMON_OBJS) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) -Itests/common $(WARN) $(CFLAGS) $< $(TEST_COMMON_OBJS) $(LIB) $(LDLIBS) -o $@

test-bins: $(TEST_BINS)

# The suite as CI runs it: everything under the sanitizers.
test:
	$(MAKE) BUILD=build/san CFLAGS="$(SAN_FLAGS)" LDLIBS="$(LDLIBS) -fsanitize=address,undefined" test-bins
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1 \
		sh tests/run_tests.sh build/san/tests

# The same suite, optimized and without sanitizers (quicker while developing).
test-fast: test-bins
	sh tests/run_tests.sh $(BUILD)/tests

fixtures:
	/usr/bin/python3 tests/reference/make_fixtures.py tests/reference/fixtures

clean:
	rm -rf build

# The demo: FMNIST-CNN trained by the engine on a slice of Fashion-MNIST (examples/demo.sh installs the data).
$(BUILD)/examples/%: examples/%.c $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(WARN) $(CFLAGS) $< $(LIB) $(LDLIBS) -o $@

demo:
	sh examples/demo.sh
