#!/bin/sh
# make lint: cppcheck and clang-tidy (.clang-tidy, tests/unit/.clang-tidy)
# on the project's own C files. Exits non-zero on any finding.
# Usage: scripts/lint.sh DIR_WITH_JSMN_H FILE...
set -u
inc=$1
shift
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 2

# Known findings in files owned by others, reported to their owners; each
# entry is one check in one file. Delete an entry once its file is fixed.
#   cppcheck: ID:FILE
cpp_known=""
#   clang-tidy: FILE CHECK[,CHECK...]
tidy_known=""
rc=0
echo "== cppcheck"
supp=""
for s in $cpp_known; do supp="$supp --suppress=$s"; done
# cppcheck does not follow out-parameters across files: json_get_str() and
# xml_text() set *out = NULL before anything else, so the free()s between
# calls in these tests are not double frees.
supp="$supp --suppress=doubleFree:tests/unit/test_json.c"
supp="$supp --suppress=doubleFree:tests/unit/test_route53.c"
# shellcheck disable=SC2086
cppcheck -q --std=c11 --enable=warning,portability,performance \
    --error-exitcode=1 --inline-suppr --suppress=missingIncludeSystem $supp \
    -D__linux__ -D__GNUC__ -D_DEFAULT_SOURCE -DVAULTDR_VERSION='"lint"' \
    -I. -Imock -Itests/unit -Itests/fuzz "$@" || rc=1
echo "== clang-tidy"
out=${TMPDIR:-/tmp}/vaultdr-tidy.$$
: >"$out"
for f in "$@"; do
	extra=$(printf '%s\n' "$tidy_known" | awk -v f="$f" '$1 == f { print $2 }')
	checks=""
	[ -n "$extra" ] && checks="--checks=-$(printf '%s' "$extra" | sed 's/,/,-/g')"
	# shellcheck disable=SC2086
	clang-tidy --quiet $checks "$f" -- -D_DEFAULT_SOURCE \
	    -DVAULTDR_VERSION='"lint"' -DVAULTDR_COMMIT='"lint"' -I. -I/usr/include/bearssl -I"$inc" \
	    -Imock -Itests/unit -Itests/fuzz -std=c11 -pthread \
	    >>"$out" 2>&1 || rc=1
done
grep -v -E '^[0-9]+ warnings? (and [0-9]+ errors? )?generated\.$|^Suppressed [0-9]+ warnings|^Use -header-filter|^Use -system-headers' "$out"
rm -f "$out"
if [ $rc -eq 0 ]; then echo "lint: clean"; else echo "lint: findings above"; fi
exit $rc
