#!/bin/sh
# Starts a real BIND 9 (named) for tests/e2e/test_rfc2136.py, as a throwaway
# fixture: DIR gets a generated TSIG key (key.conf), the zone example.test
# from zone.tmpl, named.conf from named.conf.tmpl, and named listening on
# 127.0.0.1 port PORT (UDP and TCP). Waits until it answers, then exits 0
# leaving named running (its pid in DIR/named.pid). On failure it says why,
# shows the end of named's log and exits 1.
# Usage: tests/bind/start.sh DIR PORT
set -eu
dir=$1 port=$2
here=$(cd "$(dirname "$0")" && pwd)
named=$(command -v named || echo /usr/sbin/named)
[ -x "$named" ] || { echo "start.sh: named not found (Debian package bind9; scripts/deps.sh test)" >&2; exit 1; }
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
# Keys: vaultdr-key (hmac-sha256, first in the file), vaultdr-sha512 and
# vaultdr-sha1, each with a random secret as long as its hash.
: > "$dir/key.conf"
for k in vaultdr-key:hmac-sha256:32 vaultdr-sha512:hmac-sha512:64 vaultdr-sha1:hmac-sha1:20; do
	name=${k%%:*} rest=${k#*:}
	alg=${rest%%:*} len=${rest#*:}
	printf 'key "%s" {\n\talgorithm %s;\n\tsecret "%s";\n};\n' \
	    "$name" "$alg" "$(head -c "$len" /dev/urandom | base64 -w0)" >> "$dir/key.conf"
done
sed -e "s|@DIR@|$dir|g" -e "s|@PORT@|$port|g" "$here/named.conf.tmpl" > "$dir/named.conf"
cp "$here/zone.tmpl" "$dir/example.test.zone"
user=""
if [ "$(id -u)" = 0 ]; then
	# named refuses to keep root; give the fixture to the bind user.
	if id bind >/dev/null 2>&1; then
		chown -R bind "$dir"
		user="-u bind"
	fi
fi
# shellcheck disable=SC2086
"$named" -g -c "$dir/named.conf" $user > "$dir/named.log" 2>&1 &
echo $! > "$dir/named.pid"
i=0
while [ $i -lt 100 ]; do
	if ! kill -0 "$(cat "$dir/named.pid")" 2>/dev/null; then
		echo "start.sh: named exited while starting:" >&2
		tail -20 "$dir/named.log" >&2
		exit 1
	fi
	if grep -q "running" "$dir/named.log" 2>/dev/null &&
	    dig +short +time=1 +tries=1 -p "$port" @127.0.0.1 example.test SOA 2>/dev/null | grep -q .; then
		exit 0
	fi
	sleep 0.1
	i=$((i + 1))
done
echo "start.sh: named did not answer on 127.0.0.1 port $port within 10 s:" >&2
tail -20 "$dir/named.log" >&2
kill "$(cat "$dir/named.pid")" 2>/dev/null || true
exit 1
