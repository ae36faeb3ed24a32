#!/usr/bin/env bash
# The benchmark, as documented in README "Benchmarks": installs the release build of the
# extension into each PostgreSQL version measured, starts a throwaway cluster (as postgres, unix
# socket, private port), loads pools of 1,000 / 100,000 / 1,000,000 numbers, measures the
# variants in rotated rounds on fresh copies of them, profiles them where perf is installed,
# and writes bench/RESULTS.md. Without arguments, a full run: every section on 15, and the
# release and throughput table again on 18 in a cluster of its own.
# Extra arguments go to the driver, e.g. `--pools 1000 --rounds 3 --seconds 2 --calls 30000 --out /tmp/r.md`;
# `--versions 15,18` names the versions (15 alone unless named).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export PATH="$HOME/.cargo/bin:$PATH"
source scripts/postgres.sh
args=("$@")
[[ ${#args[@]} -gt 0 ]] || args=(--versions 15,18 --out bench/RESULTS.md)
versions=15
for ((i = 0; i + 1 < ${#args[@]}; i++)); do
    [[ ${args[i]} == --versions ]] && versions=${args[i + 1]}
done
if [[ "${PHONE_HOLDS_BUILD:-release}" == release ]]; then
    for v in ${versions//,/ }; do
        echo "bench: building and installing the release build of phone_holds into PostgreSQL $v (a few minutes)"
        mapfile -t features < <(features_for "$v")
        cargo pgrx install --release --pg-config "$(pg_config_for "$v")" "${features[@]}" >/tmp/phone_holds-install.log 2>&1 \
            || { cat /tmp/phone_holds-install.log; exit 1; }
    done
fi
export PHONE_HOLDS_BUILD=${PHONE_HOLDS_BUILD:-release}
# The driver only sends statements and reads clocks: its own build profile does not matter.
cargo run -q -p phone_holds_bench -- "${args[@]}"
