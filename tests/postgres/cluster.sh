#!/bin/sh
# A private PostgreSQL server for the tests: never the system's.
#   cluster.sh start STATE [durable]
#                            initdb into a fresh /tmp directory owned by the
#                            postgres user, start it on a free 127.0.0.1 port,
#                            write "DIR PORT" to the file STATE. For speed the
#                            server does not wait for its WAL on commit
#                            (synchronous_commit=off: a crash of the server can
#                            lose the last acknowledged commits); `durable`
#                            keeps PostgreSQL's default, on, which runhooks'
#                            guarantees assume.
#   cluster.sh restart STATE fast restart (a test of reconnecting)
#   cluster.sh crash STATE   immediate shutdown (as a crash of the server:
#                            no checkpoint, recovery from the WAL), then start
#   cluster.sh stop STATE    stop it and remove its directory
# PostgreSQL refuses to run as root, so as root it runs as `postgres`.
set -eu
command=$1
state=$2
bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[ -n "$bindir" ] || { echo "PostgreSQL server binaries not found (Debian package postgresql)" >&2; exit 1; }
as_postgres() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
case "$command" in
  start)
    commit=off
    [ "${3:-}" = durable ] && commit=on
    dir=$(mktemp -d /tmp/runhooks-pg.XXXXXX)
    chmod 755 "$dir"
    [ "$(id -u)" = 0 ] && chown postgres:postgres "$dir"
    as_postgres "$bindir/initdb" -D "$dir/data" -A trust -U postgres -E UTF8 --no-sync >"$dir/initdb.log" 2>&1
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    as_postgres "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
      -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c max_connections=300 -c autovacuum_naptime=1s -c fsync=off -c synchronous_commit=$commit -c full_page_writes=off" \
      start >/dev/null
    echo "$dir $port $commit" > "$state"
    echo "postgresql://postgres@127.0.0.1:$port/postgres"
    ;;
  restart)
    read -r dir port commit < "$state"
    as_postgres "$bindir/pg_ctl" -D "$dir/data" -m fast -w -t 60 restart >/dev/null
    ;;
  crash)
    read -r dir port commit < "$state"
    as_postgres "$bindir/pg_ctl" -D "$dir/data" -m immediate -w -t 60 restart >/dev/null
    ;;
  stop)
    [ -f "$state" ] || exit 0
    read -r dir port commit < "$state"
    as_postgres "$bindir/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
    rm -rf "$dir" "$state"
    ;;
  *)
    echo "usage: cluster.sh start STATE [durable] | restart STATE | crash STATE | stop STATE" >&2
    exit 2
    ;;
esac
