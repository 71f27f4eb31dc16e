# mock/mock.mk - included by the Makefile: `make interop` runs the Debian AWS
# CLI and hvac against vaultdr-mock over TLS (tests/interop/run.py).
interop: $(MOCK_BIN)
	@scripts/deps.sh interop
	@/usr/bin/python3 tests/interop/run.py $(B) $(MOCK_BIN)

.PHONY: interop
