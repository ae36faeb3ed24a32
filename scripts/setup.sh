#!/usr/bin/env bash
# Installs what phone_holds needs on Debian 12, as root: PostgreSQL 15 with its headers and
# pg_cron, libclang, python3 (scripts/upgrade_script.py), and cargo-pgrx 0.18.1 pointed at
# Debian's pg_config.
# Idempotent: each step is skipped when already done, so a second run takes seconds.
# Extra Debian packages may be named as arguments (scripts/test.sh adds lintian).
set -euo pipefail

PGRX_VERSION=0.18.1
PG_CONFIG=/usr/lib/postgresql/15/bin/pg_config
export DEBIAN_FRONTEND=noninteractive
export PATH="$HOME/.cargo/bin:$PATH"

say() { printf '\033[1msetup:\033[0m %s\n' "$*"; }

if ! command -v cargo >/dev/null; then
    echo "setup: cargo is not installed; phone_holds needs a Rust toolchain (1.95 is known to work)." >&2
    exit 1
fi

packages=(postgresql-15 postgresql-server-dev-15 postgresql-15-cron libclang-dev sudo build-essential pkg-config python3 "$@")
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

if ! grep -qs "pg15 = \"$PG_CONFIG\"" "$HOME/.pgrx/config.toml"; then
    say "pointing cargo-pgrx at $PG_CONFIG"
    cargo pgrx init --pg15 "$PG_CONFIG"
fi
