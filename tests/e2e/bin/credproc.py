#!/usr/bin/env python3
"""A credential_process for tests/e2e/test_creds.py (kept in bin/ so that
tests/run.sh, which runs every tests/e2e/*.py, does not run it).

credproc.py CREDS.json ENVREPORT [sleep SECONDS]: prints CREDS.json on stdout
(the credential_process JSON), writes the names of its environment variables
to ENVREPORT (one a line), says one line on stderr; with "sleep N" it sleeps
first (for the timeout case)."""
import os
import sys
import time

if len(sys.argv) >= 5 and sys.argv[3] == "sleep":
    time.sleep(float(sys.argv[4]))
with open(sys.argv[2], "w") as f:
    f.write("\n".join(sorted(os.environ)) + "\n")
sys.stderr.write("credproc: issuing credentials\n")
with open(sys.argv[1]) as f:
    sys.stdout.write(f.read())
