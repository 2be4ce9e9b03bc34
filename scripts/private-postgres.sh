#!/usr/bin/env bash
# zvon's own private PostgreSQL cluster: data in DIR/pg, its unix socket in DIR/run/pg, a free
# port, no TCP listener, trust authentication over the socket only. DIR defaults to var/ of
# the checkout.
#
#   scripts/private-postgres.sh start [DIR]   initdb when needed, start, create database zvon
#   scripts/private-postgres.sh stop [DIR]    fast shutdown (waits)
#   scripts/private-postgres.sh status [DIR]  exit 0 when running
#   scripts/private-postgres.sh conninfo [DIR]
#
# After start, DIR/pg/conninfo holds the libpq connection string; the pgsql module reads it
# when etc/pgsql.conf names no server. As root the server runs as the postgres user, because
# initdb refuses to run as root.
set -euo pipefail

cmd=${1:-}
here=$(cd "$(dirname "$0")/.." && pwd)
dir=${2:-$here/var}
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
data=$dir/pg/data
sock=$dir/run/pg
log=$dir/pg/postgres.log
conninfo_file=$dir/pg/conninfo

pgbin=""
for d in /usr/lib/postgresql/*/bin; do
  [ -x "$d/pg_ctl" ] && pgbin=$d
done
if [ -z "$pgbin" ]; then
  pgbin=$(dirname "$(command -v pg_ctl 2>/dev/null || echo /nonexistent/pg_ctl)")
fi
if [ ! -x "$pgbin/pg_ctl" ]; then
  echo "private-postgres: PostgreSQL's server programs (pg_ctl, initdb) are not installed; run scripts/install-deps.sh" >&2
  exit 1
fi

# Runs a server program as the cluster's owner.
as_owner() {
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

free_port() {
  python3 - <<'EOF'
import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()
EOF
}

prepare_dirs() {
  mkdir -p "$dir/pg" "$sock"
  if [ "$(id -u)" -eq 0 ]; then
    chown postgres: "$dir/pg" "$sock"
    # The server must reach its files through every parent (temp dirs are 0700).
    local p=$dir
    while [ "$p" != "/" ]; do
      chmod o+x "$p" 2>/dev/null || true
      p=$(dirname "$p")
    done
  fi
  chmod 0700 "$dir/pg"
  chmod 0755 "$sock"
}

running() {
  [ -f "$data/postmaster.pid" ] && as_owner "$pgbin/pg_ctl" -D "$data" status >/dev/null 2>&1
}

port_of() {
  sed -n "s/^port = \([0-9]*\).*/\1/p" "$data/postgresql.auto.conf" 2>/dev/null | tail -1
}

write_conninfo() {
  local port=$1
  printf 'host=%s port=%s dbname=zvon user=zvon connect_timeout=5\n' "$sock" "$port" >"$conninfo_file"
  chmod 0644 "$conninfo_file"
}

case "$cmd" in
  start)
    prepare_dirs
    if [ ! -f "$data/PG_VERSION" ]; then
      as_owner "$pgbin/initdb" -D "$data" --username=zvon --auth=trust --encoding=UTF8 \
        --locale=C.UTF-8 >"$dir/pg/initdb.log" 2>&1 || {
          echo "private-postgres: initdb failed; see $dir/pg/initdb.log:" >&2
          tail -5 "$dir/pg/initdb.log" >&2
          exit 1
        }
      port=$(free_port)
      cat >>"$data/postgresql.auto.conf" <<EOF
listen_addresses = ''
unix_socket_directories = '$sock'
max_connections = 30
shared_buffers = 16MB
port = $port
EOF
    fi
    port=$(port_of)
    if ! running; then
      : >"$log"
      [ "$(id -u)" -eq 0 ] && chown postgres: "$log"
      # The remembered port may have been taken while the cluster was down.
      if ! python3 -c "import socket,sys; s=socket.socket(); s.bind(('127.0.0.1',$port))" 2>/dev/null; then
        port=$(free_port)
        echo "port = $port" >>"$data/postgresql.auto.conf"
      fi
      as_owner "$pgbin/pg_ctl" -D "$data" -l "$log" -w -t 30 start >/dev/null || {
        echo "private-postgres: the server did not start; see $log:" >&2
        tail -5 "$log" >&2
        exit 1
      }
    fi
    if ! as_owner "$pgbin/psql" -h "$sock" -p "$port" -U zvon -d postgres -Atqc \
        "SELECT 1 FROM pg_database WHERE datname = 'zvon'" | grep -q 1; then
      as_owner "$pgbin/psql" -h "$sock" -p "$port" -U zvon -d postgres -qc "CREATE DATABASE zvon" >/dev/null
    fi
    write_conninfo "$port"
    cat "$conninfo_file"
    ;;
  stop)
    if running; then
      as_owner "$pgbin/pg_ctl" -D "$data" -m fast -w -t 30 stop >/dev/null
    fi
    ;;
  status)
    if running; then
      echo "running: $(cat "$conninfo_file" 2>/dev/null)"
    else
      echo "stopped"
      exit 1
    fi
    ;;
  conninfo)
    cat "$conninfo_file"
    ;;
  *)
    echo "usage: $0 start|stop|status|conninfo [DIR]" >&2
    exit 2
    ;;
esac
