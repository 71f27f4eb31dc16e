#!/bin/sh
# make asan: runs the unit and end-to-end suites against the sanitizer build
# in BUILD (BUILD/vaultdr, BUILD/vaultdr-mock, BUILD/unit-tests), then
# replays the fuzz regression inputs and seed corpora through
# BUILD/replay_<target>. ASan/UBSan reports of every process (vaultdr, the
# mock, the tests) go to BUILD/san-logs/; any report fails the run, whatever
# the exit codes said. Ends with "N passed, N failed".
# Usage: scripts/sanitize.sh BUILD TARGET...
set -u
B=$1
shift
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 2
logs=$top/$B/san-logs
rm -rf "$logs"
mkdir -p "$logs"
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:log_path=$logs/asan"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:log_path=$logs/ubsan"
export VAULTDR_BIN="$top/$B/vaultdr" VAULTDR_MOCK_BIN="$top/$B/vaultdr-mock"
export VAULTDR_DNSTOOL="$top/$B/dnstool"
tests/run.sh "$B" 2>&1 | tee "$B/asan-suite.log"
line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$B/asan-suite.log" | tail -1)
pass=${line%% passed*} fail=${line#*passed, }
fail=${fail%% failed*}
[ -n "$line" ] || { pass=0; fail=1; }
for t in "$@"; do
	dirs=""
	for d in tests/fuzz/regressions/$t tests/fuzz/corpus/$t; do
		[ -d "$d" ] && [ -n "$(ls -A "$d")" ] && dirs="$dirs $d"
	done
	# shellcheck disable=SC2086
	if "$B/replay_$t" $dirs; then
		echo "ok   replay $t"
		pass=$((pass + 1))
	else
		echo "FAIL replay $t"
		fail=$((fail + 1))
	fi
done
if [ -n "$(ls -A "$logs")" ]; then
	for f in "$logs"/*; do
		echo "== sanitizer report $f"
		cat "$f"
	done
	echo "FAIL sanitizer reports (above)"
	fail=$((fail + 1))
else
	echo "ok   no sanitizer report"
	pass=$((pass + 1))
fi
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
