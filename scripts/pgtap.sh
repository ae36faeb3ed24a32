#!/usr/bin/env bash
# The users' pgTAP check (test/pgtap/, docs/operations/pgtap.md), run with pg_prove against the
# installed extension in two deployments, each on a throwaway cluster of its own
# (scripts/cluster.sh: run by the `postgres` user, a unix socket in its own directory only, a
# private port, stopped and removed at exit, also on failure):
#
#   created  Supabase's shape: the roles anon, authenticated and service_role (NOLOGIN), and
#            default privileges in public granting them every new function, table and sequence,
#            set BEFORE the extension is created; then CREATE EXTENSION, phone_holds_setup(),
#            README's Privileges grants to service_role, a few holds, and, when this PostgreSQL
#            has pg_cron, the release job (schedule_phone_release()). pg_prove without --set.
#   adopted  plain PostgreSQL: the seed's own signalwire_phone_numbers with rows first, then the
#            extension, setup adopting it, README's grants to the role n8n, a few holds, and hold
#            windows of its own (ALTER DATABASE … SET phone_holds.*); no anon/authenticated, no
#            pg_cron (so those checks are skipped). pg_prove --set caller=n8n.
#
# In both, the database must be the same after pg_prove as before (rows, extensions, relations,
# functions): one more passed check each.
#
# Then it proves the check can fail: in a third database of the first cluster, anon may execute
# assign_phone_to_lead(), PUBLIC may execute release_expired_phone_numbers(), and
# phone_holds_verify_signature() (SECURITY DEFINER) searches public first; pg_prove must fail
# on each of those, and each failure found counts as one passed check.
#
# The PostgreSQL is the one PHONE_HOLDS_PG_CONFIG names (Debian's 15 when unset), with the
# extension and pgTAP installed in it. The last line is always `pgtap: N passed, M failed` (the
# pgTAP tests of both deployments, skipped ones counted as passed, plus the checks of the check),
# which scripts/test.sh counts; it exits non-zero on any failure.
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

PG_CONFIG=${PHONE_HOLDS_PG_CONFIG:-/usr/lib/postgresql/15/bin/pg_config}
TESTS=("$ROOT"/test/pgtap/*.sql)

summary() {
    echo "pgtap: $1 passed, $2 failed"
}

missing=
[[ -x $PG_CONFIG ]] || missing="$PG_CONFIG"
if [[ -z $missing ]]; then
    share=$("$PG_CONFIG" --sharedir)/extension
    [[ -f $share/phone_holds.control ]] || missing="the extension in $("$PG_CONFIG" --version) (cargo pgrx install --pg-config $PG_CONFIG, or the Debian package)"
    [[ -f $share/pgtap.control ]] || missing="pgTAP in $("$PG_CONFIG" --version) (no pgtap.control in $share; for Debian's 15: apt-get install postgresql-15-pgtap)"
fi
command -v pg_prove >/dev/null || missing="pg_prove (Debian: apt-get install libtap-parser-sourcehandler-pgtap-perl)"
if [[ -n $missing ]]; then
    echo "pgtap.sh: missing $missing"
    summary 0 1
    exit 1
fi

source scripts/cluster.sh
# A backtrace pgrx would add to an error's text when RUST_BACKTRACE is set: the servers run
# without it, as a user's do.
unset RUST_BACKTRACE RUST_LIB_BACKTRACE
PG_BIN=$("$PG_CONFIG" --bindir)   # cluster.sh's server, for the version asked for
HAS_CRON=
if [[ -f $share/pg_cron.control && -f $("$PG_CONFIG" --pkglibdir)/pg_cron.so ]]; then
    HAS_CRON=1
fi

LOGS=$(mktemp -d /tmp/phone_holds-pgtap.XXXXXX)
trap 'rm -rf "$LOGS"' EXIT
trap 'echo "interrupted"; summary 0 1; exit 130' INT TERM
started=$(date +%s)

sql() {   # sql DB: runs stdin, stops at the first error; the output goes to the log
    local db=$1
    if ! psql -X -q -v ON_ERROR_STOP=1 -d "$db" >>"$LOGS/setup.log" 2>&1; then
        echo "pgtap.sh: setting up $db failed:"
        tail -n 30 "$LOGS/setup.log"
        return 1
    fi
}

readme_grants() {   # README's Privileges grants, to the role $1
    awk '/^## Privileges/ { p = 1 } p && /^```sql/ { q = 1; next } q && /^```/ { exit } q' README.md \
        | sed "s/\bservice_role\b/$1/g"
}

# What the test must leave as it found it: the rows of the pool, the ledger and the
# appointments, the extensions, relations and functions. (Sequences move on: a rolled-back
# insert still uses up its ids.)
fingerprint() {
    psql -X -At -d "$1" -c "SELECT md5(concat_ws('|',
        (SELECT string_agg(t::text, ',' ORDER BY t::text) FROM public.signalwire_phone_numbers AS t),
        (SELECT string_agg(t::text, ',' ORDER BY t::text) FROM public.phone_hold_ledger AS t),
        (SELECT string_agg(t::text, ',' ORDER BY t::text) FROM public.phone_hold_appointments AS t),
        (SELECT string_agg(extname || ' ' || extversion, ',' ORDER BY extname) FROM pg_extension),
        (SELECT count(*) FROM pg_class), (SELECT count(*) FROM pg_proc)))" 2>&1
}

# pg_prove NAME DB [pg_prove options]: the verbose TAP goes to $LOGS/NAME.tap; what did not
# plainly pass (failures and their diagnostics; skips, counted by reason) and pg_prove's summary
# are printed; every line with PHONE_HOLDS_PGTAP_VERBOSE=1.
prove() {
    local name=$1 db=$2
    shift 2
    local before
    before=$(fingerprint "$db")
    (cd "$ROOT" && pg_prove --psql-bin "$PG_BIN/psql" -d "$db" --verbose --nocolor "$@" "${TESTS[@]/#$ROOT\//}") \
        >"$LOGS/$name.tap" 2>&1
    local status=$?
    echo "$status" >"$LOGS/$name.status"
    if [[ $(fingerprint "$db") == "$before" ]]; then
        echo "the test left $db as it found it" >"$LOGS/$name.unchanged"
    fi
    if [[ -n ${PHONE_HOLDS_PGTAP_VERBOSE:-} ]]; then
        sed 's/^/    /' "$LOGS/$name.tap"
    else
        # Skips, one line per reason.
        grep -viE '^ok [0-9]+( - |$| # skip)' "$LOGS/$name.tap" | sed 's/^/    /'
        grep -iE '^ok [0-9]+ # skip' "$LOGS/$name.tap" | sed -E 's/^ok [0-9]+ # [sS][kK][iI][pP] ?//' | sort | uniq -c \
            | awk '{ n = $1; $1 = ""; printf "    skipped %d: %s\n", n, substr($0, 2) }'
    fi
    return 0
}

# The Supabase-shaped cluster: the created deployment, and the one with planted problems.
(
    CLUSTER_OPTIONS=
    [[ -n $HAS_CRON ]] && CLUSTER_OPTIONS="-c shared_preload_libraries=pg_cron -c cron.database_name=pgtap_created"
    cluster_start pgtap-supabase
    trap 'exit 130' INT TERM
    supabase_db() {   # a database as Supabase has it, with the extension installed as README says
        local db=$1
        psql -X -q -v ON_ERROR_STOP=1 -c "CREATE DATABASE $db" >>"$LOGS/setup.log" 2>&1 || return 1
        {
            echo "ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT ALL ON FUNCTIONS TO anon, authenticated, service_role;"
            echo "ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT ALL ON TABLES TO anon, authenticated, service_role;"
            echo "ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT ALL ON SEQUENCES TO anon, authenticated, service_role;"
            if [[ $db == pgtap_created && -n $HAS_CRON ]]; then echo "CREATE EXTENSION pg_cron;"; fi
            echo "CREATE EXTENSION phone_holds;"
            echo "SELECT phone_holds_setup();"
            readme_grants service_role
            # A pool with holds of real leads (the quick start's numbers, and one the test would
            # otherwise pick), all ending in 2025.
            echo "INSERT INTO signalwire_phone_numbers (number, name) VALUES
                      ('+14155550101', 'San Francisco 1'), ('+14155550102', 'San Francisco 2'),
                      ('+14155550199', 'San Francisco 99'), ('+12125550101', 'New York 1');"
            echo "SELECT assign_phone_to_lead('07f26a19-e9dc-422c-b61d-030e3c7971bb', '2025-10-18 12:00+00', lead_phone => '+14155550123');"
            echo "SELECT extend_phone_for_appointment('07f26a19-e9dc-422c-b61d-030e3c7971bb'::UUID, '2025-10-20T14:00:00Z'::TIMESTAMP, '2025-10-18 12:05+00');"
            echo "SELECT assign_phone_to_lead('8d2c0f4e-5b6a-4c3d-9e8f-7a6b5c4d3e2f', '2025-10-18 12:00+00');"
            if [[ $db == pgtap_created && -n $HAS_CRON ]]; then echo "SELECT schedule_phone_release();"; fi
        } | sql "$db"
    }
    sql postgres <<'EOF' || exit 1
CREATE ROLE anon NOLOGIN NOINHERIT;
CREATE ROLE authenticated NOLOGIN NOINHERIT;
CREATE ROLE service_role NOLOGIN NOINHERIT BYPASSRLS;
EOF
    supabase_db pgtap_created || exit 1
    echo "== pgTAP on a created pool, Supabase's roles and default privileges$([[ -n $HAS_CRON ]] && echo ', pg_cron and the release job'), caller service_role (the default)"
    prove created pgtap_created

    supabase_db pgtap_exposed || exit 1
    sql pgtap_exposed <<'EOF' || exit 1
GRANT EXECUTE ON FUNCTION assign_phone_to_lead(uuid, timestamptz, text) TO anon;
GRANT EXECUTE ON FUNCTION release_expired_phone_numbers(timestamptz) TO PUBLIC;
ALTER FUNCTION phone_holds_verify_signature(text, text, text, timestamptz) SET search_path = public, pg_catalog, pg_temp;
EOF
    echo "== pgTAP on the same with three problems planted (it must fail on each)"
    prove exposed pgtap_exposed
) || echo "1" >"$LOGS/supabase.broken"

# The plain PostgreSQL cluster: the seed's table adopted, the calling role n8n.
(
    CLUSTER_OPTIONS=
    cluster_start pgtap-plain
    trap 'exit 130' INT TERM
    sql postgres <<<"CREATE ROLE n8n LOGIN; CREATE DATABASE pgtap_adopted;" || exit 1
    {
        # The seed's table, as the user had it (tests/e2e/src/deployment.rs), with two holds.
        cat <<'EOF'
CREATE TABLE public.signalwire_phone_numbers (
    id serial PRIMARY KEY,
    number varchar(20) NOT NULL UNIQUE,
    name text,
    assignment_status varchar(20) NOT NULL DEFAULT 'available',
    currently_assigned_to uuid,
    release_at timestamptz,
    appointment_scheduled_at timestamptz,
    last_call_outcome text,
    vapi_phone_number_id text,
    broker_notes text);
INSERT INTO public.signalwire_phone_numbers (number, name, assignment_status, vapi_phone_number_id, broker_notes)
SELECT '+1777' || lpad(i::text, 7, '0'), 'Line ' || i,
       CASE WHEN i > 18 THEN 'retired' ELSE 'available' END, 'vapi-' || i,
       CASE WHEN i % 5 = 0 THEN 'note ' || i END
  FROM generate_series(1, 20) AS i;
UPDATE public.signalwire_phone_numbers
   SET assignment_status = 'assigned', currently_assigned_to = ('ffffffff-0000-4000-8000-0000000000' || right(number, 2))::uuid,
       release_at = '2025-10-19 09:00+00', last_call_outcome = 'appointment_booked'
 WHERE number IN ('+17770000017', '+17770000018');
CREATE EXTENSION phone_holds;
SELECT phone_holds_setup();
SELECT assign_phone_to_lead('aaaaaaaa-0000-4000-8000-000000000001', '2025-10-18 12:00+00');
SELECT extend_phone_for_appointment('bbbbbbbb-0000-4000-8000-000000000002', '2025-10-20 14:00+00', '2025-10-18 12:00+00');
-- Hold windows of the user's own: the test reads them, so its expected times follow.
ALTER DATABASE pgtap_adopted SET phone_holds.initial_hold = '72h';
ALTER DATABASE pgtap_adopted SET phone_holds.follow_up_window = '36h';
EOF
        readme_grants n8n
    } | sql pgtap_adopted || exit 1
    echo "== pgTAP on an adopted pool (the seed's table), plain PostgreSQL: no anon or authenticated, no pg_cron; --set caller=n8n"
    prove adopted pgtap_adopted --set caller=n8n
) || echo "1" >"$LOGS/plain.broken"

# The tally: TAP lines of the two deployments; tests planned but never run count as failed.
passed=0
failed=0
for name in created adopted; do
    tap=$LOGS/$name.tap
    if [[ ! -f $tap ]]; then
        echo "pgtap.sh: the $name deployment was not set up"
        failed=$((failed + 1))
        continue
    fi
    ok=$(grep -cE '^ok [0-9]+' "$tap")
    not_ok=$(grep -cE '^not ok [0-9]+' "$tap")
    planned=$(grep -oE '^1\.\.[0-9]+' "$tap" | awk -F. '{ s += $3 } END { print s + 0 }')
    never=$((planned - ok - not_ok))
    ((never > 0)) || never=0
    bad=$((not_ok + never))
    ((bad == 0 && $(cat "$LOGS/$name.status") != 0)) && bad=1
    echo "$name: $ok passed, $bad failed ($(grep -ciE '^ok [0-9]+ # skip' "$tap") of the passed skipped), pg_prove: $(grep -E '^Result:' "$tap" || echo 'no result')"
    passed=$((passed + ok))
    failed=$((failed + bad))
    if [[ -f $LOGS/$name.unchanged ]]; then
        echo "$name: $(cat "$LOGS/$name.unchanged") (rows, extensions, relations, functions)"
        passed=$((passed + 1))
    else
        echo "$name FAILED: the test changed the database (rows, extensions, relations or functions)"
        failed=$((failed + 1))
    fi
done

# The check of the check: each planted problem must fail the test that names it.
if [[ -f $LOGS/exposed.tap ]]; then
    tap=$LOGS/exposed.tap
    if [[ $(cat "$LOGS/exposed.status") != 0 ]]; then
        echo "check of the check: pg_prove fails on the database with planted problems, as it must"
        passed=$((passed + 1))
    else
        echo "check of the check FAILED: pg_prove passes on the database with planted problems"
        failed=$((failed + 1))
    fi
    while IFS='|' read -r planted expected; do
        if grep -E '^not ok [0-9]+ - ' "$tap" | grep -qF -- "- $expected"; then
            echo "check of the check: $planted is caught: \"not ok … - $expected\""
            passed=$((passed + 1))
        else
            echo "check of the check FAILED: $planted went unnoticed (no \"not ok … - $expected\")"
            failed=$((failed + 1))
        fi
    done <<'EOF'
anon granted EXECUTE on assign_phone_to_lead()|anon may not execute assign_phone_to_lead(uuid, timestamptz, text)
PUBLIC granted EXECUTE on release_expired_phone_numbers()|PUBLIC may not execute release_expired_phone_numbers(timestamptz)
phone_holds_verify_signature() searching public first|every SECURITY DEFINER function of phone_holds
EOF
else
    echo "pgtap.sh: the database with planted problems was not set up"
    failed=$((failed + 1))
fi
[[ -f $LOGS/supabase.broken || -f $LOGS/plain.broken ]] && ((failed == 0)) && failed=1

echo "pgtap took $(( $(date +%s) - started )) s"
summary "$passed" "$failed"
((failed == 0))
