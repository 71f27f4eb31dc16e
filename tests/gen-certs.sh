#!/bin/sh
# Generates the test PKI into DIR (never committed; DIR lives under build*/).
# Usage: tests/gen-certs.sh DIR
# VAULTDR_CERT_DAYS sets the leaf certificates' validity (default 30; make kit
# uses 3650 so that a kit's selftest keeps working on the shelf).
# Idempotent: does nothing when DIR/.done exists and the certificates are
# still valid for more than a day.
#
#   ca.pem ca.key              test CA (EC P-256)
#   server.pem server.key      EC P-256, SAN DNS:localhost IP:127.0.0.1 IP:::1, by ca, 30 days (PKCS#8 key)
#   server-rsa.pem .key        RSA 2048, same SANs (PKCS#1 key)
#   wronghost.pem .key         SAN DNS:wrong.example.test, by ca
#   expired.pem .key           by ca, valid only in January 2020
#   selfsigned.pem .key        localhost, self-signed
#   other-ca.pem .key          an unrelated CA
#   client.pem client.key      EC, by ca, clientAuth (SEC1 key)
#   client-rsa.pem .key        RSA 2048, by ca, clientAuth (PKCS#8 key)
set -eu
D=${1:?usage: gen-certs.sh DIR}
days=${VAULTDR_CERT_DAYS:-30}
mkdir -p "$D"
cd "$D"

valid() {
	for f in ca.pem server.pem server-rsa.pem wronghost.pem selfsigned.pem \
	    other-ca.pem client.pem client-rsa.pem expired.pem; do
		[ -f "$f" ] || return 1
	done
	for f in ca.pem server.pem server-rsa.pem client.pem client-rsa.pem; do
		openssl x509 -checkend 86400 -noout -in "$f" >/dev/null 2>&1 || return 1
	done
}
if [ -f .done ] && valid; then
	exit 0
fi
rm -f .done ./*.pem ./*.key ./*.csr ./*.cnf index.txt* serial* ./*.srl
rm -rf newcerts

cat >ext.cnf <<'EOF'
[req]
distinguished_name = dn
prompt = no
[dn]
CN = unused
[ca_ext]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
[srv]
basicConstraints = CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost,IP:127.0.0.1,IP:::1
authorityKeyIdentifier = keyid
[wrong]
basicConstraints = CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = DNS:wrong.example.test
[self]
basicConstraints = CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost,IP:127.0.0.1
[cli]
basicConstraints = CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = clientAuth
EOF

cat >ca.cnf <<EOF
[ca]
default_ca = tca
[tca]
dir = .
database = index.txt
new_certs_dir = newcerts
serial = serial
default_md = sha256
policy = any
unique_subject = no
email_in_dn = no
[any]
commonName = supplied
EOF
mkdir newcerts
: >index.txt
echo 1000 >serial

ec() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }
rsa() { openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$1" 2>/dev/null; }
# ca NAME CN
mkca() {
	ec "$1.key"
	openssl req -new -x509 -config ext.cnf -extensions ca_ext -key "$1.key" \
	    -subj "/CN=$2" -days 3650 -sha256 -out "$1.pem"
}
# leaf NAME CN EXT [CA]: signs NAME.key (which must exist) with CA (default ca)
leaf() {
	openssl req -new -config ext.cnf -key "$1.key" -subj "/CN=$2" -out "$1.csr"
	openssl x509 -req -in "$1.csr" -CA "${4:-ca}.pem" -CAkey "${4:-ca}.key" \
	    -set_serial "0x$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')" \
	    -days "$days" -sha256 -extfile ext.cnf -extensions "$3" -out "$1.pem" 2>/dev/null
	rm -f "$1.csr"
}

mkca ca "vaultdr test CA"
mkca other-ca "unrelated test CA"

ec server.key
leaf server localhost srv
rsa server-rsa.key
openssl rsa -traditional -in server-rsa.key -out server-rsa.key 2>/dev/null
leaf server-rsa localhost srv
ec wronghost.key
leaf wronghost wrong.example.test wrong

ec client.key
openssl ec -in client.key -out client.key 2>/dev/null # SEC1 "EC PRIVATE KEY"
leaf client vaultdr-client cli
rsa client-rsa.key
leaf client-rsa vaultdr-client-rsa cli

ec expired.key
openssl req -new -config ext.cnf -key expired.key -subj "/CN=localhost" -out expired.csr
openssl ca -batch -config ca.cnf -cert ca.pem -keyfile ca.key -in expired.csr \
    -startdate 20200101000000Z -enddate 20200201000000Z -extfile ext.cnf \
    -extensions srv -notext -out expired.pem 2>/dev/null
rm -f expired.csr

ec selfsigned.key
openssl req -new -x509 -config ext.cnf -extensions self -key selfsigned.key \
    -subj "/CN=localhost" -days 30 -sha256 -out selfsigned.pem

rm -rf newcerts index.txt* serial* ca.cnf ext.cnf
touch .done
