# pickaxe — one entry point: make, make test, make demo, make bench.
#
# Sources are found by directory, so adding a module is adding a file:
#   src/ miner/ net/ wallet-web/   *.c       -> build/libpickaxe.a
#   any directory                  NAME_main.c -> build/pickaxe-NAME
#   tests/                         test_X.c   -> build/tests/test_X (Criterion)
# Every library source is also built with AddressSanitizer and
# UndefinedBehaviorSanitizer (build/asan/) for the unit tests, and with
# ThreadSanitizer (build/tsan/) for the tests listed in TSAN_TESTS, and
# with clang's libFuzzer instrumentation plus ASan and UBSan (build/fuzz/)
# for the fuzz harnesses tests/fuzz/fuzz_X.c -> build/fuzz/fuzz_X.

BUILD    := build
CC       ?= cc
CSTD     := -std=c11
WARN     := -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes \
            -Wmissing-prototypes -Wformat=2 -Wundef -Wvla -Werror
OPT      ?= -O2 -g
CPPFLAGS := -D_GNU_SOURCE -Isrc -Iminer -Inet -Iwallet-web -MMD -MP
CFLAGS   := $(CSTD) $(WARN) $(OPT) -pthread
LDLIBS   := -Wl,--as-needed -lsecp256k1 -lcrypto -lsqlite3 -ljansson \
            -lczmq -lzmq -lhwloc -lmicrohttpd -lpthread -lm
TESTLIBS := -lcriterion

ASAN_FLAGS := -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer \
              -fno-sanitize-recover=all
TSAN_FLAGS := -O1 -g -fsanitize=thread

# Fuzz harnesses: clang and libFuzzer (tests/fuzz/fuzz.h says what they check).
# The library objects get the coverage instrumentation without libFuzzer's
# main(); only the harnesses link it. gcc-only flags are dropped from KFLAGS.
FUZZ_CC     ?= clang
FUZZ_FLAGS  := -O1 -g -fsanitize=fuzzer-no-link,address,undefined \
               -fno-omit-frame-pointer -fno-sanitize-recover=all
GCC_ONLY_FLAGS := -fschedule-insns -fsched-pressure \
                  --param=sched-pressure-algorithm=2
# make fuzz: seconds per harness, and how many harnesses run at once.
FUZZ_SECONDS ?= 60
FUZZ_JOBS    ?= 2
# make test: seconds per harness (two at a time).
FUZZ_TEST_SECONDS ?= 5

# Per-file target flags for the SIMD kernels (dispatched at run time, so
# only these files may contain instructions the CPU might lack). The AVX-512
# kernel is also scheduled by the compiler for an AVX-512 core: measured
# about 7% faster on the benchmark machine than the generic tuning
# (benchmarks.md, "Miner").
KFLAGS.sha256_shani   := -msha -msse4.1
KFLAGS.sha256_shani2  := -msha -msse4.1
KFLAGS.sha256_avx2    := -mavx2
KFLAGS.sha256_avx512  := -mavx512f -mavx512vl -mavx512bw -mtune=skylake-avx512 \
                         -fschedule-insns
# The rolled AVX-512 scan (two streams of state, schedule in memory) gains
# about 1.5% more from register-pressure-aware scheduling, which costs the
# one-version kernel as much (benchmarks.md, "Miner").
KFLAGS.sha256_avx512_roll := $(KFLAGS.sha256_avx512) -fsched-pressure \
                             --param=sched-pressure-algorithm=2

# Test binaries that also run under ThreadSanitizer.
TSAN_TESTS ?= $(notdir $(basename $(wildcard tests/test_pool.c)))

LIB_SRCS  := $(filter-out %_main.c,$(wildcard src/*.c miner/*.c net/*.c wallet-web/*.c))
MAIN_SRCS := $(wildcard src/*_main.c miner/*_main.c net/*_main.c bench/*_main.c wallet-web/*_main.c)
TEST_SRCS := $(wildcard tests/test_*.c)
TEST_HELPERS := $(filter-out tests/test_%,$(wildcard tests/*.c))
# bench/ files other than the main belong to pickaxe-bench alone.
BENCH_SRCS := $(filter-out %_main.c,$(wildcard bench/*.c))

BINS       := $(patsubst %_main.c,$(BUILD)/pickaxe-%,$(notdir $(MAIN_SRCS)))
TESTS      := $(patsubst tests/%.c,$(BUILD)/tests/%,$(TEST_SRCS))
ASAN_TESTS := $(patsubst tests/%.c,$(BUILD)/asan/tests/%,$(TEST_SRCS))
TSAN_BINS  := $(patsubst %,$(BUILD)/tsan/tests/%,$(TSAN_TESTS))
FUZZ_SRCS  := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BINS  := $(patsubst tests/fuzz/%.c,$(BUILD)/fuzz/%,$(FUZZ_SRCS))

LIB      := $(BUILD)/libpickaxe.a
ASAN_LIB := $(BUILD)/asan/libpickaxe.a
TSAN_LIB := $(BUILD)/tsan/libpickaxe.a
FUZZ_LIB := $(BUILD)/fuzz/libpickaxe.a

.PHONY: all deps deps-test deps-demo test unit-tests demo bench fuzz \
        fuzz-build fuzz-corpus clean format
.DEFAULT_GOAL := all
# Keep objects of test binaries (make would delete them as intermediates).
.SECONDARY:

all: deps $(LIB) $(BINS)

deps:
	@scripts/deps.sh build
deps-test: deps
	@scripts/deps.sh test
deps-demo: deps
	@scripts/deps.sh demo

# ---- objects, one tree per build variant ------------------------------------

$(BUILD)/obj/%.o: %.c | deps
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(KFLAGS.$(notdir $*)) -c $< -o $@

$(BUILD)/asan/obj/%.o: %.c | deps
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CSTD) $(WARN) -pthread $(ASAN_FLAGS) $(KFLAGS.$(notdir $*)) -c $< -o $@

$(BUILD)/tsan/obj/%.o: %.c | deps
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CSTD) $(WARN) -pthread $(TSAN_FLAGS) $(KFLAGS.$(notdir $*)) -c $< -o $@

$(BUILD)/fuzz/obj/%.o: %.c | deps
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(CPPFLAGS) $(CSTD) $(WARN) -pthread $(FUZZ_FLAGS) $(filter-out $(GCC_ONLY_FLAGS),$(KFLAGS.$(notdir $*))) -c $< -o $@

$(LIB): $(patsubst %.c,$(BUILD)/obj/%.o,$(LIB_SRCS))
	@rm -f $@
	ar rcs $@ $^
$(ASAN_LIB): $(patsubst %.c,$(BUILD)/asan/obj/%.o,$(LIB_SRCS))
	@rm -f $@
	ar rcs $@ $^
$(TSAN_LIB): $(patsubst %.c,$(BUILD)/tsan/obj/%.o,$(LIB_SRCS))
	@rm -f $@
	ar rcs $@ $^
$(FUZZ_LIB): $(patsubst %.c,$(BUILD)/fuzz/obj/%.o,$(LIB_SRCS))
	@rm -f $@
	ar rcs $@ $^

# ---- binaries -----------------------------------------------------------------

# The object of NAME_main.c. It lives in a variable because in a pattern
# rule's prerequisites make replaces every % with the stem, so patsubst and
# filter patterns written there would never match.
main_obj = $(patsubst %.c,$(BUILD)/obj/%.o,$(filter %/$(1)_main.c,$(MAIN_SRCS)))
.SECONDEXPANSION:
# Objects before the library, so bench/ objects (added below) find their
# symbols in it.
$(BUILD)/pickaxe-%: $$(call main_obj,$$*) $(LIB)
	$(CC) $(CFLAGS) -o $@ $(filter-out $(LIB),$^) $(LIB) $(LDLIBS)

$(BUILD)/pickaxe-bench: $(patsubst %.c,$(BUILD)/obj/%.o,$(BENCH_SRCS))

# ---- tests ----------------------------------------------------------------------

$(BUILD)/tests/%: $(BUILD)/obj/tests/%.o $(patsubst %.c,$(BUILD)/obj/%.o,$(TEST_HELPERS)) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $^ $(TESTLIBS) $(LDLIBS)
$(BUILD)/asan/tests/%: $(BUILD)/asan/obj/tests/%.o $(patsubst %.c,$(BUILD)/asan/obj/%.o,$(TEST_HELPERS)) $(ASAN_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(ASAN_FLAGS) -o $@ $^ $(TESTLIBS) $(LDLIBS)
$(BUILD)/tsan/tests/%: $(BUILD)/tsan/obj/tests/%.o $(patsubst %.c,$(BUILD)/tsan/obj/%.o,$(TEST_HELPERS)) $(TSAN_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(TSAN_FLAGS) -o $@ $^ $(TESTLIBS) $(LDLIBS)

unit-tests: all $(TESTS) $(ASAN_TESTS) $(TSAN_BINS) $(FUZZ_BINS)

# ---- fuzzing ----------------------------------------------------------------------

$(BUILD)/fuzz/fuzz_%: $(BUILD)/fuzz/obj/tests/fuzz/fuzz_%.o $(FUZZ_LIB)
	$(FUZZ_CC) $(FUZZ_FLAGS) -fsanitize=fuzzer -pthread -o $@ $^ $(LDLIBS)

# The seed generator is a plain program on the plain library, built from
# every tests/fuzz/gen_*.c.
$(BUILD)/fuzz/gen-corpus: $(patsubst %.c,$(BUILD)/obj/%.o,$(wildcard tests/fuzz/gen_*.c)) $(LIB)
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

fuzz-build: deps-test
	@$(MAKE) --no-print-directory $(FUZZ_BINS)

# Rewrites the committed seeds (tests/fuzz/corpus/<target>/seed-*, and the
# stateful targets' named reproductions regress-*) after a format change;
# crash regressions there are left alone.
fuzz-corpus: all $(BUILD)/fuzz/gen-corpus
	$(BUILD)/fuzz/gen-corpus tests/fuzz/corpus

# Each harness for FUZZ_SECONDS, FUZZ_JOBS at a time, growing a corpus kept
# in build/fuzz/corpus/; crashes land in build/fuzz/artifacts/.
fuzz: fuzz-build
	@scripts/fuzz.sh --seconds $(FUZZ_SECONDS) --jobs $(FUZZ_JOBS) --keep

# Everything: unit tests (plain, ASan+UBSan, TSan), a short run of each fuzz
# harness, then integration and browser tests. scripts/run-tests.sh prints
# one summary line at the end.
test: deps-test
	@$(MAKE) --no-print-directory unit-tests
	@FUZZ_TEST_SECONDS=$(FUZZ_TEST_SECONDS) scripts/run-tests.sh

bench: all
	@scripts/bench.sh

# RESET=1 throws away the demo's chains and keystores (build/demo/) first.
demo: deps-demo
	@$(MAKE) --no-print-directory all
	@scripts/demo.sh $(if $(filter 1 yes true,$(RESET)),--reset)

format:
	clang-format -i $(wildcard src/*.[ch] miner/*.[ch] net/*.[ch] bench/*.[ch] wallet-web/*.[ch] tests/*.[ch])

clean:
	rm -rf $(BUILD)

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
