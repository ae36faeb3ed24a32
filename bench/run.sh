#!/usr/bin/env bash
# The benchmark, as documented in README "Benchmarks": installs the release build of the
# extension, starts a throwaway cluster (as postgres, unix socket, private port), loads pools
# of 1,000 / 100,000 / 1,000,000 numbers, measures the variants in rotated rounds on fresh
# copies of them, profiles them where perf is installed, and writes bench/RESULTS.md.
# Extra arguments go to the driver, e.g. `--pools 1000 --rounds 3 --seconds 2 --calls 30000 --out /tmp/r.md`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export PATH="$HOME/.cargo/bin:$PATH"
if [[ "${PHONE_HOLDS_BUILD:-release}" == release ]]; then
    echo "bench: building and installing the release build of phone_holds (a few minutes)"
    cargo pgrx install --release --pg-config /usr/lib/postgresql/15/bin/pg_config >/tmp/phone_holds-install.log 2>&1 \
        || { cat /tmp/phone_holds-install.log; exit 1; }
fi
export PHONE_HOLDS_BUILD=${PHONE_HOLDS_BUILD:-release}
args=("$@")
[[ ${#args[@]} -gt 0 ]] || args=(--out bench/RESULTS.md)
# The driver only sends statements and reads clocks: its own build profile does not matter.
cargo run -q -p phone_holds_bench -- "${args[@]}"
