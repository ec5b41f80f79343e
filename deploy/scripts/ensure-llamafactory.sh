#!/usr/bin/env bash
# A venv with LLaMA-Factory (pinned). It pins older trl/transformers/datasets than TRL's venv, so it has its own
# venv; torch is reused from the TRL venv (deploy/scripts/ensure-trl-tools.sh) by hard links, which turns a
# 3 GB download into ~75 s. Idempotent. Location: $AUTOIF_LLAMAFACTORY_DIR, else /opt/autoif/llamafactory, else
# ~/.local/share/autoif/llamafactory. Prints "[llamafactory] python: PY" last.
set -euo pipefail
here=$(dirname "${BASH_SOURCE[0]}")
spec=llamafactory==0.9.5

trl_py=$(bash "$here/ensure-trl-tools.sh" | sed -n 's/^\[trl-tools\] python: //p')
if [ -n "${AUTOIF_LLAMAFACTORY_DIR:-}" ]; then venv=$AUTOIF_LLAMAFACTORY_DIR
else venv="$(dirname "$(dirname "$(dirname "$trl_py")")")/llamafactory"
fi
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
  site() { "$1" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])'; }
  from=$(site "$trl_py"); to=$(site "$venv/bin/python")
  echo "[llamafactory] hard-linking torch from $from"
  (cd "$from" && cp -al torch torch-*.dist-info functorch torchgen nvidia* triton* "$to/" 2>/dev/null || true)
fi
exec bash "$here/ensure-pinned-venv.sh" llamafactory "$venv" "$spec"
