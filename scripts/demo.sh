#!/usr/bin/env bash
# Runs the demo: installs what is needed, builds and installs the extension, starts a
# throwaway PostgreSQL 15 cluster, and walks through the seed's four scenarios, two inbound calls
# and a Cal.com booking.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export PATH="$HOME/.cargo/bin:$PATH"
echo "demo: building and installing phone_holds"
cargo pgrx install --pg-config /usr/lib/postgresql/15/bin/pg_config >/tmp/phone_holds-install.log 2>&1 \
    || { cat /tmp/phone_holds-install.log; exit 1; }
source scripts/cluster.sh
cluster_start demo
psql -X -q -f examples/demo.sql
