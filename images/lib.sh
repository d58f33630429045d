#!/usr/bin/env bash
# Shared helpers for the image build scripts: build a deterministic one-layer docker-archive
# (manifest.json + <config-hex>.json + <layer-hex>/layer.tar) from a staged root filesystem.
# Sourced, not run. Requires only coreutils and GNU tar.
set -euo pipefail

# Fixed timestamps so two runs produce byte-identical tars and therefore the same image id: the
# modification time of the packaged binary (set by the Debian package, so it changes only with its
# version), so that `images` shows a sensible CREATED instead of 1970. The caller sets SKIFF_EPOCH_FROM.
SKIFF_EPOCH=$(stat -c %Y "${SKIFF_EPOCH_FROM:-/bin/busybox}" 2>/dev/null || echo 0)
SKIFF_CREATED=$(date -u -d "@$SKIFF_EPOCH" +%Y-%m-%dT%H:%M:%SZ)
readonly SKIFF_EPOCH SKIFF_CREATED

die() {
  echo "error: $*" >&2
  exit 1
}

need_file() {
  [[ -e "$1" ]] || die "$1 is missing (${2:-install the package that provides it})"
}

need_cmd() {
  command -v "$1" >/dev/null 2>&1 || die "command '$1' not found (${2:-install it})"
}

# det_tar DIR OUT: deterministic tar of DIR's contents (sorted, fixed mtime, numeric 0:0 owner).
det_tar() {
  local dir=$1 out=$2
  (cd "$dir" && find . -mindepth 1 -printf '%P\n' | LC_ALL=C sort) |
    tar --create --file="$out" --directory="$dir" --no-recursion --verbatim-files-from --files-from=- \
      --format=gnu --mtime="@${SKIFF_EPOCH}" \
      --owner=0 --group=0 --numeric-owner --no-acls --no-xattrs --no-selinux
}

# install_busybox ROOT: busybox-static at /bin/busybox with every applet as a symlink to it.
install_busybox() {
  local root=$1 applet
  need_file /bin/busybox "apt-get install busybox-static"
  /bin/busybox --list-full >/dev/null 2>&1 || die "/bin/busybox does not run"
  install -D -m 0755 /bin/busybox "$root/bin/busybox"
  while IFS= read -r applet; do
    [[ -n "$applet" && "$applet" != "bin/busybox" ]] || continue
    mkdir -p "$root/$(dirname "$applet")"
    [[ -e "$root/$applet" || -L "$root/$applet" ]] || ln -s /bin/busybox "$root/$applet"
  done < <(/bin/busybox --list-full | LC_ALL=C sort)
  [[ -e "$root/bin/sh" ]] || ln -s /bin/busybox "$root/bin/sh"
}

# base_dirs ROOT: the directories and files every image here gets.
base_dirs() {
  local root=$1
  mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,etc,dev,proc,sys,var,root,tmp}
  chmod 0755 "$root" "$root"/{bin,sbin,usr,usr/bin,usr/sbin,etc,dev,proc,sys,var}
  chmod 0700 "$root/root"
  chmod 1777 "$root/tmp"
}

# make_archive ROOT OUT TAG CONFIG_JSON_BODY
# CONFIG_JSON_BODY is the JSON object for the image config's "config" key.
make_archive() {
  local root=$1 out=$2 tag=$3 config=$4
  local work layer_hex config_hex
  work=$(mktemp -d)
  # shellcheck disable=SC2064
  trap "rm -rf '$work'" RETURN

  # Normalise modes of everything staged so the host umask does not leak in.
  find "$root" -type d -exec chmod u+rwx,go+rx {} +
  chmod 1777 "$root/tmp"
  [[ -d "$root/root" ]] && chmod 0700 "$root/root"

  det_tar "$root" "$work/layer.tar"
  layer_hex=$(sha256sum "$work/layer.tar" | cut -d' ' -f1)

  printf '{"architecture":"amd64","config":%s,"created":"%s","history":[{"created":"%s","created_by":"skiff images/%s"}],"os":"linux","rootfs":{"type":"layers","diff_ids":["sha256:%s"]}}' \
    "$config" "$SKIFF_CREATED" "$SKIFF_CREATED" "$(basename "$0")" "$layer_hex" >"$work/config.json"
  config_hex=$(sha256sum "$work/config.json" | cut -d' ' -f1)

  mkdir -p "$work/archive/$layer_hex"
  mv "$work/layer.tar" "$work/archive/$layer_hex/layer.tar"
  mv "$work/config.json" "$work/archive/$config_hex.json"
  printf '[{"Config":"%s.json","RepoTags":["%s"],"Layers":["%s/layer.tar"]}]' \
    "$config_hex" "$tag" "$layer_hex" >"$work/archive/manifest.json"
  find "$work/archive" -type d -exec chmod 0755 {} +
  find "$work/archive" -type f -exec chmod 0644 {} +

  mkdir -p "$(dirname "$out")"
  det_tar "$work/archive" "$out.tmp"
  mv -f "$out.tmp" "$out"
  echo "$out"
}
