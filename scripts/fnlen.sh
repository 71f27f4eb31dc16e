#!/bin/sh
# make lint: no function longer than MAX lines in the given C files.
# A function is counted from the line with its name through its closing
# brace (the BSD layout: return type on the line above, braces in column 0);
# table definitions (`... = {` initialisers) are not functions.
# Usage: scripts/fnlen.sh MAX FILE...   Exits 1 and lists the offenders.
set -u
max=$1
shift
awk -v max="$max" '
FNR == 1 { name = ""; start = 0; inbody = 0 }
!inbody && /^[A-Za-z_][A-Za-z0-9_ *]*\(/ && !/;[ \t]*$/ {
	name = $0; sub(/\(.*/, "", name); sub(/.*[ *]/, "", name)
	start = FNR
}
/^\{/ && name != "" { inbody = 1 }
/^\}/ && inbody {
	n = FNR - start + 1
	if (n > max) {
		printf "%s:%d: %s is %d lines (at most %d)\n", FILENAME, start,
		    name, n, max
		bad = 1
	}
	inbody = 0; name = ""
}
END { exit bad }
' "$@"
