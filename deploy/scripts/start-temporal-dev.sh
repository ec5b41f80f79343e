#!/usr/bin/env bash
# Start a local Temporal dev server (SQLite-persisted) with autoif's search attributes registered.
# Usage: start-temporal-dev.sh [DB_FILE]   (default /tmp/autoif-temporal.db)
# Set AUTOIF_TEMPORAL_UI=1 to also serve the Web UI on port 8233.
set -euo pipefail

DB_FILE=${1:-/tmp/autoif-temporal.db}
ADDRESS=${TEMPORAL_ADDRESS:-localhost:7233}
LOG=${AUTOIF_TEMPORAL_LOG:-/tmp/autoif-temporal.log}
# Unregistered search attributes make workflow tasks fail: keep in sync with workflows/ and docker-compose.yml.
ATTRS=(AutoifCampaign AutoifStage AutoifOutcome AutoifDropReason)
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

"$HERE/ensure-temporal-cli.sh"

healthy() { temporal operator cluster health --address "$ADDRESS" 2>/dev/null | grep -q SERVING; }

if healthy; then
  echo "[temporal] server at $ADDRESS already SERVING"
else
  args=(server start-dev --db-filename "$DB_FILE" --port 7233 --ip 127.0.0.1)
  [ "${AUTOIF_TEMPORAL_UI:-0}" = 1 ] || args+=(--headless)
  for a in "${ATTRS[@]}"; do args+=(--search-attribute "$a=Keyword"); done
  echo "[temporal] starting: temporal ${args[*]} (log: $LOG)"
  # setsid + nohup: the server must outlive this script and its session.
  setsid nohup temporal "${args[@]}" >"$LOG" 2>&1 </dev/null &
  for _ in $(seq 1 60); do healthy && break; sleep 1; done
  if ! healthy; then
    echo "[temporal] server not SERVING at $ADDRESS within 60 s; last log lines:" >&2
    tail -n 40 "$LOG" >&2 || true
    exit 1
  fi
  echo "[temporal] server at $ADDRESS is SERVING"
fi

listed=$(temporal operator search-attribute list --address "$ADDRESS")
for a in "${ATTRS[@]}"; do
  grep -qw "$a" <<<"$listed" || { echo "[temporal] search attribute $a is not registered at $ADDRESS" >&2; exit 1; }
done
echo "[temporal] search attributes registered: ${ATTRS[*]}"
