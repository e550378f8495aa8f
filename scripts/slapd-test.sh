#!/usr/bin/env bash
# anzen — the LDAP / Active Directory tests (crates/directory) against a real OpenLDAP.
#
#   bash scripts/slapd-test.sh [cargo test arguments…]
#
# 1. Installs, when missing, the Debian package `slapd` (as root, with apt-get): slapd,
#    slapadd, the mdb backend, the ppolicy and lastbind overlays and the schema files
#    (core, cosine, inetorgperson, nis, msuser). The tests start their own slapd on
#    127.0.0.1 with free ports in temporary directories; a system slapd that the package
#    may start is not used. (`ldap-utils` — ldapsearch, ldapmodify — is handy for looking
#    around by hand but not needed by the tests.)
# 2. Runs `cargo test -p anzen-directory` with CI=true unless CI is already set, so that
#    a missing component fails instead of skipping.
set -euo pipefail

cd "$(dirname "$0")/.."

if ! command -v cargo >/dev/null 2>&1 && [[ -x "$HOME/.cargo/bin/cargo" ]]; then
    export PATH="$HOME/.cargo/bin:$PATH"
fi

if [[ ! -x /usr/sbin/slapd || ! -x /usr/sbin/slapadd || ! -e /usr/lib/ldap/ppolicy.so ]]; then
    if [[ $(id -u) -ne 0 ]]; then
        echo "error: slapd is missing — install it as root: apt-get install slapd" >&2
        exit 1
    fi
    echo "apt-get install slapd"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq slapd >/dev/null
fi

CI="${CI:-true}" cargo test -p anzen-directory "$@"
