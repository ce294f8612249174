#!/usr/bin/env bash
# A throwaway PostgreSQL + PostGIS server for the PostGIS tests, on a unix socket in a temp directory (no TCP).
#
#   eval "$(.ci/postgis.sh start)"         # starts it; prints ZONEMAP_TEST_PG (libpq DSN) and ZONEMAP_TEST_PGDIR
#   .ci/postgis.sh stop "$ZONEMAP_TEST_PGDIR"   # stops it and removes the directory
#
# Needs the Debian packages postgresql and postgis (apt-get install -y -q postgresql postgis). As root the
# server runs as the user postgres (initdb refuses root). tests/test_postgis.py uses ZONEMAP_TEST_PG when set,
# else starts and stops a server of its own the same way.
set -euo pipefail

bindir() {
  local d
  for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ] && { echo "$d"; return 0; }
  done
  echo "postgis.sh: no PostgreSQL server binaries under /usr/lib/postgresql/*/bin (fix: apt-get install -y -q postgresql postgis)" >&2
  return 1
}

as_owner() {  # run a command as the server's owner: postgres when we are root, else ourselves
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

case "${1:-}" in
  start)
    bin="$(bindir)"
    dir="$(mktemp -d /tmp/zonemap-pg.XXXXXX)"
    chmod 755 "$dir"
    [ "$(id -u)" = 0 ] && chown postgres: "$dir"
    as_owner "$bin/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 \
      || { cat "$dir/initdb.log" >&2; exit 1; }
    as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w \
      -o "-k $dir -c listen_addresses='' -c fsync=off -c full_page_writes=off" start >/dev/null \
      || { cat "$dir/server.log" >&2; exit 1; }
    as_owner "$bin/psql" -h "$dir" -U postgres -d postgres -q -v ON_ERROR_STOP=1 \
      -c "CREATE DATABASE zonemap" >/dev/null
    as_owner "$bin/psql" -h "$dir" -U postgres -d zonemap -q -v ON_ERROR_STOP=1 \
      -c "CREATE EXTENSION postgis" >/dev/null \
      || { echo "postgis.sh: CREATE EXTENSION postgis failed (fix: apt-get install -y -q postgis)" >&2; exit 1; }
    echo "export ZONEMAP_TEST_PG='host=$dir dbname=zonemap user=postgres'"
    echo "export ZONEMAP_TEST_PGDIR='$dir'"
    ;;
  stop)
    dir="${2:?usage: postgis.sh stop DIR}"
    case "$dir" in /tmp/zonemap-pg.*) ;; *) echo "postgis.sh: $dir is not a directory this script made" >&2; exit 1 ;; esac
    if [ -d "$dir/data" ]; then
      as_owner "$(bindir)/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
    fi
    rm -rf "$dir"
    ;;
  *)
    echo "usage: .ci/postgis.sh start | stop DIR" >&2
    exit 2
    ;;
esac
