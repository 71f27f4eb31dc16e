#!/bin/sh
# make valgrind: runs the named end-to-end cases (substring filters of
# tests/e2e/test_dr.py, or whole files named test_*.py) with vaultdr under $VAULTDR_WRAP (valgrind, exit 99
# on any error or definite leak, which fails the case's exit-code check).
# Ends with "N passed, N failed".
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 2
: "${VAULTDR_WRAP:?set VAULTDR_WRAP to the valgrind command line}"
pass=0 fail=0
for c in "$@"; do
	# "test_x.py" runs a whole file; anything else filters test_dr.py.
	case $c in
	*.py) file=tests/e2e/$c filter= ;;
	*) file=tests/e2e/test_dr.py filter=$c ;;
	esac
	python3 "$file" $filter >"${TMPDIR:-/tmp}/vaultdr-valgrind.$$" 2>&1
	cat "${TMPDIR:-/tmp}/vaultdr-valgrind.$$"
	line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "${TMPDIR:-/tmp}/vaultdr-valgrind.$$" | tail -1)
	rm -f "${TMPDIR:-/tmp}/vaultdr-valgrind.$$"
	p=${line%% passed*} f=${line#*passed, }
	f=${f%% failed*}
	if [ -z "$line" ] || [ "$p" -eq 0 ]; then
		fail=$((fail + 1)) # the filter matched nothing, or the run broke
		continue
	fi
	pass=$((pass + p)) fail=$((fail + f))
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
