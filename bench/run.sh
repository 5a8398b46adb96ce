#!/usr/bin/env bash
# Builds runhooks optimized and runs every benchmark, in one run so the
# figures can be compared as ratios. Receivers: nginx (from Debian, answers
# 200, one worker) and bench/slow_receiver.py (delays, black holes), both on
# 127.0.0.1 ports picked free, both stopped at the end. Raw output goes to
# bench/results/; bench/README.md quotes the figures.
#
#   bash bench/run.sh           full run (a few minutes)
#   bash bench/run.sh --smoke   seconds: checks every mode still runs
set -euo pipefail
cd "$(dirname "$0")/.."
smoke=0
[[ "${1:-}" == "--smoke" ]] && smoke=1

if [[ $smoke -eq 0 ]]; then
  bash scripts/install-deps.sh
  for p in nginx-light wrk python3; do
    command -v "${p%-light}" >/dev/null || { apt-get update -qq; apt-get install -y -qq "$p"; }
  done
  cmake --preset release >/dev/null
  cmake --build --preset release
fi
bin=${BENCH_BIN:-build/release/bench}
work=$(mktemp -d)
out=bench/results
[[ $smoke -eq 1 ]] && out=$work  # a smoke run keeps nothing
mkdir -p "$out"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  [[ -f "$work/nginx.pid" ]] && kill "$(cat "$work/nginx.pid")" 2>/dev/null || true
  [[ -f "$work/pg.state" ]] && sh tests/postgres/cluster.sh stop "$work/pg.state" || true
  rm -rf "$work"
}
trap cleanup EXIT

# The port a server picked for itself (--listen 127.0.0.1:0), from the
# "listening on http://127.0.0.1:PORT" line it prints first: no other
# program can take it in between, as one picked here and passed on could be.
listening_port() {
  for _ in $(seq 100); do
    if grep -q '^listening on ' "$1" 2>/dev/null; then sed -n 's|^listening on http://[^:]*:\([0-9]*\).*|\1|p' "$1" | head -n 1; return; fi
    sleep 0.05
  done
  echo "no 'listening on' line in $1:" >&2; cat "$1" >&2; return 1
}

source bench/lib.sh  # free_port (and the other helpers the bench scripts share)

nginx_port=$(free_port)
sed -e "s|@DIR@|$work|g" -e "s|@PORT@|$nginx_port|g" bench/nginx.conf.in > "$work/nginx.conf"
nginx -c "$work/nginx.conf" -p "$work"
slow_port=$(free_port)
python3 bench/slow_receiver.py "$slow_port" 200 & pids+=($!)
for _ in $(seq 50); do
  curl -s -o /dev/null "http://127.0.0.1:$nginx_port/" && curl -s -o /dev/null "http://127.0.0.1:$slow_port/" && break
  sleep 0.1
done
nginx_url="http://127.0.0.1:$nginx_port"
slow_url="http://127.0.0.1:$slow_port"

if [[ $smoke -eq 1 ]]; then
  wrk_secs=1; serial_n=50; events=20; notify_n=200; slow_events=2; lat_events=5; pending_n=2000; pg_events=5; purge_n=200
  listing_n=20000
else
  wrk_secs=10; serial_n=3000; events=1000; notify_n=20000; slow_events=10; lat_events=100; pending_n=100000; pg_events=300; purge_n=20000
  listing_n=1000000
fi

log="$out/delivery-$(date +%Y%m%d-%H%M%S).txt"
run() { echo "+ $*" | tee -a "$log"; "$@" | tee -a "$log"; }

if command -v wrk >/dev/null; then
  run wrk -t1 -c64 -d"${wrk_secs}s" "$nginx_url/h0"
  run wrk -t1 -c8 -d"${wrk_secs}s" "$nginx_url/h0"
fi
run "$bin/delivery_bench" serial "$nginx_url/h0" "$serial_n"
run "$bin/delivery_bench" multi "$nginx_url/h0" $((events * 64)) 64
run "$bin/delivery_bench" multi "$nginx_url/h0" $((events * 64)) 64 2
for threads in 1 2; do
  run "$bin/delivery_bench" throughput memory: "$nginx_url/h" 64 "$events" 64 "$threads"
  run "$bin/delivery_bench" throughput "sqlite:$work/tp$threads.db" "$nginx_url/h" 64 "$events" 64 "$threads"
done
run "$bin/delivery_bench" notify "sqlite:$work/notify.db" 10 "$notify_n"
run "$bin/delivery_bench" notify "sqlite:$work/notify-paced.db" 10 "$notify_n" 1000
for threads in 1 8; do
  run "$bin/delivery_bench" notify_threads "sqlite:$work/notify-t$threads.db" 10 "$notify_n" "$threads"
done
# The same with every commit synced to the disk (StorageOptions::sqlite_synchronous).
run "$bin/delivery_bench" notify "sqlite:$work/notify-full.db?synchronous=full" 10 "$notify_n"
run "$bin/delivery_bench" notify memory: 10 "$notify_n"
run "$bin/delivery_bench" throughput memory: "$slow_url/slow" 1000 "$slow_events" 1000
run "$bin/delivery_bench" latency memory: "$nginx_url/h" 100 "$slow_url/hole" 0 "$lat_events" 256
run "$bin/delivery_bench" latency memory: "$nginx_url/h" 100 "$slow_url/hole" 20 "$lat_events" 256
run "$bin/delivery_bench" pending "sqlite:$work/pending.db" "$pending_n"
run "$bin/delivery_bench" purge "sqlite:$work/purge.db" 10 "$purge_n"
run "$bin/delivery_bench" purge memory: 10 "$purge_n"
# Delivery history (issue 12): one hook's latest deliveries among
# $listing_n over 100 hooks, and the WAL frames a notify and a completion write.
run "$bin/listing_bench" list "sqlite:$work/listing.db" "$listing_n" 100
run "$bin/listing_bench" frames "sqlite:$work/frames.db" 10 "$notify_n"
# Several worker processes on one PostgreSQL (issue 5), next to SQLite.
if [[ -x tests/postgres/cluster.sh ]] && ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  pg_url=$(sh tests/postgres/cluster.sh start "$work/pg.state")
  pids_pg_state="$work/pg.state"
  for n in 1 2 4; do
    run "$bin/delivery_bench" workers "$pg_url?runhooks_schema=w$n" "$nginx_url/h" 64 "$pg_events" "$n"
  done
  run "$bin/delivery_bench" workers "sqlite:$work/workers.db" "$nginx_url/h" 64 "$pg_events" 2
  run "$bin/delivery_bench" purge "$pg_url?runhooks_schema=purge" 10 "$purge_n"
  run "$bin/listing_bench" list "$pg_url?runhooks_schema=listing" "$listing_n" 100
  sh tests/postgres/cluster.sh stop "$pids_pg_state"
fi

cli=${CLI_BIN:-$(dirname "$bin")/tools/runhooks/runhooks}
# The database server's CPU per delivery with 1, 2 and 4 `runhooks worker`
# processes on one PostgreSQL (issue 15; a server and nginx of its own, its
# own results file too).
if [[ -x "$cli" ]] && ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  if [[ $smoke -eq 1 ]]; then run bash bench/pg_workers.sh --smoke "$bin"; else run bash bench/pg_workers.sh "$bin"; fi
fi
# The management API over HTTP (issue 4): runhooks serve on SQLite, wrk at 16 connections.
# Notify -> a receiver's first byte at 1,000 events/s (issue 15): the
# in-process worker, and a separate `runhooks worker` on the same file.
run "$bin/wake_latency" inprocess "$work/wake.db" 1000 "$((lat_events * 100))"
[[ -x "$cli" ]] && run "$bin/wake_latency" cross "$work/wake-cross.db" 1000 "$((lat_events * 100))" "$cli"
if [[ -x "$cli" ]] && command -v wrk >/dev/null; then
  api_store="sqlite:$work/api.db"
  key=$("$cli" --store "$api_store" keys create --all-projects --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["key"])')
  hook=$("$cli" --store "$api_store" hooks create --project bench --url https://example.com/h --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["hookId"])')
  "$cli" --store "$api_store" serve --listen 127.0.0.1:0 --no-worker > "$work/serve.log" & serve_pid=$!; pids+=($serve_pid)
  api_port=$(listening_port "$work/serve.log")
  run wrk -t2 -c16 -d"${wrk_secs}s" -H "Authorization: Bearer $key" "http://127.0.0.1:$api_port/webhooks/$hook"
  RUNHOOKS_KEY=$key run wrk -t2 -c16 -d"${wrk_secs}s" -s bench/post_hooks.lua "http://127.0.0.1:$api_port"
  kill "$serve_pid" 2>/dev/null || true
  wait "$serve_pid" 2>/dev/null || true  # it lets go of the store before the next server opens it
  # The same HttpApi and store behind GNU libmicrohttpd, the server runhooks
  # serve used before 0.2: the comparison bench/README.md quotes.
  if [[ -x "$bin/mhd_api_server" ]]; then
    "$bin/mhd_api_server" "$api_store" 0 8 > "$work/mhd.log" & pids+=($!)
    mhd_port=$(listening_port "$work/mhd.log")
    echo "# libmicrohttpd 0.9.75, for comparison" | tee -a "$log"
    run wrk -t2 -c16 -d"${wrk_secs}s" -H "Authorization: Bearer $key" "http://127.0.0.1:$mhd_port/webhooks/$hook"
    RUNHOOKS_KEY=$key run wrk -t2 -c16 -d"${wrk_secs}s" -s bench/post_hooks.lua "http://127.0.0.1:$mhd_port"
  fi
fi
# The shipped `runhooks worker` against the bare libcurl loop and wrk, on an
# nginx of its own (issue 15; its own results file too).
if [[ -x "$cli" ]] && command -v wrk >/dev/null; then
  if [[ $smoke -eq 1 ]]; then run bash bench/worker_bench.sh --smoke "$bin"; else run bash bench/worker_bench.sh "$bin"; fi
  # The same over HTTPS (nginx with a CA and certificate made for the run),
  # against a new handshake per request; handshakes counted.
  if [[ $smoke -eq 1 ]]; then run bash bench/tls_bench.sh --smoke "$bin"; else run bash bench/tls_bench.sh "$bin"; fi
fi
# Many slow endpoints (issue 15): the shipped worker at 4,096 in flight
# against 10,000 hooks answering after 1 s, on a receiver of its own.
if [[ -x "$cli" && -x "$bin/delay_receiver" ]]; then
  if [[ $smoke -eq 1 ]]; then run bash bench/slow_hooks.sh --smoke "$bin"; else run bash bench/slow_hooks.sh "$bin"; fi
fi
[[ -x "$bin/registry_bench" && $smoke -eq 0 ]] && run "$bin/registry_bench" --benchmark_repetitions=3 --benchmark_report_aggregates_only=true
echo "results: $log"
