#!/usr/bin/env bash
# Runs a command beside a throw-away PostgreSQL cluster and removes the cluster afterwards:
#
#   scripts/with-postgres.sh cargo test --locked
#
# The command sees NIMO_TEST_POSTGRES_URL (a superuser URL on 127.0.0.1; tests create a
# database of their own from it). Uses Debian's PostgreSQL server (package `postgresql`,
# installed here when missing and this runs as root). PostgreSQL refuses to run as root, so
# as root the cluster belongs to the `postgres` user the package creates.
set -euo pipefail

pgbin=""
find_pgbin() {
  pgbin="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)"
}
find_pgbin
if [ -z "$pgbin" ] || [ ! -x "$pgbin/initdb" ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "PostgreSQL's server is not installed: apt-get install postgresql (as root)" >&2
    exit 1
  fi
  echo "installing Debian's postgresql"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql >/dev/null
  find_pgbin
fi

as_owner() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

dir="$(mktemp -d /tmp/nimo-postgres.XXXXXX)"
if [ "$(id -u)" = 0 ]; then chown postgres: "$dir"; fi
# A free port: ask the kernel for one.
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"

stop() {
  as_owner "$pgbin/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap stop EXIT

as_owner "$pgbin/initdb" -D "$dir/data" -U nimo -A trust -E UTF8 --locale=C.UTF-8 --no-sync >"$dir/initdb.log" 2>&1 \
  || { cat "$dir/initdb.log" >&2; exit 1; }
# fsync off: a test cluster that dies is thrown away anyway.
as_owner "$pgbin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
  -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=400" \
  start >/dev/null || { cat "$dir/server.log" >&2; exit 1; }

export NIMO_TEST_POSTGRES_URL="postgres://nimo@127.0.0.1:$port/postgres"
echo "PostgreSQL $("$pgbin/postgres" --version | awk '{print $3}') on 127.0.0.1:$port (throw-away, $dir)"
"$@"
