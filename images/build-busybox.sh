#!/usr/bin/env bash
# Builds images/out/busybox.tar (docker-archive, tag busybox:latest) from Debian's busybox-static.
# No registry, installs nothing. Deterministic: two runs give the same image id.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib.sh
SKIFF_EPOCH_FROM=$(readlink -f /bin/busybox 2>/dev/null || echo /bin/busybox)
source "$here/lib.sh"
need_cmd tar "apt-get install tar"
need_cmd sha256sum "apt-get install coreutils"

out="$here/out/busybox.tar"
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
root="$stage/rootfs"
mkdir -p "$root"

base_dirs "$root"
install_busybox "$root"
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$root/etc/passwd"
printf 'root:x:0:\nnobody:x:65534:\n' >"$root/etc/group"
chmod 0644 "$root/etc/passwd" "$root/etc/group"

make_archive "$root" "$out" "busybox:latest" \
  '{"Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],"Cmd":["sh"]}'
