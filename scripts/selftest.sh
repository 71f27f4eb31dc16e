#!/bin/sh
# selftest - rehearses a DR failover, status and failback with this kit's
# vaultdr against its bundled vaultdr-mock (two Vault clusters and Route 53 on
# loopback, over TLS with the kit's test certificates). Needs only a POSIX sh
# and coreutils: no openssl, no python, no network beyond 127.0.0.1.
# Exits 0 when every step reached its desired state, 1 otherwise.
# Usage: ./selftest [-v]     (-v: vaultdr --verbose)
set -u
kit=$(cd "$(dirname "$0")" && pwd) || exit 1
verbose=
[ "${1:-}" = -v ] && verbose=--verbose

fail() {
	echo "selftest: FAIL: $*" >&2
	exit 1
}

cd "$kit" || exit 1
if [ -f SHA256SUMS ] && command -v sha256sum >/dev/null 2>&1; then
	sha256sum -c --quiet SHA256SUMS || fail "kit files do not match SHA256SUMS"
	echo "selftest: kit files match SHA256SUMS"
fi
for f in vaultdr vaultdr-mock certs/ca.pem certs/server.pem certs/server.key \
    scenarios/demo.json; do
	[ -f "$f" ] || fail "missing $f"
done

work=$(mktemp -d "${TMPDIR:-/tmp}/vaultdr-selftest.XXXXXX") || exit 1
mock_pid=
cleanup() {
	[ -n "$mock_pid" ] && kill "$mock_pid" 2>/dev/null && wait "$mock_pid" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

./vaultdr-mock --cert certs/server.pem --key certs/server.key \
	--scenario scenarios/demo.json --ready-file "$work/ready.json" \
	--log "$work/requests.jsonl" >/dev/null &
mock_pid=$!
i=0
while [ ! -s "$work/ready.json" ]; do
	i=$((i + 1))
	if [ $i -gt 100 ] || ! kill -0 "$mock_pid" 2>/dev/null; then
		fail "the mock did not start"
	fi
	sleep 0.05 2>/dev/null || sleep 1
done
ready=$(cat "$work/ready.json")
url() { # value of "$1" in the one-line ready JSON, without sed
	v=${ready#*\"$1\":\"}
	[ "$v" = "$ready" ] && fail "no $1 in the mock's ready file"
	printf '%s' "${v%%\"*}"
}
vault_a=$(url vault_a) && vault_b=$(url vault_b) && route53=$(url route53) ||
	exit 1

cat > "$work/vault_dr.cfg" <<CFG
[Vault-Cluster-Selftest]
selftest_primary_vault_cluster_domain=$vault_a
selftest_secondary_vault_cluster_domain=$vault_b
selftest_cluster_cname=vault.demo.example.test
selftest_primary_dns_target=vault-usw2.lb.example.test
selftest_secondary_dns_target=vault-use1.lb.example.test

[AWS-Route-53]
HostedZoneID=Z0DEMO0000
CFG

# Placeholder credentials that only the mock accepts (scenarios/demo.json).
export VAULT_TOKEN=demo-vault-token
export VAULT_RECOVERY_KEY_1=demo-recovery-share-1 VAULT_RECOVERY_KEY_2=demo-recovery-share-2
export AWS_ACCESS_KEY_ID=AKIDDEMOEXAMPLE AWS_SECRET_ACCESS_KEY=placeholder-aws-secret-key
export AWS_ENDPOINT_URL_ROUTE_53="$route53" AWS_EC2_METADATA_DISABLED=true
export VAULT_CACERT="$kit/certs/ca.pem" AWS_CA_BUNDLE="$kit/certs/ca.pem"
export VAULTDR_RETRY_BASE=0.2 VAULTDR_POLL_INTERVAL=0.2 DNS_PROPAGATION_DELAY=0
unset VAULT_DR_OPERATION_TOKEN AWS_SESSION_TOKEN AWS_PROFILE VAULT_CAPATH \
	VAULT_CLIENT_CERT VAULT_CLIENT_KEY VAULT_TLS_SERVER_NAME VAULT_SKIP_VERIFY \
	AWS_ENDPOINT_URL VAULTDR_CONFIG 2>/dev/null

n=0
# step WHAT ARGS...: runs vaultdr; a non-zero exit fails the selftest.
step() {
	n=$((n + 1))
	echo
	echo "selftest: step $n: vaultdr $*"
	# shellcheck disable=SC2086
	./vaultdr -y $verbose -c "$work/vault_dr.cfg" "$@"
	rc=$?
	[ $rc -eq 0 ] || fail "step $n: vaultdr $* exited $rc"
}
# expect CMD: `status --json` must say CMD would do nothing.
expect_done() {
	out=$(./vaultdr -c "$work/vault_dr.cfg" --json status selftest) ||
		fail "vaultdr status --json exited $?"
	case $out in
	*"\"$1_would\":\"nothing"*) echo "selftest: status confirms: $1 done" ;;
	*) fail "after $1, status says: $out" ;;
	esac
}

step failover selftest
expect_done failover
step status selftest
step failover selftest # a second run is a no-op
step failback selftest
expect_done failback
step status selftest
echo
echo "selftest: PASS ($n steps; $(wc -l < "$work/requests.jsonl") requests to the mock)"
