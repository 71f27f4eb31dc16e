#!/bin/sh
# make demo: a failover, a status and a failback against the bundled mock,
# over TLS with freshly made test certificates and short timings.
# Usage: scripts/demo.sh [BUILD_DIR]
set -eu
B=${1:-build}
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
certs="$B/certs"
tests/gen-certs.sh "$certs" >/dev/null
work=$(mktemp -d "${TMPDIR:-/tmp}/vaultdr-demo.XXXXXX")
mock_pid=
cleanup() {
	[ -n "$mock_pid" ] && kill "$mock_pid" 2>/dev/null && wait "$mock_pid" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT INT TERM

./mock/vaultdr-mock --cert "$certs/server.pem" --key "$certs/server.key" \
	--scenario mock/scenarios/demo.json --ready-file "$work/ready.json" \
	--log "$work/requests.jsonl" >/dev/null &
mock_pid=$!
i=0
while [ ! -s "$work/ready.json" ]; do
	i=$((i + 1))
	if [ $i -gt 100 ] || ! kill -0 "$mock_pid" 2>/dev/null; then
		echo "demo: the mock did not start" >&2; exit 1
	fi
	sleep 0.05
done
url() { sed -n "s/.*\"$1\":\"\([^\"]*\)\".*/\1/p" "$work/ready.json"; }

cat > "$work/vault_dr.cfg" <<CFG
[Vault-Cluster-Demo]
demo_primary_vault_cluster_domain=$(url vault_a)
demo_secondary_vault_cluster_domain=$(url vault_b)
demo_cluster_cname=vault.demo.example.test
demo_primary_dns_target=vault-usw2.lb.example.test
demo_secondary_dns_target=vault-use1.lb.example.test

[AWS-Route-53]
HostedZoneID=Z0DEMO0000
CFG

# Placeholder credentials that only the mock accepts (mock/scenarios/demo.json).
export VAULT_TOKEN=demo-vault-token
export VAULT_RECOVERY_KEY_1=demo-recovery-share-1 VAULT_RECOVERY_KEY_2=demo-recovery-share-2
export AWS_ACCESS_KEY_ID=AKIDDEMOEXAMPLE AWS_SECRET_ACCESS_KEY=placeholder-aws-secret-key
export AWS_ENDPOINT_URL_ROUTE_53="$(url route53)"
export VAULT_CACERT="$certs/ca.pem" AWS_CA_BUNDLE="$certs/ca.pem"
export VAULTDR_RETRY_BASE=0.2 VAULTDR_POLL_INTERVAL=0.2 DNS_PROPAGATION_DELAY=0
unset VAULT_DR_OPERATION_TOKEN AWS_SESSION_TOKEN

run() {
	echo
	echo "\$ vaultdr $*"
	./vaultdr -c "$work/vault_dr.cfg" "$@"
}
start=$(date +%s.%N)
run failover demo
run status demo
run failback demo
run status demo
end=$(date +%s.%N)
echo
echo "demo: failover, status and failback against the mock in $(echo "$end $start" | awk '{printf "%.1f", $1 - $2}') s; $(wc -l < "$work/requests.jsonl") requests served"
