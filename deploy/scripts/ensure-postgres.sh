#!/usr/bin/env bash
# Local PostgreSQL for the JDBC completion-cache test: installs Debian's `postgresql` if missing,
# starts the default cluster, and creates role/database autoif (password autoif). Idempotent.
# The test reads AUTOIF_TEST_JDBC_URL (default below).
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
if ! command -v pg_lsclusters >/dev/null 2>&1; then
  apt-get update -q >/dev/null && apt-get install -y -q postgresql >/dev/null
fi
read -r ver cluster port _ < <(pg_lsclusters --no-header | head -n1)
pg_ctlcluster "$ver" "$cluster" start 2>/dev/null || true
for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p "$port" && break; sleep 1; done
pg_isready -h 127.0.0.1 -p "$port"
psql_admin() { su postgres -c "psql -p $port -v ON_ERROR_STOP=1 -tAc \"$1\""; }
[ "$(psql_admin "SELECT 1 FROM pg_roles WHERE rolname='autoif'")" = 1 ] \
  || psql_admin "CREATE ROLE autoif LOGIN PASSWORD 'autoif'"
[ "$(psql_admin "SELECT 1 FROM pg_database WHERE datname='autoif'")" = 1 ] \
  || psql_admin "CREATE DATABASE autoif OWNER autoif"
echo "[postgres] jdbc:postgresql://127.0.0.1:$port/autoif?user=autoif&password=autoif"
