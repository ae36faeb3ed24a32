#!/usr/bin/env bash
# The shipped n8n workflows in a real n8n, against a real cluster: installs n8n from npm into a
# cache folder (the first time takes about 10 minutes), starts a throwaway cluster listening on
# 127.0.0.1 only, imports the workflows and the credential with n8n's CLI as README says,
# starts n8n on a private loopback port, and checks what every webhook answers, and the rows,
# for the happy paths and the failures (tests/n8n-live/check.mjs). Everything is stopped and
# removed at the end. Needs Node.js 20 (n8n 1.123 does not run on Debian 12's Node 18).
#
#   bash tests/n8n-live/run.sh            # installs the extension first (cargo pgrx install)
#   PHONE_HOLDS_INSTALLED=1 bash tests/n8n-live/run.sh   # the extension is already installed
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD

# The newest n8n 1.x that installs on Node 20: from 1.123.66 on, isolated-vm needs Node 22.
N8N_VERSION=1.123.50
N8N_HOME=${XDG_CACHE_HOME:-$HOME/.cache}/phone_holds/n8n-$N8N_VERSION
N8N=$N8N_HOME/node_modules/.bin/n8n

node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if (( node_major < 20 )); then
    echo "n8n $N8N_VERSION needs Node.js 20 (found: $(node --version 2>/dev/null || echo none))" >&2
    exit 1
fi

if [[ ! -x $N8N ]]; then
    echo "== installing n8n $N8N_VERSION into $N8N_HOME (about 10 minutes, once)"
    mkdir -p "$N8N_HOME"
    # n8n-nodes-base pins an xlsx tarball from cdn.sheetjs.com; the same version from the npm
    # registry lets the install work where only the registry is reachable.
    cat >"$N8N_HOME/package.json" <<EOF
{
  "name": "phone-holds-n8n-live",
  "private": true,
  "dependencies": { "n8n": "$N8N_VERSION" },
  "overrides": { "xlsx": "0.18.5" }
}
EOF
    (cd "$N8N_HOME" && npm install --no-audit --no-fund --loglevel=error)
fi

if [[ ${PHONE_HOLDS_INSTALLED:-} != 1 ]]; then
    export PATH="$HOME/.cargo/bin:$PATH"
    cargo pgrx install --pg-config /usr/lib/postgresql/15/bin/pg_config >/tmp/phone_holds-install.log 2>&1 \
        || { cat /tmp/phone_holds-install.log; exit 1; }
fi

free_port() {
    node -e 'const s = require("net").createServer().listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); })'
}

# shellcheck source=../../scripts/cluster.sh
source scripts/cluster.sh
# log_statement = all: the end checks what SQL text the server received from n8n.
CLUSTER_OPTIONS="-c listen_addresses=127.0.0.1 -c log_statement=all" cluster_start n8n-live
# n8n's own tables: trusted, as postgres. The workflows' role: a password, as on Supabase.
cat >"$CLUSTER_DIR/data/pg_hba.conf" <<EOF
local all all trust
host n8n postgres 127.0.0.1/32 trust
host all all 127.0.0.1/32 scram-sha-256
EOF
as_postgres "$PG_BIN/pg_ctl" -D "$CLUSTER_DIR/data" reload >/dev/null

N8N_PID=
stop_all() {
    local status=$?
    if (( status != 0 )); then
        for log in "$CLUSTER_DIR"/n8n*.log; do echo "== the end of $log"; tail -30 "$log"; done
    fi
    stop_n8n
    cluster_stop
}
trap stop_all EXIT

PASSWORD=live-test-$RANDOM$RANDOM
export LIVE_ASSISTANT=5b0a4c1e-8f7d-4e2a-9c3b-1d2e3f4a5b6c
# The database as README's steps leave it: the extension, the pool, the grants of its
# Privileges section (taken from README itself), and a role for n8n's credential.
{
    echo "CREATE EXTENSION phone_holds; SELECT phone_holds_setup();"
    echo "INSERT INTO signalwire_phone_numbers (number, name) SELECT '+1555000000' || i, 'Line ' || i FROM generate_series(1, 8) AS i;"
    echo "CREATE ROLE service_role LOGIN PASSWORD '$PASSWORD';"
    awk '/^## Privileges/ { p = 1 } p && /^```sql/ { q = 1; next } q && /^```/ { exit } q' README.md
    # The assistant that answers inbound calls, set on the workflow's role (docs/guides/inbound-calls.md).
    echo "ALTER ROLE service_role SET phone_holds.vapi_assistant_id = '$LIVE_ASSISTANT';"
    echo "CREATE DATABASE n8n;"
} | psql -X -q -v ON_ERROR_STOP=1 >/dev/null

export N8N_USER_FOLDER=$CLUSTER_DIR/n8n
export DB_TYPE=postgresdb DB_POSTGRESDB_HOST=127.0.0.1 DB_POSTGRESDB_PORT=$CLUSTER_PORT \
    DB_POSTGRESDB_DATABASE=n8n DB_POSTGRESDB_USER=postgres
export N8N_ENCRYPTION_KEY=phone-holds-live-test N8N_LISTEN_ADDRESS=127.0.0.1
export N8N_PORT; N8N_PORT=$(free_port)
# n8n 1.123's task broker listens on 5679 by default: another private port.
export N8N_RUNNERS_BROKER_PORT; N8N_RUNNERS_BROKER_PORT=$(free_port)
export N8N_RUNNERS_BROKER_LISTEN_ADDRESS=127.0.0.1
export N8N_DIAGNOSTICS_ENABLED=false N8N_VERSION_NOTIFICATIONS_ENABLED=false N8N_TEMPLATES_ENABLED=false \
    N8N_PERSONALIZATION_ENABLED=false N8N_COMMUNITY_PACKAGES_ENABLED=false \
    N8N_ENFORCE_SETTINGS_FILE_PERMISSIONS=false N8N_SECURE_COOKIE=false
mkdir -p "$N8N_USER_FOLDER"

start_n8n() {
    local log=$CLUSTER_DIR/n8n-start-$1.log
    "$N8N" start >"$log" 2>&1 &
    N8N_PID=$!
    # /healthz answers before the workflows are active; this line comes after.
    for _ in $(seq 240); do
        grep -q "Editor is now accessible" "$log" && return 0
        kill -0 "$N8N_PID" 2>/dev/null || break
        sleep 0.5
    done
    echo "n8n did not start:"; tail -40 "$log"; exit 1
}
stop_n8n() {
    [[ -n $N8N_PID ]] || return 0
    kill "$N8N_PID" 2>/dev/null || true; wait "$N8N_PID" 2>/dev/null || true; N8N_PID=
}
# n8n's CLI import, then activation (it takes effect when n8n starts).
import_workflows() {
    "$N8N" import:workflow --separate --input=examples/n8n >>"$CLUSTER_DIR/n8n.log" 2>&1
    "$N8N" update:workflow --all --active=true >>"$CLUSTER_DIR/n8n.log" 2>&1
}

echo "== n8n $N8N_VERSION on 127.0.0.1:$N8N_PORT, PostgreSQL on 127.0.0.1:$CLUSTER_PORT"
# As a user who skipped the credential: import the workflows as shipped, activate them.
import_workflows
start_n8n 1
node tests/n8n-live/check.mjs no-credential "http://127.0.0.1:$N8N_PORT"
stop_n8n
# What README says the user finds in n8n's log.
grep -qF 'Credential with ID "phoneHoldsPg0001" does not exist' "$CLUSTER_DIR/n8n-start-1.log" \
    || { echo "n8n's log does not name the missing credential"; exit 1; }

# README's CLI step: the credential template with this database's address and password.
CREDENTIAL=$CLUSTER_DIR/credential.json
node -e '
    const [file, port, password] = process.argv.slice(1);
    const c = JSON.parse(require("fs").readFileSync(file, "utf8"));
    Object.assign(c[0].data, { host: "127.0.0.1", port: Number(port), password, ssl: "disable" });
    console.log(JSON.stringify(c));
' examples/n8n/credentials/Supabase_service_role.json "$CLUSTER_PORT" "$PASSWORD" >"$CREDENTIAL"
"$N8N" import:credentials --input="$CREDENTIAL" >>"$CLUSTER_DIR/n8n.log" 2>&1
# Imported again, each workflow replaces itself (fixed ids) and must be activated again.
import_workflows
start_n8n 2
LIVE_PASSWORD=$PASSWORD node tests/n8n-live/check.mjs linked "http://127.0.0.1:$N8N_PORT"
# n8n's Postgres node escapes the body into the SQL text on the client (README: How values
# reach PostgreSQL): the server received the quote-laden outcome as one literal.
expected="phone_holds_webhook('complete_appointment_for_phone', '{\"lead_id\":\"07f26a19-e9dc-422c-b61d-030e3c7971bb\",\"outcome\":\"no_show, \\\"late\\\"\"}'::text)"
if ! grep -qF "statement: SELECT status, response FROM $expected" "$CLUSTER_DIR/server.log"; then
    echo "the server did not receive: $expected"; grep -F "no_show, " "$CLUSTER_DIR/server.log" | head -3; exit 1
fi
echo "n8n-live: the server received the body as one escaped literal: $expected"

# The change-events workflow (a Postgres Trigger on channel phone_holds) heard the hold
# changes the checks above made: n8n recorded successful runs of it, each carrying an event.
events_heard=0
for _ in $(seq 120); do
    events_heard=$(psql -X -qtA -d n8n -c "SELECT count(*) FROM execution_entity WHERE \"workflowId\" = 'phoneHoldsEvents' AND status = 'success'")
    (( events_heard > 0 )) && break
    sleep 0.5
done
if (( events_heard == 0 )); then
    echo "the change-events workflow never ran"; grep -i 'Phone_Number_Events\|postgres trigger' "$CLUSTER_DIR"/n8n-start-2.log | tail -5; exit 1
fi
payload=$(psql -X -qtA -d n8n -c "SELECT d.data FROM execution_data AS d JOIN execution_entity AS e ON e.id = d.\"executionId\"
                                   WHERE e.\"workflowId\" = 'phoneHoldsEvents' ORDER BY e.id LIMIT 1")
if [[ $payload != *ledgerId* ]]; then
    echo "the change-events workflow ran without an event: ${payload:0:300}"; exit 1
fi
echo "n8n-live events: 1 passed, 0 failed ($events_heard runs of Phone_Number_Events, each with an event)"
