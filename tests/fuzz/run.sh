#!/bin/sh
# Runs each libFuzzer target: first its regression inputs
# (tests/fuzz/regressions/<t>/, each must pass), then SECONDS of fuzzing
# from the committed seed corpus (tests/fuzz/corpus/<t>/) plus a work corpus
# in BUILD/corpus/<t>. Any crash, leak, timeout or out-of-memory fails.
# A crashing input is minimized into BUILD/artifacts/<t>/; keep it as
# tests/fuzz/regressions/<t>/<name> once fixed.
# Usage: tests/fuzz/run.sh BUILD SECONDS TARGET...
set -u
B=$1 secs=$2
shift 2
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 2
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
pass=0 fail=0 summary=""
for t in "$@"; do
	bin=$B/fuzz_$t
	work=$B/corpus/$t art=$B/artifacts/$t/
	mkdir -p "$work" "$art"
	dict=""
	[ -f "tests/fuzz/$t.dict" ] && dict="-dict=tests/fuzz/$t.dict"
	reg=tests/fuzz/regressions/$t
	if [ -d "$reg" ] && [ -n "$(ls -A "$reg" 2>/dev/null)" ]; then
		echo "== fuzz $t: replaying $(ls "$reg" | wc -l) regression inputs"
		if ! "$bin" -runs=1 $dict "$reg"/* >"$B/$t.replay.log" 2>&1; then
			cat "$B/$t.replay.log"
			echo "FAIL fuzz $t: a regression input fails again"
			fail=$((fail + 1))
			summary="$summary
$t: regression FAILED"
			continue
		fi
	fi
	echo "== fuzz $t: ${secs}s"
	# shellcheck disable=SC2086
	"$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
	    -print_final_stats=1 -artifact_prefix="$art" $dict \
	    "$work" "tests/fuzz/corpus/$t" >"$B/$t.log" 2>&1
	rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$B/$t.log" | tail -1)
	if [ $rc -ne 0 ]; then
		tail -60 "$B/$t.log"
		for crash in "$art"crash-* "$art"leak-* "$art"timeout-* "$art"oom-*; do
			[ -f "$crash" ] || continue
			echo "fuzz $t: minimizing $crash"
			"$bin" -minimize_crash=1 -max_total_time=60 -runs=100000 \
			    -exact_artifact_path="$crash.min" "$crash" \
			    >"$B/$t.min.log" 2>&1
			echo "fuzz $t: keep as regression: cp $crash.min tests/fuzz/regressions/$t/"
		done
		echo "FAIL fuzz $t (exit $rc after ${execs:-?} executions)"
		fail=$((fail + 1))
		summary="$summary
$t: FAILED after ${execs:-?} executions"
	else
		echo "ok   fuzz $t: ${execs:-?} executions"
		pass=$((pass + 1))
		summary="$summary
$t: ${execs:-?} executions"
	fi
done
echo "== fuzz: total executions per target:$summary"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
