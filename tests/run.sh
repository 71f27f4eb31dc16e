#!/bin/sh
# Runs every suite and ends with one line "N passed, N failed".
# Usage: tests/run.sh BUILD_DIR   (called by `make test`)
set -u
B=${1:-build}
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 2
export VAULTDR_CERTS="$B/certs"
: "${VAULTDR_VECTORS:=$top/tests/vectors}"
export VAULTDR_VECTORS
tests/gen-certs.sh "$VAULTDR_CERTS" >/dev/null || { echo "0 passed, 1 failed"; exit 1; }
pass=0 fail=0 skip=0
count() { # add the "N passed, N failed[, N skipped]" line of a log
	line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$1" | tail -1)
	if [ -z "$line" ]; then fail=$((fail + 1)); return; fi
	p=${line%% passed*}; f=${line#*passed, }; f=${f%% failed*}
	case $line in
	*skipped*) s=${line##*failed, }; s=${s%% skipped*} ;;
	*) s=0 ;;
	esac
	pass=$((pass + p)); fail=$((fail + f)); skip=$((skip + s))
}
echo "== unit"
"$B/unit-tests" 2>&1 | tee "$B/unit.log"; count "$B/unit.log"
for t in tests/e2e/*.py; do
	[ -f "$t" ] || continue
	echo "== $t"
	python3 "$t" 2>&1 | tee "$B/e2e.log"; count "$B/e2e.log"
done
if [ "$skip" -gt 0 ]; then
	echo "$pass passed, $fail failed, $skip skipped"
else
	echo "$pass passed, $fail failed"
fi
[ "$fail" -eq 0 ]
