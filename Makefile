# pickaxe — one entry point: make, make test, make demo, make bench, make soak,
# make testnet.
#
# Sources are found by directory, so adding a module is adding a file. Each
# layer is its own archive, and may include only its own headers and those
# of the layers below it, so a wrong include fails the build:
#
#   src/core/       consensus library -> build/libpickaxe-core.a
#   miner/          SHA-256d kernels  -> build/libpickaxe-miner.a     (core)
#   net/            ZeroMQ transport  -> build/libpickaxe-net.a       (core)
#   src/node/       the node          -> build/libpickaxe-node.a      (core, miner, net)
#   wallet-web/     wallet service    -> build/libpickaxe-wallet.a    (core, net)
#   src/adversary/  attack catalogue  -> build/libpickaxe-adversary.a (core, net)
#   src/programs/   what mains share  -> build/libpickaxe-programs.a  (any layer)
#   any directory   NAME_main.c       -> build/pickaxe-NAME (programs: any layer)
#   tests/          test_X.c          -> build/tests/test_X (Criterion)
#
# Every library source is also built with AddressSanitizer and
# UndefinedBehaviorSanitizer (build/asan/) for the unit tests, and with
# ThreadSanitizer (build/tsan/) for the tests listed in TSAN_TESTS, and
# with clang's libFuzzer instrumentation plus ASan and UBSan (build/fuzz/)
# for the fuzz harnesses tests/fuzz/fuzz_X.c -> build/fuzz/fuzz_X.

BUILD    := build
# One line per target ("  CC      build/obj/src/core/tx.o"); V=1 prints
# every command in full.
V ?= 0
ifeq ($(V),1)
quiet =
else
quiet = @printf '  %-7s %s\n' '$(1)' '$(2)';
endif
CC       ?= cc
CSTD     := -std=c11
WARN     := -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes \
            -Wmissing-prototypes -Wformat=2 -Wundef -Wvla -Werror
OPT      ?= -O2 -g
# Which headers a source may include: its layer's and those below it.
INC.src/core      := -Isrc/core
INC.miner         := -Isrc/core -Iminer
INC.net           := -Isrc/core -Inet
INC.src/node      := -Isrc/core -Iminer -Inet -Isrc/node
INC.wallet-web    := -Isrc/core -Inet -Iwallet-web
INC.src/adversary := -Isrc/core -Inet -Isrc/adversary
INC_ALL := -Isrc/core -Iminer -Inet -Isrc/node -Iwallet-web -Isrc/adversary \
           -Isrc/programs
INC.src/programs  := $(INC_ALL)
# Programs (*_main.c), bench/ and tests/ may include any layer; a target may
# narrow that with LAYER_INC (the core-alone test).
layer_inc = $(or $(LAYER_INC),$(if $(filter %_main.c,$<),$(INC_ALL),$(or $(INC.$(patsubst %/,%,$(dir $<))),$(INC_ALL))))
CPPFLAGS = -D_GNU_SOURCE $(layer_inc) -MMD -MP
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
TSAN_TESTS ?= $(notdir $(basename $(wildcard tests/test_pool.c \
                  tests/test_loopwatch.c tests/test_node.c \
                  tests/test_stratum_server.c tests/test_asker.c)))

# Layers, highest first: the order archives are given to the linker.
LAYERS := programs node wallet adversary net miner core
SRC.programs  := $(filter-out %_main.c,$(wildcard src/programs/*.c))
SRC.core      := $(wildcard src/core/*.c)
SRC.miner     := $(filter-out %_main.c,$(wildcard miner/*.c))
SRC.net       := $(filter-out %_main.c,$(wildcard net/*.c))
SRC.node      := $(filter-out %_main.c,$(wildcard src/node/*.c))
SRC.wallet    := $(filter-out %_main.c,$(wildcard wallet-web/*.c))
SRC.adversary := $(filter-out %_main.c,$(wildcard src/adversary/*.c))
LIB_SRCS  := $(foreach l,$(LAYERS),$(SRC.$(l)))
MAIN_SRCS := $(wildcard src/*/*_main.c miner/*_main.c net/*_main.c bench/*_main.c wallet-web/*_main.c)
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

# The layer archives of one build variant (plain: build/, or build/asan/ ...).
layer_libs = $(foreach l,$(LAYERS),$(1)/libpickaxe-$(l).a)
LIB      := $(call layer_libs,$(BUILD))
ASAN_LIB := $(call layer_libs,$(BUILD)/asan)
TSAN_LIB := $(call layer_libs,$(BUILD)/tsan)
FUZZ_LIB := $(call layer_libs,$(BUILD)/fuzz)
CORE_LIB := $(BUILD)/libpickaxe-core.a
# What the core library needs, and nothing more (test_core_alone).
CORE_LDLIBS := -lsecp256k1 -lcrypto -lpthread -lm

.PHONY: all deps deps-test deps-demo test unit-tests demo bench soak testnet fuzz \
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
	$(call quiet,CC,$@) $(CC) $(CPPFLAGS) $(CFLAGS) $(KFLAGS.$(notdir $*)) -c $< -o $@

$(BUILD)/asan/obj/%.o: %.c | deps
	@mkdir -p $(dir $@)
	$(call quiet,CC,$@) $(CC) $(CPPFLAGS) $(CSTD) $(WARN) -pthread $(ASAN_FLAGS) $(KFLAGS.$(notdir $*)) -c $< -o $@

$(BUILD)/tsan/obj/%.o: %.c | deps
	@mkdir -p $(dir $@)
	$(call quiet,CC,$@) $(CC) $(CPPFLAGS) $(CSTD) $(WARN) -pthread $(TSAN_FLAGS) $(KFLAGS.$(notdir $*)) -c $< -o $@

$(BUILD)/fuzz/obj/%.o: %.c | deps
	@mkdir -p $(dir $@)
	$(call quiet,CC,$@) $(FUZZ_CC) $(CPPFLAGS) $(CSTD) $(WARN) -pthread $(FUZZ_FLAGS) $(filter-out $(GCC_ONLY_FLAGS),$(KFLAGS.$(notdir $*))) -c $< -o $@

# One archive per layer and variant: $(BUILD)[/VARIANT]/libpickaxe-LAYER.a.
define layer_archive
$(2)/libpickaxe-$(1).a: $$(patsubst %.c,$(2)/obj/%.o,$$(SRC.$(1)))
	@rm -f $$@
	$$(call quiet,AR,$$@) ar rcs $$@ $$^
endef
$(foreach v,$(BUILD) $(BUILD)/asan $(BUILD)/tsan $(BUILD)/fuzz,$(foreach l,$(LAYERS),$(eval $(call layer_archive,$(l),$(v)))))

# ---- binaries -----------------------------------------------------------------

# The object of NAME_main.c. It lives in a variable because in a pattern
# rule's prerequisites make replaces every % with the stem, so patsubst and
# filter patterns written there would never match.
main_obj = $(patsubst %.c,$(BUILD)/obj/%.o,$(filter %/$(1)_main.c,$(MAIN_SRCS)))
.SECONDEXPANSION:
# Objects before the library, so bench/ objects (added below) find their
# symbols in it.
$(BUILD)/pickaxe-%: $$(call main_obj,$$*) $(LIB)
	$(call quiet,LD,$@) $(CC) $(CFLAGS) -o $@ $(filter-out $(LIB),$^) $(LIB) $(LDLIBS)

$(BUILD)/pickaxe-bench: $(patsubst %.c,$(BUILD)/obj/%.o,$(BENCH_SRCS))

# ---- tests ----------------------------------------------------------------------

$(BUILD)/tests/%: $(BUILD)/obj/tests/%.o $(patsubst %.c,$(BUILD)/obj/%.o,$(TEST_HELPERS)) $(LIB)
	@mkdir -p $(dir $@)
	$(call quiet,LD,$@) $(CC) $(CFLAGS) $(FAULT_LDFLAGS) -o $@ $^ $(TESTLIBS) $(LDLIBS)
$(BUILD)/asan/tests/%: $(BUILD)/asan/obj/tests/%.o $(patsubst %.c,$(BUILD)/asan/obj/%.o,$(TEST_HELPERS)) $(ASAN_LIB)
	@mkdir -p $(dir $@)
	$(call quiet,LD,$@) $(CC) $(CFLAGS) $(ASAN_FLAGS) $(FAULT_LDFLAGS) -o $@ $^ $(TESTLIBS) $(LDLIBS)

# Fault-injection tests: the library's malloc, calloc and realloc go through
# the test's own __wrap_ functions, which can make any one of them fail.
FAULT_TESTS := test_chain_faults
$(foreach t,$(FAULT_TESTS),$(BUILD)/tests/$(t) $(BUILD)/asan/tests/$(t)): \
    FAULT_LDFLAGS := -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc
$(BUILD)/tsan/tests/%: $(BUILD)/tsan/obj/tests/%.o $(patsubst %.c,$(BUILD)/tsan/obj/%.o,$(TEST_HELPERS)) $(TSAN_LIB)
	@mkdir -p $(dir $@)
	$(call quiet,LD,$@) $(CC) $(CFLAGS) $(TSAN_FLAGS) -o $@ $^ $(TESTLIBS) $(LDLIBS)

# The consensus library stands alone: this test sees only its headers and
# links only its archive, OpenSSL and libsecp256k1 (and Criterion).
CORE_ALONE_OBJS := $(foreach v,obj asan/obj tsan/obj,$(BUILD)/$(v)/tests/test_core_alone.o)
$(CORE_ALONE_OBJS): LAYER_INC := -Isrc/core
$(BUILD)/tests/test_core_alone: $(BUILD)/obj/tests/test_core_alone.o $(CORE_LIB)
	@mkdir -p $(dir $@)
	$(call quiet,LD,$@) $(CC) $(CFLAGS) -o $@ $^ $(TESTLIBS) $(CORE_LDLIBS)
$(BUILD)/asan/tests/test_core_alone: $(BUILD)/asan/obj/tests/test_core_alone.o $(BUILD)/asan/libpickaxe-core.a
	@mkdir -p $(dir $@)
	$(call quiet,LD,$@) $(CC) $(CFLAGS) $(ASAN_FLAGS) -o $@ $^ $(TESTLIBS) $(CORE_LDLIBS)

unit-tests: all $(TESTS) $(ASAN_TESTS) $(TSAN_BINS) $(FUZZ_BINS)

# ---- fuzzing ----------------------------------------------------------------------

$(BUILD)/fuzz/fuzz_%: $(BUILD)/fuzz/obj/tests/fuzz/fuzz_%.o $(FUZZ_LIB)
	$(call quiet,LD,$@) $(FUZZ_CC) $(FUZZ_FLAGS) -fsanitize=fuzzer -pthread -o $@ $^ $(LDLIBS)

# The seed generator is a plain program on the plain library, built from
# every tests/fuzz/gen_*.c.
$(BUILD)/fuzz/gen-corpus: $(patsubst %.c,$(BUILD)/obj/%.o,$(wildcard tests/fuzz/gen_*.c)) $(LIB)
	@mkdir -p $(dir $@)
	$(call quiet,LD,$@) $(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

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
	@t0=$$(date +%s); $(MAKE) --no-print-directory unit-tests || exit $$?; \
	    BUILD_SECONDS=$$(($$(date +%s) - t0)) \
	    FUZZ_TEST_SECONDS=$(FUZZ_TEST_SECONDS) scripts/run-tests.sh

bench: all
	@scripts/bench.sh

# A demo network (SOAK_NODES mining nodes) and the adversary flat out for
# SOAK_MINUTES, every node's status polled every second; prints the longest
# status answer and main-loop turn, honest blocks, attacks refused, invalid
# blocks accepted (must be 0) and memory, and writes build/soak/*.json
# (scripts/soak.py --help; benchmarks.md, "Soak").
SOAK_MINUTES ?= 30
SOAK_NODES   ?= 3
soak: all
	@scripts/soak.py --minutes $(SOAK_MINUTES) --nodes $(SOAK_NODES)

# A wide-area network on this machine (root; Linux network namespaces and
# pickaxe-netem's emulated links): N nodes, MINERS of them making blocks
# for DURATION seconds at BLOCK_TIME, links DELAY +- JITTER ms with LOSS %
# lost; prints propagation, stale rate, connections, CPU and memory per
# node, and tears everything down on exit or Ctrl-C (scripts/testnet.py
# --help; benchmarks.md, "Testnet"). MINE=real hashes on the demo network.
N          ?= 16
MINERS     ?= 4
DELAY      ?= 50
JITTER     ?= 20
LOSS       ?= 0.5
DURATION   ?= 120
BLOCK_TIME ?= 5
MINE       ?= sim
testnet: all
	@scripts/testnet.py --nodes $(N) --miners $(MINERS) --delay $(DELAY) \
	    --jitter $(JITTER) --loss $(LOSS) --duration $(DURATION) \
	    --block-time $(BLOCK_TIME) --mine $(MINE)

# RESET=1 throws away the demo's chains and keystores (build/demo/) first.
demo: deps-demo
	@$(MAKE) --no-print-directory all
	@scripts/demo.sh $(if $(filter 1 yes true,$(RESET)),--reset)

FORMAT_SRCS = $(wildcard src/*/*.[ch] miner/*.[ch] net/*.[ch] bench/*.[ch] \
                wallet-web/*.[ch] tests/*.[ch] tests/fuzz/*.[ch])
format:
	clang-format -i $(FORMAT_SRCS)

clean:
	rm -rf $(BUILD)

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
