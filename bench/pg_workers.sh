#!/usr/bin/env bash
# The database server's CPU per delivery with `runhooks worker` processes on
# one PostgreSQL (issue 15), measured as users run it: on a throwaway
# PostgreSQL (tests/postgres/cluster.sh: initdb in a temp directory, a free
# 127.0.0.1 port) and one nginx (bench/nginx.conf.in), for each count of
# workers, on a fresh schema:
#
#   1. HOOKS hooks on distinct nginx paths with `runhooks hooks create`,
#      EVENTS wire-format RUN_FINISH events with `delivery_bench fill` (not
#      timed), then VACUUM ANALYZE and CHECKPOINT, so every round starts alike;
#   2. N `runhooks --store postgresql://... worker --concurrency 64` processes
#      started at once, timed until nothing is pending (one psql session asks
#      every 100 ms);
#   3. the server's CPU over that time: utime + stime (/proc/PID/stat) of the
#      postmaster and of every process it started, those that ended during
#      the run included (the postmaster's cutime + cstime: autovacuum workers
#      come and go), minus the waiting psql session's own backend; divided by
#      the deliveries that succeeded. Also the workers' CPU, and what the
#      deliveries table saw (pg_stat_user_tables: updates, HOT updates).
#
# Builds nothing (`cmake --preset release && cmake --build --preset release`
# first). Several bench directories (say a build before a change and one
# after it) are run in turn within each round, on the same server: compare
# them as ratios, in one sitting.
#
#   bash bench/pg_workers.sh [BENCH_BIN_DIR...]   default $BENCH_BIN, else build/release/bench
#   WORKERS="1 2 4" ROUNDS=1 HOOKS=100 EVENTS=500 bash bench/pg_workers.sh
#   STATS=1 bash bench/pg_workers.sh     also pg_stat_statements (the server restarted with it
#                                        preloaded; it costs server CPU itself): each round's
#                                        statements by total time, in the results
#   PG_DURABLE=1 bash bench/pg_workers.sh   synchronous_commit=on (cluster.sh's default is off)
#   SETUP_SQL="ALTER TABLE deliveries SET (fillfactor = 50)" bash bench/pg_workers.sh
#                                        SQL run in each round's schema once its hooks exist,
#                                        before the fill (to try a setting without a build)
#   PERF=1 bash bench/pg_workers.sh      also `perf record -a -g` over each timed run (kept in
#                                        bench/results/; the server's share: perf report -i FILE
#                                        --comm postgres --no-children --sort sym)
#   bash bench/pg_workers.sh --smoke     seconds: checks that every step runs
#
# A directory's CLI is $CLI_BIN, else DIR/../tools/runhooks/runhooks. Output:
# bench/results/pg-DATE.txt (not committed).
set -euo pipefail
cd "$(dirname "$0")/.."
smoke=0
if [[ "${1:-}" == "--smoke" ]]; then smoke=1; shift; fi
dirs=("$@")
[[ ${#dirs[@]} -eq 0 ]] && dirs=("${BENCH_BIN:-build/release/bench}")
if [[ $smoke -eq 1 ]]; then
  hooks=${HOOKS:-10}; events=${EVENTS:-5}; workers=${WORKERS:-"1 2"}
else
  hooks=${HOOKS:-100}; events=${EVENTS:-500}; workers=${WORKERS:-"1 2 4"}
fi
rounds=${ROUNDS:-1}
concurrency=${WORKER_CONCURRENCY:-64}
stats=${STATS:-0}
for d in "${dirs[@]}"; do
  cli=${CLI_BIN:-$(dirname "$d")/tools/runhooks/runhooks}
  for f in "$d/delivery_bench" "$cli"; do
    [[ -x "$f" ]] || { echo "pg_workers: $f not found (build first, or pass the bench directory)" >&2; exit 2; }
  done
done
for p in nginx python3 curl; do command -v "$p" >/dev/null || { echo "pg_workers: needs $p" >&2; exit 2; }; done
pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[[ -x "$pgbin/psql" ]] || { echo "pg_workers: needs PostgreSQL's server (Debian package postgresql)" >&2; exit 2; }

work=$(mktemp -d)
chmod 755 "$work"  # the fill's body file is read by the bench, the state by cluster.sh
out=bench/results
[[ $smoke -eq 1 ]] && out=$work
mkdir -p "$out"
stamp=$(date +%Y%m%d-%H%M%S)
log="$out/pg-$stamp.txt"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  if [[ -f "$work/nginx.pid" ]]; then kill "$(cat "$work/nginx.pid")" 2>/dev/null || true; fi
  [[ -f "$work/pg.state" ]] && sh tests/postgres/cluster.sh stop "$work/pg.state" || true
  rm -rf "$work"
}
trap cleanup EXIT

source bench/lib.sh  # free_port, say, ticks, hz, now_ns, calc, kv

# --- nginx ---
nginx_port=$(free_port)
sed -e "s|@DIR@|$work|g" -e "s|@PORT@|$nginx_port|g" bench/nginx.conf.in > "$work/nginx.conf"
nginx -c "$work/nginx.conf" -p "$work"
url="http://127.0.0.1:$nginx_port"
for _ in $(seq 50); do curl -s -o /dev/null "$url/" && break; sleep 0.1; done

# --- PostgreSQL ---
pg_url=$(sh tests/postgres/cluster.sh start "$work/pg.state" ${PG_DURABLE:+durable})
read -r pg_dir _ pg_commit < "$work/pg.state"
psql_() { PGOPTIONS="-c client_min_messages=warning" "$pgbin/psql" -X -q -v ON_ERROR_STOP=1 -d "$pg_url" "$@"; }
if [[ $stats -eq 1 ]]; then
  psql_ -c "ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements'"
  sh tests/postgres/cluster.sh restart "$work/pg.state"
  psql_ -c "CREATE EXTENSION pg_stat_statements" -c "ALTER SYSTEM SET pg_stat_statements.track_planning = on" \
        -c "SELECT pg_reload_conf()" > /dev/null
fi
postmaster=$(head -n 1 "$pg_dir/data/postmaster.pid")

# CPU ticks of this server: the postmaster's own and its ended children's
# (cutime + cstime), plus every live child's. A child ending while /proc is
# read is counted once, live or reaped (within a tick or two).
server_ticks() {
  python3 - "$postmaster" <<'EOF'
import os, sys
pm, total = sys.argv[1], 0
for pid in filter(str.isdigit, os.listdir("/proc")):
    try:
        with open(f"/proc/{pid}/stat") as f:
            stat = f.read()
    except OSError:
        continue  # ended in between: its time is in the postmaster's cutime
    f = stat[stat.rindex(")") + 2:].split()  # f[k - 3] is field k of proc(5)
    if pid == pm:
        total += sum(int(x) for x in f[11:15])  # utime stime cutime cstime
    elif f[1] == pm:
        total += int(f[11]) + int(f[12])
print(total)
EOF
}

say "# pg_workers $stamp: $hooks hooks x $events events, --concurrency $concurrency per worker; workers: $workers; rounds: $rounds; $(nproc) cores; load $(cut -d' ' -f1-3 /proc/loadavg)"
say "# $("$pgbin/postgres" --version); synchronous_commit=$pg_commit, fsync=off (tests/postgres/cluster.sh); $(nginx -v 2>&1); pg_stat_statements: $([[ $stats -eq 1 ]] && echo on || echo off)"
for d in "${dirs[@]}"; do say "# $d: $("${CLI_BIN:-$(dirname "$d")/tools/runhooks/runhooks}" --version)"; done

# Asks the waiter ($1: its query) until nothing is pending, every 100 ms;
# fails if a worker of wpids exits meanwhile.
wait_drained() {
  local pending=1 p
  while [[ "$pending" != "0" ]]; do
    sleep 0.1
    for p in "${wpids[@]}"; do
      kill -0 "$p" 2>/dev/null || { echo "pg_workers: a worker exited:" >&2; cat "$work"/worker*.err >&2; exit 1; }
    done
    echo "$1" >&"${WAITER[1]}"
    read -r pending <&"${WAITER[0]}"
  done
}

# Starts $2 workers of CLI $1 on store $3 (their pids in wpids).
start_workers() {
  local i
  wpids=()
  for ((i = 0; i < $2; i++)); do
    "$1" --store "$3" worker --concurrency "$concurrency" --allow-network 127.0.0.1/32 \
      > "$work/worker$i.out" 2> "$work/worker$i.err" & wpids+=($!); pids+=($!)
  done
}

stop_workers() {
  local p
  for p in "${wpids[@]}"; do kill -TERM "$p"; done
  for p in "${wpids[@]}"; do wait "$p" || true; done
}

# One round: bench directory $1, $2 workers, schema $3. Prints its key=value line.
run_round() {
  local bin=$1 n=$2 schema=$3
  local cli=${CLI_BIN:-$(dirname "$bin")/tools/runhooks/runhooks}
  local store="$pg_url?runhooks_schema=$schema"
  local i
  for ((i = 0; i < hooks; i++)); do
    "$cli" --store "$store" hooks create --project bench --url "$url/h$i" > /dev/null 2>> "$work/create.err"
  done
  [[ -n "${SETUP_SQL:-}" ]] && psql_ -c "SET search_path TO $schema" -c "$SETUP_SQL"

  # The waiter: one session for the whole run, its backend's CPU left out.
  # Whether anything is pending, cheaply in either schema: the pending
  # table (schema 5), or the due index.
  coproc WAITER { "$pgbin/psql" -X -q -A -t -d "$pg_url"; }
  local waiter_pid=$WAITER_PID
  echo "SET search_path TO $schema; SELECT pg_backend_pid(), to_regclass('pending_deliveries') IS NOT NULL;" >&"${WAITER[1]}"
  local waiter_backend pending_table query
  IFS='|' read -r waiter_backend pending_table <&"${WAITER[0]}"
  query="SELECT count(*) FROM (SELECT 1 FROM deliveries WHERE status = 0 ORDER BY next_attempt_at, seq LIMIT 1) s;"
  [[ "$pending_table" == "t" ]] && query="SELECT count(*) FROM (SELECT 1 FROM pending_deliveries LIMIT 1) s;"

  # History first (HISTORY events, delivered by one worker, not timed): a
  # store that has been at work, not a fresh one.
  local history=${HISTORY:-0} fill
  if [[ $history -gt 0 ]]; then
    fill=$("$bin/delivery_bench" fill "$store" bench "$history" "$work/body.json")
    start_workers "$cli" 1 "$store"
    wait_drained "$query"
    stop_workers
  fi
  # The fill's server CPU too (notify stores each event and its deliveries).
  local f0 f1
  f0=$(server_ticks)
  fill=$("$bin/delivery_bench" fill "$store" bench "$events" "$work/body.json")
  f1=$(server_ticks)
  local deliveries=$((hooks * events))
  [[ "$(kv "$fill" deliveries)" == "$deliveries" ]] || { echo "pg_workers: fill made no $deliveries deliveries: $fill" >&2; exit 1; }
  psql_ -c "SET search_path TO $schema" -c "VACUUM ANALYZE" -c "CHECKPOINT"
  [[ $stats -eq 1 ]] && psql_ -c "SELECT pg_stat_statements_reset()" > /dev/null
  psql_ -c "SELECT pg_stat_reset()" > /dev/null

  local w0 s0 t0 p perf_pid=
  if [[ ${PERF:-0} -eq 1 ]]; then
    perf record -a -g -F "${PERF_FREQ:-499}" -o "$out/perf-pg-$stamp-$schema.data" 2> "$work/perf.err" & perf_pid=$!
    sleep 0.5  # perf is recording before the workers start
  fi
  w0=$(ticks "$waiter_backend")
  s0=$(server_ticks)
  t0=$(now_ns)
  start_workers "$cli" "$n" "$store"
  wait_drained "$query"
  local t1 s1 w1 worker_ticks=0
  t1=$(now_ns)
  s1=$(server_ticks)
  w1=$(ticks "$waiter_backend")
  for p in "${wpids[@]}"; do worker_ticks=$((worker_ticks + $(ticks "$p"))); done
  if [[ -n "$perf_pid" ]]; then kill -INT "$perf_pid"; wait "$perf_pid" || true; fi
  stop_workers
  echo "SELECT count(*) FROM deliveries WHERE status = 1;" >&"${WAITER[1]}"
  local succeeded
  read -r succeeded <&"${WAITER[0]}"
  succeeded=$((succeeded - hooks * history))
  # What the tables saw (the statistics reach the view within a second or
  # so of the workers' sessions ending), and their size on disk.
  sleep 1
  echo "SELECT string_agg(relname || ':' || n_tup_hot_upd || '/' || n_tup_upd, ',' ORDER BY relname)
      FILTER (WHERE n_tup_upd > 0),
    string_agg(relname || ':' || autovacuum_count || '/' || autoanalyze_count, ',' ORDER BY relname)
      FILTER (WHERE autovacuum_count + autoanalyze_count > 0),
    round(sum(pg_total_relation_size(relid)) / 1048576.0, 1)
    FROM pg_stat_user_tables WHERE schemaname = '$schema';" >&"${WAITER[1]}"
  local table
  read -r table <&"${WAITER[0]}"
  exec {WAITER[1]}>&-
  wait "$waiter_pid" || true
  [[ "$succeeded" == "$deliveries" ]] || { echo "pg_workers: $succeeded of $deliveries succeeded" >&2; cat "$work"/worker*.err >&2; exit 1; }
  local seconds server_s
  seconds=$(calc "($t1 - $t0) / 1000000000")
  server_s=$(calc "($s1 - $s0 - ($w1 - $w0)) / $hz")
  local hot autovac store_mb
  IFS='|' read -r hot autovac store_mb <<< "$table"
  if [[ $stats -eq 1 ]]; then
    {
      echo "## statements, $n workers, $bin (calls, total ms, ms per call, rows per call, plans, planning ms per plan)"
      psql_ -A -F ' | ' -c "SELECT calls, round(total_exec_time::numeric, 1), round((total_exec_time / greatest(calls, 1))::numeric, 3),
          round(rows::numeric / greatest(calls, 1), 1), plans, round((total_plan_time / greatest(plans, 1))::numeric, 3),
          left(regexp_replace(query, '\s+', ' ', 'g'), 160)
        FROM pg_stat_statements ORDER BY total_exec_time + total_plan_time DESC LIMIT 15"
    } >> "$log"
  fi
  psql_ -c "DROP SCHEMA $schema CASCADE"
  printf 'mode=pg_workers bin=%s workers=%d deliveries=%d history=%d succeeded=%d seconds=%.3f rate=%.0f server_cpu_s=%.2f server_us_per_delivery=%.1f worker_cpu_s=%.2f worker_us_per_delivery=%.1f fill_server_us_per_delivery=%.1f hot_updates=%s vacuums_analyzes=%s store_mb=%s load=%s\n' \
    "$bin" "$n" "$deliveries" "$((hooks * history))" "$succeeded" "$seconds" "$(calc "$succeeded / $seconds")" "$server_s" \
    "$(calc "1000000 * $server_s / $succeeded")" "$(calc "$worker_ticks / $hz")" \
    "$(calc "1000000 * $worker_ticks / $hz / $succeeded")" "$(calc "1000000 * ($f1 - $f0) / $hz / $deliveries")" \
    "$hot" "$autovac" "$store_mb" "$(cut -d' ' -f1 /proc/loadavg)"
}

lines=()
k=0
for ((r = 1; r <= rounds; r++)); do
  for n in $workers; do
    for d in "${dirs[@]}"; do
      k=$((k + 1))
      line=$(run_round "$d" "$n" "w$k")
      say "$line"
      lines+=("$line")
    done
  done
done

{
  echo
  echo "$hooks hooks x $events events = $((hooks * events)) deliveries per run (after ${HISTORY:-0} x $hooks delivered, not timed); --concurrency $concurrency per worker"
  echo
  echo "| build | workers | rate | server CPU per delivery | worker CPU per delivery | HOT updates / updates, per table | store | server CPU per delivery stored (fill) | load |"
  echo "|---|---|---|---|---|---|---|---|---|"
  for line in "${lines[@]}"; do
    printf '| %s | %s | %s/s | %s µs | %s µs | %s | %s MB | %s µs | %s |\n' "$(kv "$line" bin)" "$(kv "$line" workers)" \
      "$(kv "$line" rate)" "$(kv "$line" server_us_per_delivery)" "$(kv "$line" worker_us_per_delivery)" \
      "$(kv "$line" hot_updates)" "$(kv "$line" store_mb)" "$(kv "$line" fill_server_us_per_delivery)" "$(kv "$line" load)"
  done
} | tee -a "$log"
echo "results: $log"
