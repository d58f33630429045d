#!/usr/bin/env bash
# The main job on a fresh Debian 12 machine with the .NET SDK, as root: install what Skiff needs, build and
# install skiff and skiffd, start skiffd, load the example images, and run the tutorial's redis published on a
# port, answered with a PING.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh
bash images/build-all.sh >/dev/null
bash scripts/start-skiffd.sh
skiff load -i images/out/busybox.tar
skiff load -i images/out/redis.tar
port=${SKIFF_DEMO_PORT:-6379}
skiff rm -f skiff-demo-redis >/dev/null 2>&1 || true
skiff run -d --name skiff-demo-redis -p "$port:6379" redis
for _ in $(seq 1 50); do
  if reply=$(redis-cli -h 127.0.0.1 -p "$port" PING 2>/dev/null) && [ "$reply" = PONG ]; then
    echo "redis in a skiff container answered PING on 127.0.0.1:$port: $reply"
    skiff ps
    exit 0
  fi
  sleep 0.2
done
echo "redis did not answer on 127.0.0.1:$port" >&2
skiff logs skiff-demo-redis >&2 || true
exit 1
