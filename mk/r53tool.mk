# mk/r53tool.mk - included by the Makefile: build/r53tool, the route53.c
# driver (tests/r53tool.c) that tests/e2e/test_route53.py runs against the
# mock; built by `make test` (and for `make asan`, which runs the e2e
# suites), never installed.
$(B)/r53tool: $(B)/tests/r53tool.o $(APP_O) $(CORE_O)
	$(CC) $(LDFLAGS) -o $@ $^ $(BEARSSL_A)

test: $(B)/r53tool
asan: $(B)/r53tool
