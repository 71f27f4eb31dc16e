# vaultdr - see README.md. `make` builds ./vaultdr and mock/vaultdr-mock
# statically (musl when available); `make test` runs every suite.
VERSION := 0.1.0

MUSL := $(shell command -v musl-gcc 2>/dev/null)
ifneq ($(MUSL),)
CC := musl-gcc
COMPAT := compat.c
else
COMPAT :=
endif
BEARSSL_A ?= $(firstword $(wildcard /usr/lib/*/libbearssl.a /usr/lib/libbearssl.a))
B ?= build
.DEFAULT_GOAL := all

# Build dependencies (Debian packages) come from scripts/deps.sh through a
# stamp, not on every parse: on a fresh machine, or after deps.sh changes,
# the stamp is remade, and GNU make, which remakes included makefiles first,
# restarts with the packages in place.
ifeq ($(filter clean distclean,$(MAKECMDGOALS)),)
-include $(B)/deps.mk
endif
$(B)/deps.mk: scripts/deps.sh
	@mkdir -p $(@D)
	@scripts/deps.sh build
	@echo '# written when scripts/deps.sh build succeeded' > $@
$(B)/.deps-test: scripts/deps.sh
	@mkdir -p $(@D)
	@scripts/deps.sh test
	@touch $@
# Output paths (make asan builds into build-asan/ by overriding these).
VAULTDR_BIN ?= vaultdr
MOCK_BIN ?= mock/vaultdr-mock

WARN := -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wvla
# Diagnostics are cut to fixed buffers on purpose; gcc's truncation warning
# flags every such snprintf. (clang has no such warning.)
WARN += $(shell $(CC) -Werror -Wno-format-truncation -E -x c /dev/null >/dev/null 2>&1 && echo -Wno-format-truncation)
# The commit goes into --version (a tree without git says "unknown").
COMMIT := $(shell git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
CPPFLAGS += -D_DEFAULT_SOURCE -DVAULTDR_VERSION='"$(VERSION)"' -DVAULTDR_COMMIT='"$(COMMIT)"' -I. -I/usr/include/bearssl -I$(B)/include
# -Os: speed is set by the network, size by the 400 KiB target for the
# stripped static client.
# -flto: whole-program inlining and dropping across files (4 KB here).
CFLAGS ?= -Os -flto
# -fstack-protector with 4-byte buffers: every function holding a char
# array (or a struct with one) of 4 bytes or more gets a canary. -strong
# would add functions with other arrays or address-taken locals, 7 KB over
# the 400 KiB target with every issue-12/13/14 feature in.
CFLAGS += -std=c11 $(WARN) -fstack-protector --param=ssp-buffer-size=4 -pthread
# Unused functions and data are dropped at link time: the stripped static
# client must stay <= 400 KiB.
# No unwind tables: C without exceptions needs none (.eh_frame was 35 KB).
CFLAGS += -ffunction-sections -fdata-sections -fno-asynchronous-unwind-tables \
	-fno-unwind-tables
LDFLAGS += -Os -flto=auto -static -pthread -Wl,--gc-sections -Wl,-z,noseparate-code
# No RELRO page alignment: the static musl binary has no PT_GNU_RELRO
# segment for anything to honour, so the alignment only padded the file
# (1.3 KB); sections sorted by alignment pad less between them.
LDFLAGS += -Wl,-z,norelro -Wl,--sort-section=alignment
# What is left of .eh_frame comes from libc's objects (12 KB): nothing in a
# static C program without exceptions reads it, so the musl client drops it
# after the link (the sanitizer and valgrind builds keep theirs).
ifeq ($(CC),musl-gcc)
DROP_EH = objcopy -R .eh_frame $@
else
DROP_EH = @:
endif

# Sources by the binaries that link them. SHARED: vaultdr and vaultdr-mock
# (the HTTP/1.1 grammar, the readers, TLS client, clock); CLIENT: vaultdr
# only; MOCK: vaultdr-mock only, the server side (vaultdr has no server
# code). The mock also takes from the CLIENT objects, through an archive,
# only what it calls (route53.c's DNS name comparison).
SHARED := buf.c err.c log.c secret.c b64.c json.c ini.c xml.c sigv4.c net.c pem.c tlserr.c tls.c h1.c url.c proxy.c http.c $(COMPAT)
CLIENT := $(wildcard retry.c vault.c route53.c config.c plan.c dr.c awscreds.c hook.c) dns.c tsig.c rfc2136.c \
	dnsrec.c event.c lock.c observe.c report.c steps.c preflight.c runenv.c perf.c ride.c
CLIENT += multi.c
MOCK := $(wildcard mock/*.c)
TESTSRC := $(wildcard tests/unit/*.c)
# The older names, which mk/*.mk use.
CORE := $(SHARED)
APP := $(CLIENT)
MOCKSRC := $(MOCK)

SHARED_O := $(SHARED:%.c=$(B)/%.o)
CLIENT_O := $(CLIENT:%.c=$(B)/%.o)
CORE_O := $(SHARED_O)
APP_O := $(CLIENT_O)
MOCK_O := $(MOCK:%.c=$(B)/%.o)
TEST_O := $(TESTSRC:%.c=$(B)/%.o)

all: $(VAULTDR_BIN) $(MOCK_BIN)

$(B)/include/jsmn.h: /usr/include/jsmn.h
	@mkdir -p $(@D)
	cp $< $@

$(B)/%.o: %.c $(B)/include/jsmn.h $(wildcard *.h mock/*.h tests/unit/*.h)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

$(VAULTDR_BIN): $(B)/vaultdr.o $(CLIENT_O) $(SHARED_O)
	$(CC) $(LDFLAGS) -o $@ $^ $(BEARSSL_A)
	$(DROP_EH)

$(B)/libclient.a: $(CLIENT_O)
	rm -f $@
	$(AR) rcs $@ $^

$(MOCK_BIN): $(MOCK_O) $(SHARED_O) $(B)/libclient.a
	$(CC) $(LDFLAGS) -o $@ $(MOCK_O) $(SHARED_O) $(B)/libclient.a \
	    $(BEARSSL_A)

# The scripted test servers use the mock's TLS server side.
$(B)/unit-tests: $(TEST_O) $(APP_O) $(CORE_O) $(B)/mock/tlssrv.o
	$(CC) $(LDFLAGS) -o $@ $^ $(BEARSSL_A)


# The DNS UPDATE test driver (tests/e2e/test_rfc2136.py); not installed.
$(B)/dnstool: $(B)/tests/dnstool.o $(APP_O) $(CORE_O)
	$(CC) $(LDFLAGS) -o $@ $^ $(BEARSSL_A)

test: all $(B)/unit-tests $(B)/dnstool $(B)/.deps-test
	@tests/run.sh $(B)

demo: all
	@scripts/demo.sh $(B)

clean:
	rm -rf build build-* vaultdr mock/vaultdr-mock

.PHONY: all test demo clean

-include mock/mock.mk
-include $(wildcard mk/*.mk)
