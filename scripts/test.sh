#!/usr/bin/env bash
# Runs every test: unit tests of the rules and #[pg_test]s (cargo pgrx test), then the
# end-to-end tests against a throwaway cluster (tests/e2e), with a smoke run of the benchmark
# before them, then the Debian package (built, linted, installed, upgraded and removed), then the
# n8n workflows in a real n8n (tests/n8n-live). Installs what it needs first.
set -euo pipefail
cd "$(dirname "$0")/.."
# Every runner's output also goes to this log, so the last line can add up all the results.
RESULTS=$(mktemp /tmp/phone_holds-test-results.XXXXXX)
trap 'rm -f "$RESULTS"' EXIT
bash scripts/setup.sh lintian
export PATH="$HOME/.cargo/bin:$PATH"
PG_CONFIG=/usr/lib/postgresql/15/bin/pg_config

echo "== unit tests and #[pg_test]s"
# initdb refuses root: pgrx runs the test cluster as postgres in a directory it can write.
PGRX_DATA=/tmp/phone_holds-pgdata
install -d -o postgres -g postgres "$PGRX_DATA"
# The pg_tests share leads and numbers, so they run one at a time.
RUST_TEST_THREADS=1 cargo pgrx test pg15 --runas postgres --pgdata "$PGRX_DATA" 2>&1 | tee -a "$RESULTS"

cargo pgrx install --pg-config "$PG_CONFIG" >/tmp/phone_holds-install.log 2>&1 \
    || { cat /tmp/phone_holds-install.log; exit 1; }

echo "== the pg_regress spec (test/sql, test/expected)"
bash scripts/regress.sh 2>&1 | tee -a "$RESULTS"

echo "== the benchmark's own unit tests (rounds and spreads, the profile's split), then a smoke run (smallest pool, two rounds, the debug build just installed: it proves the benchmark works; its figures mean nothing)"
cargo test -p phone_holds_bench 2>&1 | tee -a "$RESULTS"
PHONE_HOLDS_BUILD=debug bash bench/run.sh --pools 1000 --rounds 2 --seconds 1 --calls 3000 --backlog 10000 --inbound-pool 3000 --inbound-calls 1000 --vapi-calls 200 --local-pool 3000 --history-holds 25000 --out /tmp/phone_holds-bench-smoke.md

echo "== end-to-end tests (real cluster, extension installed as a user would)"
# The stress harness runs 60 s by default; 20 s keeps the whole run short and still ~50,000 operations.
PHONE_HOLDS_STRESS_SECONDS=${PHONE_HOLDS_STRESS_SECONDS:-20} cargo test -p phone_holds_e2e -- --nocapture 2>&1 | tee -a "$RESULTS"

echo "== the Debian package: this version's and the previous release's (from git history), linted, installed with dpkg, upgraded, removed"
deb=$(bash scripts/package.sh | tail -1)
previous=$(dpkg-parsechangelog -l packaging/debian/changelog --offset 1 --count 1 -S Version)
deb_previous=$(bash scripts/package.sh --release "${previous%-*}" | tail -1)
PHONE_HOLDS_DEB=$deb PHONE_HOLDS_DEB_PREVIOUS=$deb_previous cargo test -p phone_holds_e2e --test package -- --ignored --nocapture 2>&1 | tee -a "$RESULTS"

echo "== the n8n workflows in a real n8n (tests/n8n-live; the first run installs n8n from npm, about 10 minutes)"
if [[ $(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0) -ge 20 ]]; then
    PHONE_HOLDS_INSTALLED=1 bash tests/n8n-live/run.sh 2>&1 | tee -a "$RESULTS"
else
    echo "SKIPPED: n8n 1.123 needs Node.js 20, and this machine has $(node --version 2>/dev/null || echo no Node.js)"
fi

# One closing line for the whole run (cargo's last line is the e2e crate's empty doc-test run).
sed 's/\x1b\[[0-9;]*m//g' "$RESULTS" | awk '/^test result:|^n8n-live [a-z-]+: [0-9]+ passed|^pg_regress: [0-9]+ passed/ { for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i } }
    END { printf "tests: %d passed, %d failed\n", p, f; exit (f > 0 || p == 0) }'
