#!/bin/sh
# Install the Debian packages vaultdr needs to build and test, if missing.
# Idempotent: does nothing when everything is present. Usage: scripts/deps.sh [build|test|interop|lint|fuzz|man]
set -eu
want="libbearssl-dev libjsmn-dev musl-tools openssl python3 make gcc"
case "${1:-build}" in
  build) ;;
  test) want="$want valgrind bind9 bind9-dnsutils" ;;
  interop) want="$want awscli python3-hvac" ;;
  lint) want="$want cppcheck clang-tidy clang" ;;
  fuzz) want="$want clang libclang-rt-14-dev" ;;
  man) want="$want mandoc" ;;
  *) echo "deps.sh: unknown profile '$1'" >&2; exit 2 ;;
esac
missing=""
for p in $want; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ]; then
  echo "vaultdr: missing Debian packages:$missing" >&2
  echo "vaultdr: run as root, or: sudo apt-get install$missing" >&2
  exit 1
fi
echo "deps.sh: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
