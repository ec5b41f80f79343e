#!/usr/bin/env bash
# Build the verifier runtime image WITHOUT a registry: a debootstrapped Debian bookworm rootfs
# imported with `docker import`. Equivalent to deploy/verifier/Dockerfile (for users with a registry).
# Usage: build-image.sh [IMAGE]   (default: $AUTOIF_VERIFIER_IMAGE or autoif/verifier:1)
set -euo pipefail

IMAGE=${1:-${AUTOIF_VERIFIER_IMAGE:-autoif/verifier:1}}
MIRROR=${AUTOIF_DEBIAN_MIRROR:-http://deb.debian.org/debian}
PACKAGES=python3,python3-nltk,python3-langdetect,python3-emoji,python3-regex
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

"$HERE/../scripts/ensure-docker-engine.sh"

smoke_test() {
  echo "[verifier] smoke test: $IMAGE"
  docker run --rm --network none "$IMAGE" \
    python3 -c 'import langdetect, emoji, regex, nltk; print("ok")'
}

if docker image inspect "$IMAGE" >/dev/null 2>&1; then
  echo "[verifier] image $IMAGE already present, not rebuilding"
  smoke_test
  exit 0
fi

if ! command -v debootstrap >/dev/null 2>&1; then
  echo "[verifier] installing debootstrap"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q debootstrap
fi

ROOTFS=$(mktemp -d "${TMPDIR:-/var/tmp}/autoif-verifier-rootfs.XXXXXX")
cleanup() {
  # debootstrap may leave /proc etc. mounted inside the rootfs on failure: unmount before rm -rf.
  awk -v d="$ROOTFS" 'index($2, d) == 1 {print $2}' /proc/mounts | sort -r | xargs -r -n1 umount -l || true
  rm -rf --one-file-system "$ROOTFS"
}
trap cleanup EXIT

START=$SECONDS
echo "[verifier] debootstrap bookworm ($PACKAGES) into $ROOTFS from $MIRROR"
debootstrap --variant=minbase --include="$PACKAGES" bookworm "$ROOTFS" "$MIRROR" \
  >"$ROOTFS.debootstrap.log" 2>&1 || { tail -n 40 "$ROOTFS.debootstrap.log" >&2; exit 1; }
rm -f "$ROOTFS.debootstrap.log"

echo "[verifier] adding user verifier (uid 10001), shrinking rootfs"
grep -q '^verifier:' "$ROOTFS/etc/group"  || echo 'verifier:x:10001:' >>"$ROOTFS/etc/group"
grep -q '^verifier:' "$ROOTFS/etc/passwd" || echo 'verifier:x:10001:10001::/tmp:/usr/sbin/nologin' >>"$ROOTFS/etc/passwd"
grep -q '^verifier:' "$ROOTFS/etc/shadow" || echo 'verifier:*:19000:0:99999:7:::' >>"$ROOTFS/etc/shadow"
rm -rf "$ROOTFS"/var/cache/apt/* "$ROOTFS"/var/lib/apt/lists/* "$ROOTFS"/var/log/* \
       "$ROOTFS"/usr/share/doc/* "$ROOTFS"/usr/share/man/* "$ROOTFS"/usr/share/info/*

echo "[verifier] importing rootfs as $IMAGE"
# --numeric-owner: keep the rootfs's uids, not names looked up on this host.
tar --numeric-owner -C "$ROOTFS" --exclude='./dev/*' --exclude='./proc/*' --exclude='./sys/*' -c . \
  | docker import \
      --change 'LABEL dev.autoif.role=verifier-runtime' \
      --change 'USER 10001' \
      --change 'WORKDIR /tmp' \
      --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
      --change 'ENV LANG=C.UTF-8' \
      - "$IMAGE"
echo "[verifier] built $IMAGE in $((SECONDS - START)) s"

smoke_test
