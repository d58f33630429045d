#!/usr/bin/env bash
# Starts skiffd in the background (socket /run/skiff/skiff.sock, log /var/log/skiffd.log) unless it already answers.
set -euo pipefail
sock=${SKIFF_SOCKET:-/run/skiff/skiff.sock}
log=${SKIFF_LOG:-/var/log/skiffd.log}
if curl -sf --unix-socket "$sock" http://skiff/_ping >/dev/null 2>&1; then
  echo "skiffd already running on unix://$sock"
  exit 0
fi
mkdir -p "$(dirname "$log")"
setsid skiffd -H "unix://$sock" "$@" >>"$log" 2>&1 < /dev/null &
for _ in $(seq 1 100); do
  if curl -sf --unix-socket "$sock" http://skiff/_ping >/dev/null 2>&1; then
    echo "skiffd running on unix://$sock (log: $log)"
    exit 0
  fi
  sleep 0.1
done
echo "skiffd did not come up within 10 s; see $log" >&2
tail -20 "$log" >&2
exit 1
