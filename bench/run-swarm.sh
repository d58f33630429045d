#!/usr/bin/env bash
# Benchmark of issue 3 (not a test): a one-node swarm on skiffd and on Docker 20.10 (Debian's docker.io) side
# by side, same run, same docker 28 CLI, same busybox image: create 50 replicas until 50/50 run, scale 50 -> 100
# until 100/100 run, then a rolling update of the 100 with parallelism 0 (all at once) until it completes.
# Monitor is 100 ms on both so the update's completion is not dominated by the 5 s default.
# Run as root after scripts/setup-and-run.sh (or scripts/build.sh). Prints a Markdown section for RESULTS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v dockerd >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -q docker.io >/dev/null
work=$(mktemp -d /tmp/skiff-swarm-bench.XXXX)
cleanup() {
  set +e
  for s in skiff docker; do
    DOCKER_HOST=unix://$work/$s.sock docker service rm bench >/dev/null 2>&1
  done
  sleep 3
  for s in skiff docker; do
    DOCKER_HOST=unix://$work/$s.sock docker swarm leave --force >/dev/null 2>&1
    ids=$(DOCKER_HOST=unix://$work/$s.sock docker ps -aq 2>/dev/null)
    [ -n "$ids" ] && DOCKER_HOST=unix://$work/$s.sock docker rm -f $ids >/dev/null 2>&1
  done
  [ -n "${skiffd_pid:-}" ] && kill "$skiffd_pid"
  [ -n "${dockerd_pid:-}" ] && kill "$dockerd_pid"
  [ -n "${containerd_pid:-}" ] && kill "$containerd_pid"
  sleep 2
  ip link delete sksbench0 2>/dev/null; ip link delete dksbench0 2>/dev/null; ip link delete docker_gwbridge 2>/dev/null
  nft delete table ip skiff_sksbench0 2>/dev/null
  umount -l $(awk -v w="$work" '$5 ~ "^"w {print $5}' /proc/self/mountinfo | sort -r) 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
bash images/build-all.sh >/dev/null

skiffd -H "unix://$work/skiff.sock" --data-root "$work/skiff-data" --exec-root "$work/skiff-run" \
  --bridge-name sksbench0 --bridge-cidr 10.215.0.1/24 --cgroup-parent /skiff-sbench >"$work/skiffd.log" 2>&1 &
skiffd_pid=$!
containerd --root "$work/containerd" --state "$work/containerd-state" --address "$work/containerd.sock" >"$work/containerd.log" 2>&1 &
containerd_pid=$!
ip link add dksbench0 type bridge && ip addr add 10.216.0.1/24 dev dksbench0 && ip link set dksbench0 up
dockerd --containerd "$work/containerd.sock" -H "unix://$work/docker.sock" --data-root "$work/docker-data" \
  --exec-root "$work/docker-run" --pidfile "$work/docker.pid" --bridge dksbench0 --iptables=false --ip-masq=false \
  --cgroup-parent /docker-sbench >"$work/dockerd.log" 2>&1 &
dockerd_pid=$!
port=$((21000 + RANDOM % 4000))
for s in skiff docker; do
  for _ in $(seq 1 200); do curl -sf --unix-socket "$work/$s.sock" http://x/_ping >/dev/null 2>&1 && break; sleep 0.1; done
  DOCKER_HOST=unix://$work/$s.sock docker load -i images/out/busybox.tar >/dev/null
done
DOCKER_HOST=unix://$work/skiff.sock docker swarm init --advertise-addr 127.0.0.1 --listen-addr 127.0.0.1:$port >/dev/null
DOCKER_HOST=unix://$work/docker.sock docker swarm init --advertise-addr 127.0.0.1 --listen-addr 127.0.0.1:$((port + 10)) >/dev/null

now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
# The waits read what `docker service ls` shows (ServiceStatus.RunningTasks of GET /services?status=true) and the
# update state. One curl process per wait asks ten times a second over one connection (--rate, URL globbing) and
# grep stops at the first matching answer: a process pipeline per poll (curl, grep, cut, sleep) cost a fifth of
# these 2-core machines, and a docker CLI per poll a third of a core, which slowed whichever daemon was measured.
poll() { # $1 host, $2 API path (may end in a query), $3 extended regexp; returns when an answer matches
  local sep='?' fd pid rc=0
  [[ $2 == *'?'* ]] && sep='&'
  exec {fd}< <(curl -s --unix-socket "${1#unix://}" --rate 10/s -w '\n' "http://x/v1.41$2${sep}poll=[1-6000]" 2>/dev/null)
  pid=$!
  grep -q -m1 -E "$3" <&"$fd" || rc=1
  kill "$pid" 2>/dev/null || true
  exec {fd}<&-
  [ "$rc" = 0 ] || echo "timed out after 600 s polling $2 on $1 for $3" >&2
  return "$rc"
}
wait_replicas() { # $1 host, $2 wanted "N/N"
  poll "$1" '/services?status=true' "\"RunningTasks\":${2%%/*}[,}]"
}
wait_update() { # $1 host
  poll "$1" /services/bench '"UpdateStatus":\{"State":"completed"'
}
warm_up() { # $1 host: one small service created and removed, so both daemons are measured in steady state
  DOCKER_HOST=$1 docker service create -d -q --no-resolve-image --name warm --replicas 6 --stop-grace-period 1s \
    busybox sleep 3600 >/dev/null
  wait_replicas "$1" 6/6
  DOCKER_HOST=$1 docker service rm warm >/dev/null
  for _ in $(seq 1 600); do [ -z "$(DOCKER_HOST=$1 docker ps -aq)" ] && return 0; sleep 0.2; done
}
run() { # $1 = socket name; prints "create scale update" in ms
  local host=unix://$work/$1.sock t0 create scale update
  warm_up "$host"
  t0=$(now_ms)
  DOCKER_HOST=$host docker service create -d -q --no-resolve-image --name bench --replicas 50 --update-monitor 100ms \
    --stop-grace-period 1s busybox sleep 3600 >/dev/null
  wait_replicas "$host" 50/50; create=$(( $(now_ms) - t0 ))
  t0=$(now_ms)
  DOCKER_HOST=$host docker service scale -d bench=100 >/dev/null
  wait_replicas "$host" 100/100; scale=$(( $(now_ms) - t0 ))
  t0=$(now_ms)
  DOCKER_HOST=$host docker service update -d -q --update-parallelism 0 --env-add V=2 bench >/dev/null
  wait_update "$host"; wait_replicas "$host" 100/100; update=$(( $(now_ms) - t0 ))
  echo "$create $scale $update"
}

read -r s_create s_scale s_update < <(run skiff)
read -r d_create d_scale d_update < <(run docker)
ratio() { python3 -c "print(f'{$1/$2:.2f}')"; }
cat <<EOF
### Swarm end to end, one node ($(date -u +%Y-%m-%d), $(nproc) cores, $(uname -r))
| step | skiffd | dockerd 20.10 | skiffd / dockerd |
|---|---|---|---|
| create 50 replicas until 50/50 running | ${s_create} ms | ${d_create} ms | $(ratio "$s_create" "$d_create") |
| scale 50 -> 100 until 100/100 running | ${s_scale} ms | ${d_scale} ms | $(ratio "$s_scale" "$d_scale") |
| rolling update of 100, parallelism 0, until completed | ${s_update} ms | ${d_update} ms | $(ratio "$s_update" "$d_update") |
EOF
