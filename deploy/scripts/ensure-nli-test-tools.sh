#!/usr/bin/env bash
# A Python venv with `onnx` and `tokenizers` (pinned), used by
# activities/src/test/resources/nli/make_tiny_nli.py to build a real but tiny ONNX NLI model (model.onnx +
# tokenizer.json + config.json) for the ONNX entailment judge's tests: no real NLI weights are reachable in CI.
# Idempotent: a venv that already has the pinned versions is left alone. Location: $AUTOIF_NLI_TOOLS_DIR, else
# /opt/autoif/nli-test-tools, else (when /opt is not writable) ~/.local/share/autoif/nli-test-tools.
# Prints the venv's python on the last line; tests find it there, or via AUTOIF_NLI_PYTHON.
set -euo pipefail

exec bash "$(dirname "${BASH_SOURCE[0]}")/ensure-pinned-venv.sh" nli-test-tools "${AUTOIF_NLI_TOOLS_DIR:-}" \
  "${AUTOIF_ONNX_SPEC:-onnx==1.23.2}" "${AUTOIF_TOKENIZERS_SPEC:-tokenizers==0.22.1}"
