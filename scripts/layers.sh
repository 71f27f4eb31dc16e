#!/bin/sh
# make lint: the client's include graph follows the module map (README.md,
# docs/ARCHITECTURE.md): a file includes only its own module's headers and
# those of modules below it, so there is no include cycle. Exits 1 and
# names each include that points up (or at a file the map does not know).
# Usage: scripts/layers.sh   (from anywhere; reads the top directory)
set -u
cd "$(dirname "$0")/.." || exit 2
# The map, bottom up: one module a line, then the files that make it up
# when they are not just MODULE.c and MODULE.h. dr.h (commands, options,
# exit codes, dr_run) sits below the engine that it names; dr.c on top.
map='
err
buf
b64
secret
json
log
net
tlserr
pem
tls tls_conn.h
h1
url
proxy
http
xml
ini
sigv4
awscreds
retry
vault
route53
dns
tsig
rfc2136
hook
config
drapi dr.h
plan
dnsrec
engine engine.h event.c lock.c observe.c perf.c report.c steps.c preflight.c runenv.c ride.c
dr dr.c
multi
vaultdr
'
ls ./*.c ./*.h | sed 's|^\./||' | grep -v '^compat\.c$' |
awk -v map="$map" '
BEGIN {
	n = split(map, line, "\n")
	for (i = 1; i <= n; i++) {
		k = split(line[i], w, " ")
		if (k == 0)
			continue
		rank[w[1]] = ++r
		for (j = 2; j <= k; j++)
			mod[w[j]] = w[1]
		if (!((w[1] ".c") in mod))
			mod[w[1] ".c"] = w[1]
		if (!((w[1] ".h") in mod))
			mod[w[1] ".h"] = w[1]
	}
}
{ files[$0] = 1 }
END {
	for (f in files) {
		if (!(f in mod)) {
			printf "%s: not in the module map (scripts/layers.sh)\n", f
			bad = 1
			continue
		}
		while ((getline l < f) > 0) {
			if (l !~ /^#include "/)
				continue
			h = l
			sub(/^#include "/, "", h)
			sub(/".*/, "", h)
			if (!(h in mod)) {
				printf "%s: includes %s, which the map does not know\n", f, h
				bad = 1
			} else if (mod[h] != mod[f] && rank[mod[h]] > rank[mod[f]]) {
				printf "%s: includes %s, above it in the map (%s over %s)\n",
				    f, h, mod[h], mod[f]
				bad = 1
			}
		}
		close(f)
	}
	exit bad
}'
