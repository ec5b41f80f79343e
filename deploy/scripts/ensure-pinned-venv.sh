#!/usr/bin/env bash
# Usage: ensure-pinned-venv.sh NAME DIR PACKAGE==VERSION...
# A Python venv named NAME with exactly these pinned packages. Idempotent: a venv that already has the pinned
# versions is left alone. Location: DIR when not empty, else /opt/autoif/NAME, else (when /opt is not writable)
# ~/.local/share/autoif/NAME. Installs python3-venv from Debian when missing. Prints the venv's python last.
# A spec may name extras (pkg[extra]==1.0). pip's own environment variables pass options through (e.g.
# PIP_NO_DEPS=1); calling it again with the same NAME and DIR adds packages to the same venv.
set -euo pipefail

NAME=$1; DIR=$2; shift 2
SPECS=("$@")

if [ -n "$DIR" ]; then VENV=$DIR
elif mkdir -p /opt/autoif 2>/dev/null && [ -w /opt/autoif ]; then VENV=/opt/autoif/$NAME
else VENV="${HOME:?}/.local/share/autoif/$NAME"
fi
PY="$VENV/bin/python"

# Every pin installed at its exact version (importlib.metadata reads the installed distributions).
have() {
  [ -x "$PY" ] && "$PY" - "${SPECS[@]}" >/dev/null 2>&1 <<'PYCHECK'
import sys
from importlib.metadata import version
pins = [s.split("==") for s in sys.argv[1:]]
sys.exit(any(version(name.split("[")[0]) != pinned for name, pinned in pins))
PYCHECK
}

if have; then
  echo "[$NAME] ${SPECS[*]} already installed in $VENV"
else
  if ! python3 -c 'import ensurepip, venv' >/dev/null 2>&1; then
    echo "[$NAME] installing python3 + python3-venv from Debian"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q >/dev/null
    apt-get install -y -q python3 python3-venv >/dev/null
  fi
  echo "[$NAME] pip install ${SPECS[*]} into $VENV"
  mkdir -p "$(dirname "$VENV")"
  [ -x "$PY" ] || python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q --disable-pip-version-check "${SPECS[@]}"
  have || { echo "[$NAME] ${SPECS[*]} did not install into $VENV" >&2; exit 1; }
fi
echo "[$NAME] python: $PY"
