#!/usr/bin/env bash
# Benchmark of issue 2 (not a test): 30 sequential `run -d busybox sleep` on skiffd and on Docker 20.10
# (Debian's docker.io) side by side, each with its own roots, socket and bridge; then `skiff ps` against
# `docker ps` on skiffd. The docker 28 CLI drives both daemons so that only the daemon differs.
# Run as root after scripts/setup-and-run.sh (or scripts/build.sh). Prints a Markdown section for RESULTS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-30}
work=$(mktemp -d /tmp/skiff-bench.XXXX)
cleanup() {
  set +e
  [ -n "${skiffd_pid:-}" ] && { DOCKER_HOST=unix://$work/skiff.sock docker rm -f $(DOCKER_HOST=unix://$work/skiff.sock docker ps -aq) >/dev/null 2>&1; kill "$skiffd_pid"; }
  [ -n "${dockerd_pid:-}" ] && { DOCKER_HOST=unix://$work/docker.sock docker rm -f $(DOCKER_HOST=unix://$work/docker.sock docker ps -aq) >/dev/null 2>&1; kill "$dockerd_pid"; }
  [ -n "${containerd_pid:-}" ] && kill "$containerd_pid"
  sleep 2
  ip link delete skbench0 2>/dev/null; ip link delete dkbench0 2>/dev/null
  nft delete table ip skiff_skbench0 2>/dev/null
  umount -l $(awk -v w="$work" '$5 ~ "^"w {print $5}' /proc/self/mountinfo | sort -r) 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
command -v dockerd >/dev/null || { echo "dockerd missing: apt-get install docker.io" >&2; exit 1; }
command -v hyperfine >/dev/null || { echo "hyperfine missing: apt-get install hyperfine" >&2; exit 1; }
bash images/build-all.sh >/dev/null

skiffd -H "unix://$work/skiff.sock" --data-root "$work/skiff-data" --exec-root "$work/skiff-run" \
  --bridge-name skbench0 --bridge-cidr 10.213.0.1/24 --cgroup-parent /skiff-bench >"$work/skiffd.log" 2>&1 &
skiffd_pid=$!
containerd --root "$work/containerd" --state "$work/containerd-state" --address "$work/containerd.sock" >"$work/containerd.log" 2>&1 &
containerd_pid=$!
ip link add dkbench0 type bridge && ip addr add 10.214.0.1/24 dev dkbench0 && ip link set dkbench0 up
dockerd --containerd "$work/containerd.sock" -H "unix://$work/docker.sock" --data-root "$work/docker-data" \
  --exec-root "$work/docker-run" --pidfile "$work/docker.pid" --bridge dkbench0 --iptables=false --ip-masq=false \
  --cgroup-parent /docker-bench >"$work/dockerd.log" 2>&1 &
dockerd_pid=$!
for s in skiff docker; do
  for _ in $(seq 1 200); do curl -sf --unix-socket "$work/$s.sock" http://x/_ping >/dev/null 2>&1 && break; sleep 0.1; done
  DOCKER_HOST=unix://$work/$s.sock docker load -i images/out/busybox.tar >/dev/null
done

measure() { # $1 = socket name; prints N latencies in ms
  local host=unix://$work/$1.sock
  DOCKER_HOST=$host docker run -d busybox true >/dev/null # warm-up
  for i in $(seq 1 "$N"); do
    local t0 t1
    t0=$(date +%s%N)
    DOCKER_HOST=$host docker run -d busybox sleep 1000 >/dev/null
    t1=$(date +%s%N)
    echo $(( (t1 - t0) / 1000000 ))
  done
}
pct() { sort -n | awk -v p="$1" '{a[NR]=$1} END {i=int((NR*p+99)/100); if(i<1)i=1; print a[i]}'; }
measure skiff >"$work/skiff.ms"
measure docker >"$work/docker.ms"
s50=$(pct 50 <"$work/skiff.ms"); s90=$(pct 90 <"$work/skiff.ms")
d50=$(pct 50 <"$work/docker.ms"); d90=$(pct 90 <"$work/docker.ms")

hyperfine -N --warmup 3 --runs 30 --export-json "$work/ps.json" \
  "env SKIFF_HOST=unix://$work/skiff.sock skiff ps" "env DOCKER_HOST=unix://$work/skiff.sock docker ps" >/dev/null
read -r skiff_ps docker_ps < <(python3 -c "import json,sys; r=json.load(open(sys.argv[1]))['results']; print(' '.join(f\"{x['median']*1000:.1f}\" for x in r))" "$work/ps.json")

cat <<MD
## Issue 2: container start latency and CLI wall time ($(date -u +%Y-%m-%d), $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -r), $(. /etc/os-release; echo "$PRETTY_NAME"))
$N sequential \`docker run -d busybox sleep 1000\` (docker CLI $(docker version -f '{{.Client.Version}}' 2>/dev/null), containers left running), after one warm-up run:

| daemon | p50 | p90 |
|---|---|---|
| skiffd (Release build, /usr/local/bin) | ${s50} ms | ${s90} ms |
| dockerd $(dockerd --version | awk '{print $3}' | tr -d ,) (containerd, runc) | ${d50} ms | ${d90} ms |

Listing the $((N + 1)) containers on skiffd (hyperfine, 30 runs, median): \`skiff ps\` ${skiff_ps} ms, \`docker ps\` ${docker_ps} ms.
MD
