# mk/ecosystem.mk - included by the Makefile:
#   make install [PREFIX=/usr/local] [DESTDIR=]   binaries, man pages, sample config,
#                 demo scenario and gen-certs.sh under share/vaultdr/
#   make uninstall                                the same files removed
#   make kit      vaultdr-kit-$(VERSION)-linux-$(uname -m).tar.gz (air-gapped DR kit)
#   make bench    failover/failback timings, connections, peak RSS, binary size;
#                 three environments in one run against one
#   make man-lint mandoc -T lint on both man pages (installs mandoc)
PREFIX ?= /usr/local
DESTDIR ?=
BINDIR = $(DESTDIR)$(PREFIX)/bin
MAN1DIR = $(DESTDIR)$(PREFIX)/share/man/man1
DOCDIR = $(DESTDIR)$(PREFIX)/share/doc/vaultdr
SHAREDIR = $(DESTDIR)$(PREFIX)/share/vaultdr
STRIP ?= strip
MANPAGES := vaultdr.1 mock/vaultdr-mock.1

install: $(VAULTDR_BIN) $(MOCK_BIN)
	install -d $(BINDIR) $(MAN1DIR) $(DOCDIR) $(SHAREDIR)/scenarios
	install -m 0755 $(VAULTDR_BIN) $(BINDIR)/vaultdr
	$(STRIP) $(BINDIR)/vaultdr
	install -m 0755 $(MOCK_BIN) $(BINDIR)/vaultdr-mock
	$(STRIP) $(BINDIR)/vaultdr-mock
	install -m 0644 $(MANPAGES) $(MAN1DIR)/
	install -m 0644 vault_dr.cfg.example $(DOCDIR)/vault_dr.cfg.example
	install -m 0644 mock/scenarios/demo.json $(SHAREDIR)/scenarios/demo.json
	install -m 0755 tests/gen-certs.sh $(SHAREDIR)/gen-certs.sh

uninstall:
	rm -f $(BINDIR)/vaultdr $(BINDIR)/vaultdr-mock \
	    $(MAN1DIR)/vaultdr.1 $(MAN1DIR)/vaultdr-mock.1 \
	    $(DOCDIR)/vault_dr.cfg.example $(SHAREDIR)/scenarios/demo.json \
	    $(SHAREDIR)/gen-certs.sh
	-rmdir $(DOCDIR) $(SHAREDIR)/scenarios $(SHAREDIR) 2>/dev/null

# The kit: everything a DR rehearsal needs on a host with nothing installed.
# Test certificates are made fresh for each kit, valid 10 years, so that the
# selftest still works when the kit is finally needed.
KIT_ARCH := $(shell uname -m)
KIT := vaultdr-kit-$(VERSION)-linux-$(KIT_ARCH)
KIT_DIR := $(B)/kit/$(KIT)

kit: $(VAULTDR_BIN) $(MOCK_BIN)
	rm -rf $(B)/kit $(B)/kit-certs $(KIT).tar.gz
	install -d $(KIT_DIR)/certs $(KIT_DIR)/scenarios
	VAULTDR_CERT_DAYS=3650 tests/gen-certs.sh $(B)/kit-certs >/dev/null
	install -m 0644 $(B)/kit-certs/ca.pem $(B)/kit-certs/server.pem $(KIT_DIR)/certs/
	install -m 0600 $(B)/kit-certs/server.key $(KIT_DIR)/certs/
	install -m 0755 $(VAULTDR_BIN) $(KIT_DIR)/vaultdr
	install -m 0755 $(MOCK_BIN) $(KIT_DIR)/vaultdr-mock
	$(STRIP) $(KIT_DIR)/vaultdr $(KIT_DIR)/vaultdr-mock
	@for f in $(KIT_DIR)/vaultdr $(KIT_DIR)/vaultdr-mock; do \
	    if readelf -l $$f 2>/dev/null | grep -q INTERP; then \
	        echo "kit: $$f is not static (build with musl-gcc)" >&2; exit 1; fi; \
	done
	install -m 0644 $(MANPAGES) vault_dr.cfg.example $(KIT_DIR)/
	install -m 0644 mock/scenarios/demo.json $(KIT_DIR)/scenarios/
	install -m 0755 scripts/selftest.sh $(KIT_DIR)/selftest
	cd $(KIT_DIR) && find . -type f ! -name SHA256SUMS | sed 's|^\./||' | \
	    LC_ALL=C sort | xargs sha256sum > SHA256SUMS
	tar -C $(B)/kit --owner=0 --group=0 --numeric-owner --sort=name \
	    -czf $(KIT).tar.gz $(KIT)
	@echo "kit: $(KIT).tar.gz"

# Extracts the kit into a temp dir and runs its selftest there.
kit-check: kit
	@d=$$(mktemp -d); trap 'rm -rf "$$d"' EXIT; \
	tar -C "$$d" -xzf $(KIT).tar.gz && "$$d/$(KIT)/selftest"

$(B)/maxrss: scripts/maxrss.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $<

bench: $(VAULTDR_BIN) $(MOCK_BIN) $(B)/maxrss
	@python3 scripts/bench.py $(B) $(VAULTDR_BIN) $(MOCK_BIN)
	@# Several environments in one run (multi.c): three against one.
	@python3 scripts/bench_multi.py $(B) $(VAULTDR_BIN) $(MOCK_BIN)

man-lint:
	@command -v mandoc >/dev/null 2>&1 || scripts/deps.sh man
	mandoc -T lint -W warning $(MANPAGES)

.PHONY: install uninstall kit kit-check bench man-lint
