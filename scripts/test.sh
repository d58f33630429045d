#!/usr/bin/env bash
# Runs every test: unit, in-process API, and the real-daemon integration tests (root, runc, namespaces).
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh || exit 1
bash images/build-all.sh >/dev/null || exit 1
dotnet build Skiff.sln -c Debug --nologo -v q || exit 1
results=$(mktemp -d)
status=0
for proj in tests/*/*.csproj; do
  name=$(basename "$proj" .csproj)
  echo "== $name"
  dotnet test "$proj" --no-build --nologo -v q --logger "console;verbosity=normal" --logger "trx;LogFileName=$name.trx" --results-directory "$results" || status=1
done
# One closing line for the whole run, counted from the TRX files.
python3 - "$results" <<'PY'
import glob, sys, xml.etree.ElementTree as ET
p = f = s = 0
for t in glob.glob(sys.argv[1] + "/*.trx"):
    c = ET.parse(t).getroot().find(".//{*}Counters")
    if c is None: continue
    p += int(c.get("passed", 0)); f += int(c.get("failed", 0)); s += int(c.get("notExecuted", 0))
print(f"{p} passed, {f} failed" + (f", {s} skipped" if s else ""))
PY
rm -rf "$results"
exit $status
