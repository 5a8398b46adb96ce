#!/usr/bin/env bash
# The shipped `runhooks worker` against libcurl (issue 15): in one run, on
# one nginx (bench/nginx.conf.in: one worker, `return 200`, keep-alive) on a
# free 127.0.0.1 port, with the same POST body everywhere — the wire format's
# full RUN_FINISH payload (docs/wire-format.md section 4, 494 bytes):
#
#   1. wrk, 64 connections, 1 thread, POSTing the body (bench/post_body.lua);
#   2. the bare libcurl multi loop (`delivery_bench multi`, 1 thread, 64 in
#      flight, the same body), with its CPU time per request;
#   3. `runhooks worker --concurrency 64` on a fresh SQLite store: 100 hooks
#      on distinct nginx paths made with `runhooks hooks create`, EVENTS events
#      stored first (`delivery_bench fill`, not timed), then the worker is
#      started with its default logging and timed until nothing is pending;
#      its CPU time (every thread, from /proc/PID/stat) per delivery;
#   4. the same deliveries by the library's Worker in one process
#      (`delivery_bench throughput`, 1 delivery thread, 64 in flight), memory
#      store and SQLite, for reference.
#
# Builds nothing: run `cmake --preset release && cmake --build --preset
# release` first (or pass another build's bench directory).
#
#   bash bench/worker_bench.sh [BENCH_BIN_DIR]     default $BENCH_BIN, else build/release/bench
#   EVENTS=500 WRK_SECS=10 bash bench/worker_bench.sh
#   PERF=1 bash bench/worker_bench.sh   also `perf record` the worker (perf.data kept in bench/results/;
#                                       bench/perf_layers.py sorts its samples by layer)
#   WORKER_CONCURRENCY=256 WORKER_ARGS="--log-level info" bash bench/worker_bench.sh   the worker run otherwise
#   bash bench/worker_bench.sh --smoke  seconds: checks that every step runs
#
# The CLI is $CLI_BIN, else BENCH_BIN_DIR/../tools/runhooks/runhooks. Output:
# bench/results/worker-DATE.txt (not committed).
set -euo pipefail
cd "$(dirname "$0")/.."
smoke=0
if [[ "${1:-}" == "--smoke" ]]; then smoke=1; shift; fi
bin=${1:-${BENCH_BIN:-build/release/bench}}
cli=${CLI_BIN:-$(dirname "$bin")/tools/runhooks/runhooks}
hooks=100
concurrency=64
if [[ $smoke -eq 1 ]]; then
  events=${EVENTS:-5}; wrk_secs=${WRK_SECS:-1}
else
  events=${EVENTS:-500}; wrk_secs=${WRK_SECS:-10}
fi
perf=${PERF:-0}
# The worker's own --concurrency (its default is 256), and more of its options.
worker_concurrency=${WORKER_CONCURRENCY:-$concurrency}
read -r -a worker_args <<< "${WORKER_ARGS:-}"
for f in "$bin/delivery_bench" "$cli"; do
  [[ -x "$f" ]] || { echo "worker_bench: $f not found (build first, or pass the bench directory)" >&2; exit 2; }
done
for p in nginx wrk python3; do command -v "$p" >/dev/null || { echo "worker_bench: needs $p" >&2; exit 2; }; done

work=$(mktemp -d)
out=bench/results
[[ $smoke -eq 1 ]] && out=$work
mkdir -p "$out"
stamp=$(date +%Y%m%d-%H%M%S)
log="$out/worker-$stamp.txt"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  if [[ -f "$work/nginx.pid" ]]; then kill "$(cat "$work/nginx.pid")" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

source bench/lib.sh  # free_port, say, ticks, hz, now_ns, calc, kv

nginx_port=$(free_port)
sed -e "s|@DIR@|$work|g" -e "s|@PORT@|$nginx_port|g" bench/nginx.conf.in > "$work/nginx.conf"
nginx -c "$work/nginx.conf" -p "$work"
url="http://127.0.0.1:$nginx_port"
for _ in $(seq 50); do curl -s -o /dev/null "$url/" && break; sleep 0.1; done
nginx_worker=$(pgrep -P "$(cat "$work/nginx.pid")" | head -n 1)

say "# worker_bench $stamp: $hooks hooks x $events events, $concurrency in flight; $(nproc) cores; load $(cut -d' ' -f1-3 /proc/loadavg)"
say "# $("$cli" --version); $(curl --version | head -n 1 | cut -d' ' -f1-2); $(nginx -v 2>&1)"

# --- The store: hooks through the CLI, events through the public API. ---
db="$work/worker.db"
store="sqlite:$db"
for ((i = 0; i < hooks; i++)); do
  "$cli" --store "$store" hooks create --project bench --url "$url/h$i" > /dev/null 2>> "$work/create.err"
done
fill=$("$bin/delivery_bench" fill "$store" bench "$events" "$work/body.json")
say "$fill"
deliveries=$((hooks * events))
[[ "$(kv "$fill" deliveries)" == "$deliveries" ]] || { echo "worker_bench: expected $deliveries deliveries" >&2; exit 1; }
body_bytes=$(wc -c < "$work/body.json")
code=$(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' --data-binary @"$work/body.json" "$url/h0")
[[ "$code" == "200" ]] || { echo "worker_bench: nginx answered a POST with $code" >&2; exit 1; }

# --- 1. wrk ---
n0=$(ticks "$nginx_worker")
# bash's `time` gives wrk's CPU seconds (user, system) on the last line.
wrk_out=$( { TIMEFORMAT='time_cpu_s=%U %S'; time WRK_BODY_FILE="$work/body.json" \
  wrk -t1 -c"$concurrency" -d"${wrk_secs}s" -s bench/post_body.lua "$url/h0"; } 2>&1)
n1=$(ticks "$nginx_worker")
say "+ wrk -t1 -c$concurrency -d${wrk_secs}s -s bench/post_body.lua $url/h0"
say "$wrk_out"
wrk_rate=$(sed -n 's/^Requests\/sec: *\([0-9.]*\).*/\1/p' <<< "$wrk_out")
wrk_requests=$(sed -n 's/^ *\([0-9]*\) requests in .*/\1/p' <<< "$wrk_out")
wrk_cpu=$(sed -n 's/^time_cpu_s=\(.*\) \(.*\)/\1 + \2/p' <<< "$wrk_out")
wrk_cpu=$(calc "$wrk_cpu")
wrk_cpu_us=$(calc "1000000 * $wrk_cpu / $wrk_requests")
wrk_nginx_us=$(calc "1000000 * ($n1 - $n0) / $hz / $wrk_requests")

# --- 2. the bare libcurl multi loop ---
n0=$(ticks "$nginx_worker")
multi=$("$bin/delivery_bench" multi "$url/h0" "$deliveries" "$concurrency" 1 "$work/body.json")
n1=$(ticks "$nginx_worker")
say "+ delivery_bench multi $url/h0 $deliveries $concurrency 1 body.json"
say "$multi"
multi_rate=$(kv "$multi" rate)
multi_cpu_us=$(kv "$multi" cpu_us_per_request)
multi_nginx_us=$(calc "1000000 * ($n1 - $n0) / $hz / $deliveries")

# --- 3. runhooks worker, as users run it ---
n0=$(ticks "$nginx_worker")
t0=$(now_ns)
"$cli" --store "$store" worker --concurrency "$worker_concurrency" --allow-network 127.0.0.1/32 "${worker_args[@]}" \
  > "$work/worker.out" 2> "$work/worker.err" & wpid=$!
pids+=("$wpid")
if [[ $perf -eq 1 ]]; then
  perf record -F "${PERF_FREQ:-499}" --call-graph dwarf,16384 -o "$out/perf-worker-$stamp.data" -p "$wpid" 2> "$work/perf.err" & perf_pid=$!
  pids+=("$perf_pid")
fi
wait_drained "$db"
t1=$(now_ns)
worker_ticks=$(ticks "$wpid")
n1=$(ticks "$nginx_worker")
worker_threads=$(find "/proc/$wpid/task" -mindepth 1 -maxdepth 1 | wc -l)
worker_rss_kb=$(awk '/^VmHWM/ {print $2}' "/proc/$wpid/status")
[[ $perf -eq 1 ]] && { kill -INT "$perf_pid"; wait "$perf_pid" || true; }
kill -TERM "$wpid"; wait "$wpid" || true
worker_s=$(calc "($t1 - $t0) / 1000000000")
succeeded=$(python3 -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("SELECT count(*) FROM deliveries WHERE status = 1").fetchone()[0])' "$db")
worker_rate=$(calc "$succeeded / $worker_s")
worker_cpu_s=$(calc "$worker_ticks / $hz")
worker_cpu_us=$(calc "1000000 * $worker_cpu_s / $succeeded")
worker_nginx_us=$(calc "1000000 * ($n1 - $n0) / $hz / $succeeded")
say "+ runhooks --store sqlite:worker.db worker --concurrency $worker_concurrency --allow-network 127.0.0.1/32 ${WORKER_ARGS:-}"
say "$(printf 'mode=worker deliveries=%d succeeded=%d seconds=%.3f rate=%.0f cpu_s=%.2f cpu_us_per_delivery=%.1f threads=%d peak_rss_kb=%d stderr_lines=%d' \
  "$deliveries" "$succeeded" "$worker_s" "$worker_rate" "$worker_cpu_s" "$worker_cpu_us" "$worker_threads" "$worker_rss_kb" "$(wc -l < "$work/worker.err")")"
[[ "$succeeded" == "$deliveries" ]] || { echo "worker_bench: $succeeded of $deliveries succeeded" >&2; cat "$work/worker.err" >&2; exit 1; }

# --- 4. the library's Worker in one process ---
inproc() {
  local n0 n1 line
  n0=$(ticks "$nginx_worker")
  line=$("$bin/delivery_bench" throughput "$1" "$url/h" "$hooks" "$events" "$concurrency" 1 wire)
  n1=$(ticks "$nginx_worker")
  say "+ delivery_bench throughput $1 $url/h $hooks $events $concurrency 1 wire" >&2
  say "$line" >&2
  echo "$(kv "$line" rate) $(kv "$line" cpu_us_per_delivery) $(calc "1000000 * ($n1 - $n0) / $hz / $deliveries")"
}
read -r mem_rate mem_cpu_us mem_nginx_us < <(inproc memory:)
read -r sql_rate sql_cpu_us sql_nginx_us < <(inproc "sqlite:$work/inproc.db")

# --- The table ---
row() {  # what rate cpu_us nginx_us
  printf '| %s | %.0f/s | %.2f | %.2f | %.1f µs | %.2f | %.1f µs |\n' "$1" "$2" "$(calc "$2 / $multi_rate")" \
    "$(calc "$2 / $wrk_rate")" "$3" "$(calc "$3 / $multi_cpu_us")" "$4"
}
{
  echo
  echo "$hooks hooks x $events events = $deliveries deliveries; body $body_bytes bytes; $concurrency connections/in flight; 1 thread each"
  echo
  echo "| what | rate | × bare loop | × wrk | CPU per request | × bare loop CPU | nginx CPU per request |"
  echo "|---|---|---|---|---|---|---|"
  row "wrk, POST (client CPU: wrk's)" "$wrk_rate" "$wrk_cpu_us" "$wrk_nginx_us"
  row "bare libcurl multi loop" "$multi_rate" "$multi_cpu_us" "$multi_nginx_us"
  row "**runhooks worker**, SQLite (shipped CLI)" "$worker_rate" "$worker_cpu_us" "$worker_nginx_us"
  row "library Worker in-process, memory" "$mem_rate" "$mem_cpu_us" "$mem_nginx_us"
  row "library Worker in-process, SQLite" "$sql_rate" "$sql_cpu_us" "$sql_nginx_us"
  echo
  printf 'targets: worker ≥ 0.80 × bare loop: %.2f; ≥ 0.30 × wrk: %.2f; CPU per delivery ≤ 1.5 × bare loop: %.2f\n' \
    "$(calc "$worker_rate / $multi_rate")" "$(calc "$worker_rate / $wrk_rate")" \
    "$(calc "$worker_cpu_us / $multi_cpu_us")"
} | tee -a "$log"
[[ $perf -eq 1 ]] && echo "perf data: $out/perf-worker-$stamp.data"
echo "results: $log"
