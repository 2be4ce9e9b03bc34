#!/usr/bin/env bash
# Sets everything up on Debian 12 (as root) and runs zvon in the foreground with the demo
# configuration from etc/ and dialplan/. Ctrl-C stops it. Extra arguments go to zvon.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DZVON_TESTS=OFF
ninja -C build
# The database: the project's private PostgreSQL cluster, unless etc/pgsql.conf names a server.
if ! grep -Eq '^[[:space:]]*conninfo[[:space:]]*=[[:space:]]*[^[:space:];]' etc/pgsql.conf 2>/dev/null; then
  echo "Starting the private PostgreSQL cluster in var/pg (scripts/private-postgres.sh stop stops it)"
  bash scripts/private-postgres.sh start var >/dev/null
fi
echo
echo "zvon is starting with etc/ and dialplan/. In another terminal: build/bin/zvon -r"
exec build/bin/zvon -f -C etc "$@"
