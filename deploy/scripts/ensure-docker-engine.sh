#!/usr/bin/env bash
# Make sure a Docker engine answers on this machine: install Debian's docker.io if needed and
# start dockerd in the background (there is no systemd on the build/CI machines).
set -euo pipefail

LOG=${AUTOIF_DOCKERD_LOG:-/tmp/autoif-dockerd.log}

if docker info >/dev/null 2>&1; then
  echo "[docker] engine already answering"
  exit 0
fi

if ! command -v dockerd >/dev/null 2>&1 || ! command -v docker >/dev/null 2>&1; then
  echo "[docker] installing docker.io from Debian"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q docker.io
fi

# dockerd writes its pid here; a live pid means it is still starting (no pgrep: procps may be absent).
if [ -f /var/run/docker.pid ] && kill -0 "$(cat /var/run/docker.pid)" 2>/dev/null; then
  echo "[docker] dockerd already running, waiting for it"
else
  echo "[docker] starting dockerd (log: $LOG)"
  # setsid + nohup: dockerd must outlive this script and its session.
  setsid nohup dockerd >"$LOG" 2>&1 </dev/null &
  started=$!
fi

for _ in $(seq 1 60); do
  if docker info >/dev/null 2>&1; then
    echo "[docker] engine up: $(docker version --format 'server {{.Server.Version}}, API {{.Server.APIVersion}}')"
    exit 0
  fi
  # stop waiting as soon as the dockerd we started has died
  if [ -n "${started:-}" ] && ! kill -0 "$started" 2>/dev/null; then break; fi
  sleep 1
done

echo "[docker] dockerd did not answer; last log lines:" >&2
tail -n 20 "$LOG" >&2 || true
exit 1
