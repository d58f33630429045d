#!/usr/bin/env bash
# Builds images/out/redis.tar (docker-archive, tag redis:latest) from Debian's redis-server plus
# the shared libraries it links and a static busybox for sh. No registry, installs nothing.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib.sh
SKIFF_EPOCH_FROM=$(readlink -f /usr/bin/redis-server 2>/dev/null || echo /usr/bin/redis-server)
source "$here/lib.sh"
need_cmd tar "apt-get install tar"
need_cmd sha256sum "apt-get install coreutils"
need_cmd ldd "apt-get install libc-bin"
need_file /usr/bin/redis-server "apt-get install redis-server"

out="$here/out/redis.tar"
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
root="$stage/rootfs"
mkdir -p "$root"

base_dirs "$root"
install_busybox "$root"

# The binary (dereferenced: Debian ships redis-server as a symlink to redis-check-rdb).
install -D -m 0755 "$(readlink -f /usr/bin/redis-server)" "$root/usr/bin/redis-server"

# Every library ldd lists, at the path ldd prints, plus the dynamic loader.
ldd_out=$(ldd /usr/bin/redis-server) || die "ldd /usr/bin/redis-server failed"
mapfile -t libs < <(printf '%s\n' "$ldd_out" | grep -o '/[^ ]*' | LC_ALL=C sort -u)
[[ ${#libs[@]} -gt 0 ]] || die "ldd listed no libraries for /usr/bin/redis-server"
for lib in "${libs[@]}"; do
  need_file "$lib" "a shared library of redis-server"
  install -D -m 0755 "$(readlink -f "$lib")" "$root$lib"
done
grep -q 'ld-linux' <<<"${libs[*]}" || die "no dynamic loader in ldd output"

printf 'root:x:0:0:root:/root:/bin/sh\nredis:x:999:999:redis:/data:/bin/false\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$root/etc/passwd"
printf 'root:x:0:\nredis:x:999:\nnobody:x:65534:\n' >"$root/etc/group"
chmod 0644 "$root/etc/passwd" "$root/etc/group"
mkdir -p "$root/data"
chmod 0755 "$root/data"

make_archive "$root" "$out" "redis:latest" \
  '{"Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],"Cmd":["redis-server","--protected-mode","no"],"WorkingDir":"/data","ExposedPorts":{"6379/tcp":{}},"Volumes":{"/data":{}}}'
