#!/usr/bin/env bash
# The spec in SQL: runs test/sql/*.sql with pg_regress against the installed extension and
# compares each output with test/expected/*.out. The PostgreSQL is the one whose pg_config
# PHONE_HOLDS_PG_CONFIG names (Debian's 15 when it is not set), with the extension installed in
# it (`cargo pgrx install`, or the Debian package for 15). pg_regress makes a throwaway instance
# (initdb as the `postgres` user, which it refuses to run as root), listening on a unix socket in a
# temporary directory only, on a private port, and stops it when done; the trap below stops it
# and removes everything also when the run is cut short. On a failure it prints
# regression.diffs. Its last line is always `pg_regress: N passed, M failed`, which
# scripts/test.sh counts; it exits non-zero on any failure.
set -uo pipefail
cd "$(dirname "$0")/.."

PG_CONFIG=${PHONE_HOLDS_PG_CONFIG:-/usr/lib/postgresql/15/bin/pg_config}
PG_BIN=$("$PG_CONFIG" --bindir)
PG_REGRESS=$(dirname "$("$PG_CONFIG" --pgxs)")/../test/regress/pg_regress
TESTS=(quick_start seed_scenarios errors)   # in this order: each file makes its own database

as_postgres() {
    if [[ $(id -u) -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}
AS_POSTGRES=()
[[ $(id -u) -eq 0 ]] && AS_POSTGRES=(runuser -u postgres --)

summary() {
    echo "pg_regress: $1 passed, $2 failed"
}

if [[ ! -x $PG_REGRESS ]] || [[ ! -f $("$PG_CONFIG" --sharedir)/extension/phone_holds.control ]]; then
    echo "pg_regress or the installed extension is missing in $("$PG_CONFIG" --version) (scripts/setup.sh, then cargo pgrx install --pg-config $PG_CONFIG)"
    summary 0 "${#TESTS[@]}"
    exit 1
fi

# pg_regress runs as postgres, so the tests and its results live in a directory postgres owns.
WORK=$(mktemp -d /tmp/phone_holds-regress.XXXXXX)
chmod 755 "$WORK"
cp -r test/sql test/expected "$WORK/"
[[ $(id -u) -eq 0 ]] && chown -R postgres:postgres "$WORK"

regress_pid=
cleanup() {
    # pg_regress stops its instance itself; this covers a run that was interrupted.
    if [[ -n $regress_pid ]]; then
        # pg_regress runs in a process group of its own (setsid below): end that group, by its id.
        kill -TERM -- "-$regress_pid" 2>/dev/null
        for _ in $(seq 50); do kill -0 -- "-$regress_pid" 2>/dev/null || break; sleep 0.2; done
        kill -KILL -- "-$regress_pid" 2>/dev/null
    fi
    if [[ -f $WORK/instance/data/postmaster.pid ]]; then
        as_postgres "$PG_BIN/pg_ctl" -D "$WORK/instance/data" -m immediate -w stop >/dev/null 2>&1 || true
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'echo "interrupted"; summary 0 "${#TESTS[@]}"; exit 130' INT TERM

cd "$WORK"
# A backtrace pgrx would add to some errors' text (when RUST_BACKTRACE is set) names this
# build's source lines: the instance runs without it, so the output is the same everywhere.
unset RUST_BACKTRACE RUST_LIB_BACKTRACE
started=$(date +%s)
setsid "${AS_POSTGRES[@]}" "$PG_REGRESS" \
    --bindir="$PG_BIN" \
    --temp-instance="$WORK/instance" \
    --port=$(( 20000 + RANDOM % 20000 )) \
    --no-locale --encoding=UTF8 \
    --inputdir="$WORK" --outputdir="$WORK" \
    "${TESTS[@]}" >"$WORK/pg_regress.log" 2>&1 &
regress_pid=$!   # in the background, so an INT or TERM reaches the trap at once
wait "$regress_pid"
status=$?
regress_pid=
cat "$WORK/pg_regress.log"

# pg_regress prints one line per test: `test NAME ... ok` or `test NAME ... FAILED` up to 15,
# TAP's `ok 1 - NAME` or `not ok 1 - NAME` from 16 on.
passed=$(grep -cE '^(test |     )?[[:space:]]*[a-z_]+[[:space:]]+\.\.\. ok|^ok [0-9]+ ' "$WORK/pg_regress.log")
failed=$(grep -ciE '^(test |     )?[[:space:]]*[a-z_]+[[:space:]]+\.\.\. failed|^not ok [0-9]+ ' "$WORK/pg_regress.log")
if [[ $status -ne 0 ]]; then
    if [[ -s $WORK/regression.diffs ]]; then
        echo "== regression.diffs"
        cat "$WORK/regression.diffs"
    fi
    # No diffs: the instance or pg_regress itself failed, and the server's log says why.
    if [[ ! -s $WORK/regression.diffs && -f $WORK/log/postmaster.log ]]; then
        echo "== the instance's log (last lines)"
        tail -n 20 "$WORK/log/postmaster.log"
    fi
    # Tests that never ran (the instance did not start, say) count as failed.
    (( passed + failed < ${#TESTS[@]} )) && failed=$(( ${#TESTS[@]} - passed ))
    (( failed == 0 )) && failed=1
fi
echo "pg_regress took $(( $(date +%s) - started )) s"
summary "$passed" "$failed"
(( status == 0 && failed == 0 ))
