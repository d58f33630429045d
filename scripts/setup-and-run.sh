#!/usr/bin/env bash
# The main job on a fresh Debian 12 machine with the .NET SDK, as root: install what Skiff needs, build and
# install skiff and skiffd, start skiffd, load the example images, make this host a one-node swarm and run
# the tutorial's redis service on it (3 replicas, the tutorial's update policy), then PING every task.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh
bash images/build-all.sh >/dev/null
bash scripts/start-skiffd.sh
skiff load -i images/out/busybox.tar
skiff load -i images/out/redis.tar

# A swarm of one: advertise the address of the default route (127.0.0.1 on a host without one).
if [ "$(skiff info --format '{{.Swarm.LocalNodeState}}')" != active ]; then
  addr=$(ip -4 route get 1.1.1.1 2>/dev/null | awk '{for (i = 1; i < NF; i++) if ($i == "src") print $(i + 1)}')
  skiff swarm init --advertise-addr "${addr:-127.0.0.1}"
fi
skiff node ls

skiff service rm redis >/dev/null 2>&1 || true
skiff service create --replicas 3 --name redis --update-delay 10s --update-parallelism 2 --env MYVAR=foo \
  --no-resolve-image redis
skiff service ps redis

# Every task answers PING on its container address (the routing mesh for -p comes with overlay networking).
answered=0
for container in $(skiff ps -q -f label=com.docker.swarm.service.name=redis); do
  name=$(skiff inspect -f '{{.Name}}' "$container")
  ip=$(skiff inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' "$container")
  for _ in $(seq 1 50); do
    if [ "$(redis-cli -h "$ip" -p 6379 PING 2>/dev/null)" = PONG ]; then
      echo "task ${name#/} ($ip) answered PONG"
      answered=$((answered + 1))
      break
    fi
    sleep 0.2
  done
done
if [ "$answered" -ne 3 ]; then
  echo "only $answered of 3 redis tasks answered PING" >&2
  exit 1
fi
echo "swarm service redis: 3 of 3 tasks running and answering"
