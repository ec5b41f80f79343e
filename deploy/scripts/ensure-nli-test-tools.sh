#!/usr/bin/env bash
# A Python venv with `onnx` and `tokenizers` (pinned), used by
# activities/src/test/resources/nli/make_tiny_nli.py to build a real but tiny ONNX NLI model (model.onnx +
# tokenizer.json + config.json) for the ONNX entailment judge's tests: no real NLI weights are reachable in CI.
# Idempotent: a venv that already has the pinned versions is left alone. Location: $AUTOIF_NLI_TOOLS_DIR, else
# /opt/autoif/nli-test-tools, else (when /opt is not writable) ~/.local/share/autoif/nli-test-tools.
# Prints the venv's python on the last line; tests find it there, or via AUTOIF_NLI_PYTHON.
set -euo pipefail

ONNX_SPEC=${AUTOIF_ONNX_SPEC:-onnx==1.23.2}
TOKENIZERS_SPEC=${AUTOIF_TOKENIZERS_SPEC:-tokenizers==0.22.1}
WANT_ONNX=${ONNX_SPEC#*==}
WANT_TOKENIZERS=${TOKENIZERS_SPEC#*==}

choose_dir() {
  if [ -n "${AUTOIF_NLI_TOOLS_DIR:-}" ]; then echo "$AUTOIF_NLI_TOOLS_DIR"; return; fi
  if mkdir -p /opt/autoif 2>/dev/null && [ -w /opt/autoif ]; then echo /opt/autoif/nli-test-tools; return; fi
  echo "${HOME:?}/.local/share/autoif/nli-test-tools"
}
VENV=$(choose_dir)
PY="$VENV/bin/python"

have() {
  [ -x "$PY" ] && "$PY" -c "import sys, onnx, tokenizers; sys.exit(onnx.__version__ != '$WANT_ONNX' or tokenizers.__version__ != '$WANT_TOKENIZERS')" >/dev/null 2>&1
}

if have; then
  echo "[nli-test-tools] onnx $WANT_ONNX and tokenizers $WANT_TOKENIZERS already installed in $VENV"
else
  if ! python3 -c 'import ensurepip, venv' >/dev/null 2>&1; then
    echo "[nli-test-tools] installing python3 + python3-venv from Debian"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q >/dev/null
    apt-get install -y -q python3 python3-venv >/dev/null
  fi
  echo "[nli-test-tools] pip install $ONNX_SPEC $TOKENIZERS_SPEC into $VENV"
  mkdir -p "$(dirname "$VENV")"
  [ -x "$PY" ] || python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q --disable-pip-version-check "$ONNX_SPEC" "$TOKENIZERS_SPEC"
  have || { echo "[nli-test-tools] $ONNX_SPEC $TOKENIZERS_SPEC did not install into $VENV" >&2; exit 1; }
fi
echo "[nli-test-tools] python: $PY"
