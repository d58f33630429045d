#!/usr/bin/env bash
# Builds every test image into images/out/.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
bash "$here/build-busybox.sh"
bash "$here/build-redis.sh"
