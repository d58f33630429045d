#!/usr/bin/env bash
# Builds skiffd and skiff (NativeAOT) and installs them into /usr/local/bin. Run as root.
set -euo pipefail
cd "$(dirname "$0")/.."
prefix=${PREFIX:-/usr/local}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
dotnet publish src/Skiff.Daemon -c Release -o "$out/skiffd" --nologo -v q
dotnet publish src/Skiff.Cli -c Release -r linux-x64 -p:PublishAot=true -o "$out/skiff" --nologo -v q
rm -rf "$prefix/lib/skiff"
mkdir -p "$prefix/lib/skiff" "$prefix/bin"
cp -r "$out/skiffd/." "$prefix/lib/skiff/"
cat > "$prefix/bin/skiffd" <<WRAP
#!/bin/sh
exec dotnet "$prefix/lib/skiff/skiffd.dll" "\$@"
WRAP
chmod +x "$prefix/bin/skiffd"
install -m 0755 "$out/skiff/skiff" "$prefix/bin/skiff"
echo "installed $prefix/bin/skiffd and $prefix/bin/skiff"
