#!/usr/bin/env bash
# Installs the system packages Skiff needs on Debian 12 (idempotent). Run as root.
set -euo pipefail
pkgs=(runc conmon iproute2 nftables busybox-static redis-server redis-tools docker-registry util-linux procps curl ca-certificates)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "skiff: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# The Debian packages try to start their own services; Skiff starts what it needs itself.
for svc in redis-server docker-registry; do
  if command -v systemctl >/dev/null && systemctl is-active --quiet "$svc" 2>/dev/null; then
    systemctl stop "$svc" || true
  fi
done
