#!/usr/bin/env bash
# anzen — the one test command: installs what the tests need, then runs all tests.
#
#   bash scripts/test.sh
#
# 1. Installs, when missing, the Debian packages the tests use (as root, with apt-get):
#    chromium and chromium-driver for the browser tests, slapd for the LDAP tests,
#    postgresql for the PostgreSQL
#    half of the storage suite.
# 2. Makes sure PostgreSQL answers on 127.0.0.1:5432 (starts the local cluster, or installs
#    one with a database `test` and trust authentication for local TCP) and exports
#    ANZEN_TEST_POSTGRES=postgres://postgres@127.0.0.1:5432/test unless it is already set.
# 3. Runs `cargo fmt --check`, `cargo clippy -D warnings` and `cargo test` on the workspace.
#
# With CI set (as .ci/run does) nothing may be skipped: a test whose component is missing
# fails instead of skipping.
set -euo pipefail

cd "$(dirname "$0")/.."

started=$SECONDS
say() { printf '\n==> %s\n' "$*"; }
warn() { printf 'warning: %s\n' "$*" >&2; }
die() {
    printf 'error: %s\n' "$*" >&2
    exit 1
}

if ! command -v cargo >/dev/null 2>&1 && [[ -x "$HOME/.cargo/bin/cargo" ]]; then
    export PATH="$HOME/.cargo/bin:$PATH"
fi
command -v cargo >/dev/null 2>&1 || die "cargo not found: install a Rust toolchain (rustup.rs) first"

is_root() { [[ $(id -u) -eq 0 ]]; }

apt_updated=0
apt_install() {
    if ! is_root; then
        warn "not root: cannot install $* — install them with: sudo apt-get install $*"
        return 0
    fi
    command -v apt-get >/dev/null 2>&1 || {
        warn "no apt-get: install $* by hand"
        return 0
    }
    if [[ $apt_updated -eq 0 ]]; then
        echo "apt-get update"
        apt-get update -qq || warn "apt-get update failed; trying to install anyway"
        apt_updated=1
    fi
    echo "apt-get install $*"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null ||
        die "apt-get install $* failed"
}

# --- 1. Browser for the browser tests --------------------------------------------------
say "browser: chromium and chromedriver"
missing=()
[[ -x /usr/bin/chromium ]] || missing+=(chromium)
command -v chromedriver >/dev/null 2>&1 || missing+=(chromium-driver)
if [[ ${#missing[@]} -gt 0 ]]; then
    apt_install "${missing[@]}"
fi
if [[ -x /usr/bin/chromium ]] && command -v chromedriver >/dev/null 2>&1; then
    echo "$(/usr/bin/chromium --version 2>/dev/null || echo chromium), $(chromedriver --version 2>/dev/null | cut -d' ' -f1-2)"
else
    warn "chromium/chromedriver missing: the browser tests will be skipped (or fail under CI)"
fi

# --- 1b. LibreOffice for the xlsx export test ------------------------------------------
say "LibreOffice (soffice) for the xlsx export test"
command -v soffice >/dev/null 2>&1 || apt_install libreoffice-calc-nogui
if command -v soffice >/dev/null 2>&1; then
    soffice --version 2>/dev/null | head -n 1 || echo soffice
else
    warn "soffice missing: the LibreOffice check of the xlsx export will be skipped (or fail under CI)"
fi

# --- 1c. OpenLDAP slapd for the LDAP / Active Directory tests ----------------------------
say "OpenLDAP slapd for the directory tests"
if [[ ! -x /usr/sbin/slapd || ! -x /usr/sbin/slapadd || ! -e /usr/lib/ldap/ppolicy.so ]]; then
    apt_install slapd
fi
if [[ -x /usr/sbin/slapd ]]; then
    /usr/sbin/slapd -VV 2>&1 | head -n 1 || echo slapd
else
    warn "slapd missing: the directory tests will be skipped (or fail under CI)"
fi

# --- 2. PostgreSQL ----------------------------------------------------------------------
pg_up() { pg_isready -q -h 127.0.0.1 -p 5432 >/dev/null 2>&1; }
pg_latest() { ls /etc/postgresql 2>/dev/null | sort -V | tail -n 1; }

pg_wait() {
    for _ in $(seq 1 30); do
        pg_up && return 0
        sleep 1
    done
    return 1
}

ensure_postgres() {
    if [[ -n "${ANZEN_TEST_POSTGRES:-}" ]]; then
        echo "using ANZEN_TEST_POSTGRES as set in the environment"
        return 0
    fi
    export ANZEN_TEST_POSTGRES=postgres://postgres@127.0.0.1:5432/test
    if pg_up; then
        echo "PostgreSQL answers on 127.0.0.1:5432"
    else
        local fresh=0 ver
        if ! command -v pg_ctlcluster >/dev/null 2>&1; then
            apt_install postgresql
            fresh=1
        fi
        command -v pg_ctlcluster >/dev/null 2>&1 || {
            warn "PostgreSQL is not installed: the PostgreSQL tests will be skipped (or fail under CI)"
            return 0
        }
        ver=$(pg_latest)
        if [[ -z $ver ]]; then
            ver=$(ls /usr/lib/postgresql | sort -V | tail -n 1)
            echo "creating PostgreSQL $ver cluster main"
            pg_createcluster "$ver" main >/dev/null
            fresh=1
        fi
        local hba="/etc/postgresql/$ver/main/pg_hba.conf"
        if [[ $fresh -eq 1 ]] && is_root && ! grep -qE '^host\s+all\s+all\s+127\.0\.0\.1/32\s+trust' "$hba"; then
            echo "test cluster: trust authentication for local TCP ($hba)"
            sed -i '1i host all all 127.0.0.1/32 trust\nhost all all ::1/128 trust' "$hba"
        fi
        echo "starting PostgreSQL $ver/main"
        pg_ctlcluster --skip-systemctl-redirect "$ver" main start ||
            pg_ctlcluster --skip-systemctl-redirect "$ver" main restart ||
            warn "pg_ctlcluster could not start $ver/main"
        pg_wait || {
            warn "PostgreSQL does not answer on 127.0.0.1:5432: the PostgreSQL tests will be skipped (or fail under CI)"
            return 0
        }
    fi
    local has_test
    has_test=$(psql -h 127.0.0.1 -U postgres -d postgres -Atqc \
        "SELECT 1 FROM pg_database WHERE datname = 'test'" 2>/dev/null || true)
    if [[ $has_test != 1 ]]; then
        echo "creating database test"
        psql -h 127.0.0.1 -U postgres -d postgres -qc "CREATE DATABASE test" >/dev/null ||
            warn "could not create database test (is trust authentication set for 127.0.0.1?)"
    fi
}

say "PostgreSQL on 127.0.0.1:5432"
if command -v pg_isready >/dev/null 2>&1 || is_root; then
    ensure_postgres
else
    warn "PostgreSQL client tools missing and not root: the PostgreSQL tests will be skipped (or fail under CI)"
fi

# --- 3. The tests -----------------------------------------------------------------------
for tool in fmt clippy; do
    cargo "$tool" --version >/dev/null 2>&1 ||
        die "cargo $tool is missing: rustup component add $([[ $tool == fmt ]] && echo rustfmt || echo clippy)"
done

say "cargo fmt --all -- --check"
cargo fmt --all -- --check || die "formatting differs: run \`cargo fmt --all\`"

say "cargo clippy --workspace --all-targets -- -D warnings"
cargo clippy --workspace --all-targets -- -D warnings ||
    die "clippy found problems (above)"

say "cargo test --workspace --no-fail-fast"
cargo test --workspace --no-fail-fast || die "tests failed (above)"

say "all checks passed in $((SECONDS - started)) s"
