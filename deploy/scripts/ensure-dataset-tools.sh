#!/usr/bin/env bash
# A Python venv with Hugging Face `datasets` (pinned), used by deploy/scripts/check-datasets.py
# to load the exported SFT/DPO files exactly as LLaMA-Factory and TRL load them
# (datasets.load_dataset("json", data_files=...)). Idempotent: a venv that already has the
# pinned version is left alone. Location: $AUTOIF_DATASET_TOOLS_DIR, else
# /opt/autoif/dataset-tools, else (when /opt is not writable) ~/.local/share/autoif/dataset-tools.
# Prints the venv's python on the last line; tests find it there, or via AUTOIF_DATASET_PYTHON.
set -euo pipefail

exec bash "$(dirname "${BASH_SOURCE[0]}")/ensure-pinned-venv.sh" dataset-tools "${AUTOIF_DATASET_TOOLS_DIR:-}" \
  "${AUTOIF_DATASETS_SPEC:-datasets==5.2.0}"
