# Sourced by the demo: a throwaway PostgreSQL 15 cluster run by the `postgres` user, listening
# only on a unix socket in its own directory, on a private port; stopped and removed on exit.
# After `cluster_start NAME`, `psql` talks to it.

PG_BIN=/usr/lib/postgresql/15/bin

as_postgres() {
    if [[ $(id -u) -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}

cluster_start() {
    CLUSTER_DIR=$(mktemp -d "/tmp/phone_holds-$1.XXXXXX")
    chmod 755 "$CLUSTER_DIR"
    [[ $(id -u) -eq 0 ]] && chown postgres:postgres "$CLUSTER_DIR"
    CLUSTER_PORT=$(( 20000 + RANDOM % 20000 ))
    as_postgres "$PG_BIN/initdb" -D "$CLUSTER_DIR/data" -U postgres -A trust --no-sync >"$CLUSTER_DIR/initdb.log"
    as_postgres "$PG_BIN/pg_ctl" -D "$CLUSTER_DIR/data" -l "$CLUSTER_DIR/server.log" -w \
        -o "-c listen_addresses='' -k $CLUSTER_DIR -p $CLUSTER_PORT -c fsync=off ${CLUSTER_OPTIONS:-}" start >/dev/null
    trap cluster_stop EXIT
    export PGHOST=$CLUSTER_DIR PGPORT=$CLUSTER_PORT PGUSER=postgres PGDATABASE=postgres
}

cluster_stop() {
    as_postgres "$PG_BIN/pg_ctl" -D "$CLUSTER_DIR/data" -m fast -w stop >/dev/null 2>&1 || true
    rm -rf "$CLUSTER_DIR"
}
