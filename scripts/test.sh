#!/usr/bin/env bash
# Runs every test, on every PostgreSQL version phone_holds supports (scripts/postgres.sh):
# per version, the unit tests of the rules and every #[pg_test] (cargo pgrx test), the
# pg_regress spec, then the end-to-end tests against throwaway clusters (tests/e2e), PgBouncer's
# and PostgREST's included, and a hot standby's. On 15, which has pg_cron and pgTAP, also the pgTAP
# check users run, a smoke run of the benchmark, and the tests that need pg_cron (a Patroni
# cluster's failover among them); elsewhere those are counted as
# skipped. Then a database carried from 15 to each newer version by pg_upgrade
# and by pg_dumpall, the Debian package of each version (15's built, linted, installed,
# upgraded and removed; the others' built, linted, and loaded from their files), and the n8n
# workflows in a real n8n (tests/n8n-live). Installs what it needs first.
set -euo pipefail
cd "$(dirname "$0")/.."
# Every runner's output also goes to a log per part, so the last lines can add up the results.
LOGS=$(mktemp -d /tmp/phone_holds-test-results.XXXXXX)
trap 'rm -rf "$LOGS"' EXIT
# lintian for the packages, PgBouncer for the pooler test, pgTAP and pg_prove for the check users run.
bash scripts/setup.sh lintian pgbouncer postgresql-15-pgtap libtap-parser-sourcehandler-pgtap-perl
export PATH="$HOME/.cargo/bin:$PATH"
source scripts/postgres.sh
# etcd and Patroni for the failover test (tests/e2e/tests/failover.rs): about 20 s once, cached.
PHONE_HOLDS_PATRONI=$(bash scripts/patroni.sh)
export PHONE_HOLDS_PATRONI

# n8n (both versions, and n8n 2's Node.js 24) installs from npm in the background while the
# suites build and run: on a machine that has none of it that is 10 to 20 minutes of mostly
# waiting on the network, which the n8n checks at the end would otherwise add to the run.
n8n_node=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
n8n_install=
if (( n8n_node >= 20 )); then
    # A session of its own, so that an early exit stops npm with it.
    setsid bash tests/n8n-live/run.sh --install-only >"$LOGS/n8n-install" 2>&1 &
    n8n_install=$!
fi
trap '[[ -z $n8n_install ]] || kill -- "-$n8n_install" 2>/dev/null; rm -rf "$LOGS"' EXIT

declare -A SECONDS_OF
for v in "${PG_VERSIONS[@]}"; do
    started=$SECONDS
    pg_config=$(pg_config_for "$v")
    log=$LOGS/pg$v

    echo "== PostgreSQL $v: unit tests and #[pg_test]s"
    # initdb refuses root: pgrx runs the test cluster as postgres in a directory it can write.
    data=/tmp/phone_holds-pgdata-$v
    install -d -o postgres -g postgres "$data"
    # The pg_tests share leads and numbers, so they run one at a time.
    RUST_TEST_THREADS=1 cargo pgrx test "pg$v" --runas postgres --pgdata "$data" 2>&1 | tee -a "$log"

    mapfile -t features < <(features_for "$v")
    cargo pgrx install --pg-config "$pg_config" "${features[@]}" >/tmp/phone_holds-install.log 2>&1 \
        || { cat /tmp/phone_holds-install.log; exit 1; }

    echo "== PostgreSQL $v: the pg_regress spec (test/sql, test/expected)"
    PHONE_HOLDS_PG_CONFIG=$pg_config bash scripts/regress.sh 2>&1 | tee -a "$log"

    if [[ $v == 15 ]]; then
        # Debian has pgTAP for 15 only.
        echo "== PostgreSQL $v: the pgTAP check users run (test/pgtap), on a Supabase-shaped install and an adopted pool"
        PHONE_HOLDS_PG_CONFIG=$pg_config bash scripts/pgtap.sh 2>&1 | tee -a "$log"
        echo "== the benchmark's own unit tests (rounds and spreads, the profile's split), then a smoke run (smallest pool, two rounds, the debug build just installed: it proves the benchmark works; its figures mean nothing)"
        cargo test -p phone_holds_bench 2>&1 | tee -a "$log"
        PHONE_HOLDS_BUILD=debug bash bench/run.sh --pools 1000 --rounds 2 --seconds 1 --calls 3000 --backlog 10000 --inbound-pool 3000 --inbound-calls 1000 --vapi-calls 200 --local-pool 3000 --history-holds 25000 --out /tmp/phone_holds-bench-smoke.md
    fi

    echo "== PostgreSQL $v: end-to-end tests (real clusters, the extension installed as a user would)"
    # The stress harness runs 60 s by default; 20 s keeps the whole run short and still ~50,000
    # operations on 15, 10 s on the others.
    skip=()
    stress=20
    if [[ ! -f $("$pg_config" --sharedir)/extension/pg_cron.control ]]; then
        skip=(--skip pg_cron)
        stress=10
        echo "PostgreSQL $v has no pg_cron here: the tests that need it (named *pg_cron*) are skipped"
    fi
    PHONE_HOLDS_PG_CONFIG=$pg_config PHONE_HOLDS_STRESS_SECONDS=${PHONE_HOLDS_STRESS_SECONDS:-$stress} \
        cargo test -p phone_holds_e2e -- --nocapture "${skip[@]}" 2>&1 | tee -a "$log"
    SECONDS_OF[$v]=$((SECONDS - started))
done

echo "== a database moved from PostgreSQL 15 to each newer version, by pg_upgrade and by pg_dumpall"
started=$SECONDS
newer=()
for v in "${PG_VERSIONS[@]}"; do
    [[ $v == 15 ]] || newer+=("$(pg_config_for "$v")")
done
# Upstream's 15 gets the library built for Debian's 15 (one build serves every minor release of
# a major version, as Debian's package does).
debian=$(pg_config_for 15)
upstream=$(pg_config_for 15-upstream)
install -m 644 "$("$debian" --pkglibdir)/phone_holds.so" "$("$upstream" --pkglibdir)/"
install -m 644 "$("$debian" --sharedir)"/extension/phone_holds* "$("$upstream" --sharedir)/extension/"
PHONE_HOLDS_UPGRADE_FROM=$upstream PHONE_HOLDS_UPGRADE_TO="${newer[*]}" cargo test -p phone_holds_e2e --test major_upgrade -- --ignored --nocapture 2>&1 | tee -a "$LOGS/upgrade"

echo "== the Debian packages: 15's and the previous release's (from git history), linted, installed with dpkg, upgraded, removed; each newer version's linted and loaded from its files"
deb=$(bash scripts/package.sh | tail -1)
previous=$(dpkg-parsechangelog -l packaging/debian/changelog --offset 1 --count 1 -S Version)
deb_previous=$(bash scripts/package.sh --release "${previous%-*}" | tail -1)
PHONE_HOLDS_DEB=$deb PHONE_HOLDS_DEB_PREVIOUS=$deb_previous cargo test -p phone_holds_e2e --test package -- --ignored --nocapture 2>&1 | tee -a "$LOGS/packages"
for v in "${PG_VERSIONS[@]}"; do
    [[ $v == 15 ]] && continue
    deb=$(bash scripts/package.sh --pg "$v" | tail -1)
    PHONE_HOLDS_DEB=$deb PHONE_HOLDS_PG_CONFIG=$(pg_config_for "$v") cargo test -p phone_holds_e2e --test package -- --ignored --nocapture \
        --skip package_installs 2>&1 | tee -a "$LOGS/packages"
done
upgrades_and_packages=$((SECONDS - started))

echo "== the n8n workflows in a real n8n 2.x and 1.x (tests/n8n-live; installed from npm while the suites ran)"
if [[ -n $n8n_install ]]; then
    started=$SECONDS
    wait "$n8n_install" || { cat "$LOGS/n8n-install"; echo "installing n8n failed (above)"; exit 1; }
    n8n_install=
    echo "(waited $((SECONDS - started)) s more for the install; its log:)"; cat "$LOGS/n8n-install"
    PHONE_HOLDS_INSTALLED=1 bash tests/n8n-live/run.sh 2>&1 | tee -a "$LOGS/n8n"
else
    echo "SKIPPED: the n8n checks need Node.js 20 and npm (n8n 2 then runs on Node.js 24 from npm), and this machine has $(node --version 2>/dev/null || echo no Node.js)"
fi

# The closing lines: one per PostgreSQL version (the tests skipped are the ones a --skip left
# out), then one for the whole run.
count() {
    sed 's/\x1b\[[0-9;]*m//g' "$@" | awk '/^test result:|^n8n-live [a-z0-9.-]+: [0-9]+ passed|^pg_regress: [0-9]+ passed|^pgtap: [0-9]+ passed/ {
        for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i; if ($(i+1) == "filtered") s += $i } }
        END { printf "%d %d %d\n", p, f, s }'
}
echo
for v in "${PG_VERSIONS[@]}"; do
    read -r p f s < <(count "$LOGS/pg$v")
    why=
    ((s == 0)) || why=" (they need pg_cron, which this machine has for PostgreSQL 15 only)"
    printf 'PostgreSQL %s: %d passed, %d failed, %d skipped%s, in %dm%02ds\n' "$v" "$p" "$f" "$s" "$why" $((SECONDS_OF[$v] / 60)) $((SECONDS_OF[$v] % 60))
done
read -r p f _ < <(count "$LOGS/upgrade" "$LOGS/packages")
printf 'Major-version upgrades and packages: %d passed, %d failed, in %dm%02ds\n' "$p" "$f" $((upgrades_and_packages / 60)) $((upgrades_and_packages % 60))
read -r p f _ < <(count "$LOGS"/*)
printf 'tests: %d passed, %d failed\n' "$p" "$f"
((f == 0 && p > 0))
