# mk/hardening.mk - included by the Makefile (issue 5):
#   make fuzz [FUZZ_SECONDS=20] [FUZZ_TARGETS="json http"]
#                   libFuzzer targets (clang, glibc) in build-fuzz/; replays
#                   tests/fuzz/regressions/, then fuzzes each target
#   make asan       vaultdr, the mock, the unit tests and the fuzz replayers
#                   with clang -fsanitize=address,undefined in build-asan/;
#                   runs the unit and e2e suites and the fuzz regressions
#   make valgrind   e2e failover and failback with vaultdr under valgrind
#                   (a dynamic -g build in build-vg/, see below)
#   make lint       lint-map (scripts/layers.sh: includes follow the module
#                   map; scripts/fnlen.sh: no client function over 80
#                   lines), then cppcheck and clang-tidy (.clang-tidy)

FUZZ_SECONDS ?= 20
FUZZ_TARGETS ?= json ini http xml url b64 sigv4 mockreq mockxml redact urlnorm proxy \
	config dns
# Mock sources a target links besides HARD_SRC (never mock/main.c).
FUZZ_MOCK_mockreq := mock/hreq.c
# mockxml needs none: the XML reader (xml.c) is shared, in HARD_SRC.
FUZZ_MOCK_mockxml :=
FUZZ_B := build-fuzz
ASAN_B := build-asan

SAN_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all \
	-fno-omit-frame-pointer -g -O1
HARD_WARN := -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wvla
HARD_CPPFLAGS = -D_DEFAULT_SOURCE -DVAULTDR_VERSION='"$(VERSION)"' -DVAULTDR_COMMIT='"$(COMMIT)"' -I. \
	-I/usr/include/bearssl
# Everything but main(), the musl-only compat shim and the mock.
HARD_SRC := $(filter-out compat.c,$(CORE) $(APP))

# ---- fuzz ------------------------------------------------------------------
FUZZ_O := $(HARD_SRC:%.c=$(FUZZ_B)/%.o)
FUZZ_CFLAGS := -std=c11 $(HARD_WARN) -pthread -g -O1 -fno-omit-frame-pointer \
	-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all

$(FUZZ_B)/include/jsmn.h: /usr/include/jsmn.h
	@mkdir -p $(@D)
	cp $< $@

$(FUZZ_B)/%.o: %.c $(FUZZ_B)/include/jsmn.h $(wildcard *.h tests/fuzz/*.h)
	@mkdir -p $(@D)
	clang $(HARD_CPPFLAGS) -I$(FUZZ_B)/include $(FUZZ_CFLAGS) -c -o $@ $<

$(FUZZ_B)/fuzz_%: $(FUZZ_B)/tests/fuzz/fuzz_%.o $(FUZZ_O)
	clang -fsanitize=fuzzer,address,undefined -pthread -o $@ $^ $(BEARSSL_A)

# The mock targets: their mock objects, rebuilt when a mock header changes.
$(FUZZ_B)/fuzz_mockreq: $(FUZZ_MOCK_mockreq:%.c=$(FUZZ_B)/%.o)
$(FUZZ_B)/fuzz_mockxml: $(FUZZ_MOCK_mockxml:%.c=$(FUZZ_B)/%.o)
$(FUZZ_MOCK_mockreq:%.c=$(FUZZ_B)/%.o) $(FUZZ_MOCK_mockxml:%.c=$(FUZZ_B)/%.o) \
    $(FUZZ_B)/tests/fuzz/fuzz_mockreq.o $(FUZZ_B)/tests/fuzz/fuzz_mockxml.o: \
    $(wildcard mock/*.h)

# Keep the objects that pattern chains would delete as intermediates.
.PRECIOUS: $(FUZZ_B)/%.o $(B)/tests/fuzz/%.o

fuzz-deps:
	@scripts/deps.sh fuzz

fuzz: fuzz-deps
	@$(MAKE) --no-print-directory $(FUZZ_TARGETS:%=$(FUZZ_B)/fuzz_%)
	@tests/fuzz/run.sh $(FUZZ_B) $(FUZZ_SECONDS) $(FUZZ_TARGETS)

# ---- asan ------------------------------------------------------------------
# Replayers: a fuzz target linked with tests/fuzz/replay.c instead of
# libFuzzer (built by the sub-make below, with its CC and flags).
$(B)/replay_%: $(B)/tests/fuzz/fuzz_%.o $(B)/tests/fuzz/replay.o $(APP_O) $(CORE_O)
	$(CC) $(LDFLAGS) -o $@ $^ $(BEARSSL_A)

$(B)/replay_mockreq: $(FUZZ_MOCK_mockreq:%.c=$(B)/%.o)
$(B)/replay_mockxml: $(FUZZ_MOCK_mockxml:%.c=$(B)/%.o)

asan: fuzz-deps
	@CFLAGS="$(SAN_FLAGS)" $(MAKE) --no-print-directory CC=clang COMPAT= \
	    B=$(ASAN_B) LDFLAGS="-pthread $(SAN_FLAGS)" \
	    VAULTDR_BIN=$(ASAN_B)/vaultdr MOCK_BIN=$(ASAN_B)/vaultdr-mock \
	    $(ASAN_B)/vaultdr $(ASAN_B)/vaultdr-mock $(ASAN_B)/unit-tests \
	    $(ASAN_B)/dnstool \
	    $(FUZZ_TARGETS:%=$(ASAN_B)/replay_%)
	@scripts/deps.sh test
	@scripts/sanitize.sh $(ASAN_B) $(FUZZ_TARGETS)

# ---- valgrind --------------------------------------------------------------
# memcheck can only replace malloc through its preload library, which a
# static executable never loads: on the static musl build it sees 0 heap
# allocations and can report neither heap overruns nor leaks. So this is the
# same code built as the default build, but dynamic (glibc, gcc -g -O1),
# in build-vg/.
VG_B := build-vg
VALGRIND := valgrind --error-exitcode=99 --leak-check=full \
	--errors-for-leak-kinds=definite -q

valgrind:
	@scripts/deps.sh test
	@CFLAGS="-g -O1" $(MAKE) --no-print-directory CC=gcc COMPAT= B=$(VG_B) \
	    LDFLAGS=-pthread VAULTDR_BIN=$(VG_B)/vaultdr \
	    MOCK_BIN=$(VG_B)/vaultdr-mock $(VG_B)/vaultdr $(VG_B)/vaultdr-mock
	@tests/gen-certs.sh $(VG_B)/certs >/dev/null
	@VAULTDR_WRAP="$(VALGRIND)" VAULTDR_CERTS=$(VG_B)/certs \
	    VAULTDR_BIN=$(CURDIR)/$(VG_B)/vaultdr \
	    VAULTDR_MOCK_BIN=$(CURDIR)/$(VG_B)/vaultdr-mock \
	    scripts/valgrind-e2e.sh failover_planned failback_after_failover \
	    test_hardening.py

# ---- lint ------------------------------------------------------------------
LINT_SRC = $(wildcard *.c mock/*.c tests/unit/*.c tests/fuzz/*.c)

lint: lint-map $(FUZZ_B)/include/jsmn.h
	@scripts/deps.sh lint
	@scripts/lint.sh $(FUZZ_B)/include $(LINT_SRC)

# The module map (every #include points down it) and no function of the
# client (what vaultdr links) over 80 lines: no tools needed.
lint-map:
	@scripts/layers.sh
	@scripts/fnlen.sh 80 vaultdr.c $(filter-out compat.c,$(CLIENT) $(SHARED))
	@echo "lint-map: clean"

.PHONY: fuzz fuzz-deps asan valgrind lint lint-map
