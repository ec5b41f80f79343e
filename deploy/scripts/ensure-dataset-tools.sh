#!/usr/bin/env bash
# A Python venv with Hugging Face `datasets` (pinned), used by deploy/scripts/check-datasets.py
# to load the exported SFT/DPO files exactly as LLaMA-Factory and TRL load them
# (datasets.load_dataset("json", data_files=...)). Idempotent: a venv that already has the
# pinned version is left alone. Location: $AUTOIF_DATASET_TOOLS_DIR, else
# /opt/autoif/dataset-tools, else (when /opt is not writable) ~/.local/share/autoif/dataset-tools.
# Prints the venv's python on the last line; tests find it there, or via AUTOIF_DATASET_PYTHON.
set -euo pipefail

SPEC=${AUTOIF_DATASETS_SPEC:-datasets==5.2.0}
WANT=${SPEC#*==}

choose_dir() {
  if [ -n "${AUTOIF_DATASET_TOOLS_DIR:-}" ]; then echo "$AUTOIF_DATASET_TOOLS_DIR"; return; fi
  if mkdir -p /opt/autoif 2>/dev/null && [ -w /opt/autoif ]; then echo /opt/autoif/dataset-tools; return; fi
  echo "${HOME:?}/.local/share/autoif/dataset-tools"
}
VENV=$(choose_dir)
PY="$VENV/bin/python"

have() { [ -x "$PY" ] && "$PY" -c "import datasets, sys; sys.exit(datasets.__version__ != '$WANT')" >/dev/null 2>&1; }

if have; then
  echo "[dataset-tools] datasets $WANT already installed in $VENV"
else
  if ! python3 -c 'import ensurepip, venv' >/dev/null 2>&1; then
    echo "[dataset-tools] installing python3 + python3-venv from Debian"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q >/dev/null
    apt-get install -y -q python3 python3-venv >/dev/null
  fi
  echo "[dataset-tools] pip install $SPEC into $VENV"
  mkdir -p "$(dirname "$VENV")"
  [ -x "$PY" ] || python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q --disable-pip-version-check "$SPEC"
  have || { echo "[dataset-tools] $SPEC did not install into $VENV" >&2; exit 1; }
fi
echo "[dataset-tools] python: $PY"
