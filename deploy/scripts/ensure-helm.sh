#!/usr/bin/env bash
# Make sure `helm` (for the chart lint/render test) is installed: built from the Go module proxy
# into a tools directory (no release tarball download). Idempotent: an installed binary of the
# pinned version is kept. The first build takes several minutes (see README, "Running on many machines").
set -euo pipefail

VERSION=${AUTOIF_HELM_VERSION:-v3.22.0}
TOOLS=${AUTOIF_TOOLS_DIR:-/opt/autoif}/helm-$VERSION
LINK=${AUTOIF_BIN_DIR:-/usr/local/bin}/helm

if [ -x "$TOOLS/helm" ] && "$TOOLS/helm" version --short 2>/dev/null | grep -q "^$VERSION"; then
  echo "[helm] already installed: $("$TOOLS/helm" version --short)"
else
  # the official Go tarball's location when it is not on PATH (Debian's golang-go is too old for helm 3.22, which needs Go 1.26)
  command -v go >/dev/null 2>&1 || [ ! -x /usr/local/go/bin/go ] || export PATH="$PATH:/usr/local/go/bin"
  command -v go >/dev/null 2>&1 || { echo "[helm] needs a Go toolchain >= 1.26 (helm 3.22 requires it) (go install from the module proxy)" >&2; exit 1; }
  echo "[helm] go install helm.sh/helm/v3/cmd/helm@$VERSION into $TOOLS"
  start=$(date +%s)
  # -mod=mod: resolve helm's dependencies through the module proxy even where a vendor dir exists;
  # -ldflags set the version `helm version` reports (otherwise it prints v3.x-unreleased).
  GOBIN="$TOOLS" GOFLAGS=-mod=mod go install \
    -ldflags "-X helm.sh/helm/v3/internal/version.version=$VERSION" \
    "helm.sh/helm/v3/cmd/helm@$VERSION"
  echo "[helm] built in $(( $(date +%s) - start ))s"
fi
mkdir -p "$(dirname "$LINK")"
ln -sfn "$TOOLS/helm" "$LINK"
hash -r
echo "[helm] $(helm version --short) -> $TOOLS/helm"
