#!/usr/bin/env bash
# Runs every suite and ends with one line "N passed, N failed".
# Usage: tests/run.sh BUILD_DIR   (called by `make test`)
# The end-to-end files run VAULTDR_TEST_JOBS at a time (default 3; each
# starts its own mock on free ports); their output is shown whole, in file
# order, as each one ends.
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
jobs=${VAULTDR_TEST_JOBS:-3}
logs="$B/e2e-logs"
rm -rf "$logs"
mkdir -p "$logs"
files=() pids=()
for t in tests/e2e/*.py; do
	[ -f "$t" ] || continue
	while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do
		wait -n 2>/dev/null || true
	done
	python3 "$t" >"$logs/$(basename "$t").log" 2>&1 &
	files+=("$t") pids+=($!)
done
for i in "${!files[@]}"; do
	wait "${pids[$i]}" 2>/dev/null
	echo "== ${files[$i]}"
	log="$logs/$(basename "${files[$i]}").log"
	cat "$log"; count "$log"
done
if [ "$skip" -gt 0 ]; then
	echo "$pass passed, $fail failed, $skip skipped"
else
	echo "$pass passed, $fail failed"
fi
[ "$fail" -eq 0 ]
