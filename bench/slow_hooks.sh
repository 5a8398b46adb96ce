#!/usr/bin/env bash
# Many slow endpoints (issue 15): the shipped `runhooks worker` against a
# receiver that answers every request after a fixed delay
# (bench/delay_receiver.cpp: keep-alive, thousands of connections, one
# thread), on a free 127.0.0.1 port. Target: deliveries/s ≥ 0.8 ×
# concurrency ÷ delay, worker peak RSS ≤ 200 MB.
#
#   1. many slow endpoints: HOOKS (10,000) hooks on distinct paths, 1 s
#      answers, `runhooks worker --concurrency 4096`;
#   2. the earlier figure's shape: 1,000 hooks, 200 ms answers,
#      `--concurrency 1000` — the shipped worker, and the library's Worker in
#      one process on the memory store as bench/run.sh measured it before.
#
# Each shape: a fresh SQLite store, its hooks made through the registry
# (`make_hooks`, 100 to a project, as `runhooks hooks create` makes them),
# EVENTS events to every hook stored first (`delivery_bench fill` per
# project, not timed); then the worker is started with its default logging
# and `--metrics-listen`, and timed until nothing is pending (a second
# process reads the due index every 20 ms). A sampler reads its /metrics,
# descriptors and RSS every second. A fresh receiver per run counts the
# requests and the connections opened, and how late it wrote its answers:
# a late max of more than a few tens of ms means the machine stalled the
# run (another job), so discard it. CPU is the worker's every thread
# (/proc/PID/stat) at that moment, startup included; peak RSS its VmHWM.
#
# Builds nothing: build the `release` preset first (or pass another build's
# bench directory).
#
#   bash bench/slow_hooks.sh [BENCH_BIN_DIR]     default $BENCH_BIN, else build/release/bench
#   HOOKS=10000 EVENTS=8 DELAY_MS=1000 WORKER_CONCURRENCY=4096 bash bench/slow_hooks.sh
#   WORKER_ARGS="--log-level info" bash bench/slow_hooks.sh     more worker options (both shapes)
#   OLD_SHAPE=0 bash bench/slow_hooks.sh         the first shape alone
#   bash bench/slow_hooks.sh --smoke             seconds, small numbers: checks every step runs
#
# The CLI is $CLI_BIN, else BENCH_BIN_DIR/../tools/runhooks/runhooks.
# Output: bench/results/slow-DATE.txt (not committed; nothing kept by --smoke).
set -Eeuo pipefail
cd "$(dirname "$0")/.."
smoke=0
if [[ "${1:-}" == "--smoke" ]]; then smoke=1; shift; fi
bin=${1:-${BENCH_BIN:-build/release/bench}}
cli=${CLI_BIN:-$(dirname "$bin")/tools/runhooks/runhooks}
if [[ $smoke -eq 1 ]]; then
  hooks=${HOOKS:-300}; events=${EVENTS:-2}; delay_ms=${DELAY_MS:-200}; concurrency=${WORKER_CONCURRENCY:-128}
  old_hooks=100; old_events=2; old_delay_ms=50; old_concurrency=100
else
  # 80,000 deliveries: 24 s at the target's 3,277/s.
  hooks=${HOOKS:-10000}; events=${EVENTS:-8}; delay_ms=${DELAY_MS:-1000}; concurrency=${WORKER_CONCURRENCY:-4096}
  old_hooks=1000; old_events=40; old_delay_ms=200; old_concurrency=1000
fi
read -r -a worker_args <<< "${WORKER_ARGS:-}"
for f in "$bin/delivery_bench" "$bin/delay_receiver" "$bin/make_hooks" "$cli"; do
  [[ -x "$f" ]] || { echo "slow_hooks: $f not found (build first, or pass the bench directory)" >&2; exit 2; }
done
for p in python3 curl; do command -v "$p" >/dev/null || { echo "slow_hooks: needs $p" >&2; exit 2; }; done

work=$(mktemp -d)
out=bench/results
[[ $smoke -eq 1 ]] && out=$work
mkdir -p "$out"
stamp=$(date +%Y%m%d-%H%M%S)
log="$out/slow-$stamp.txt"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
trap 'echo "slow_hooks: line $LINENO failed" >&2' ERR

source bench/lib.sh  # free_port, say, ticks, hz, now_ns, calc, kv

# The address a process printed ("listening on http://...", "metrics on
# http://..."): it picked a free port itself, so nothing can take it between.
printed_url() {
  for _ in $(seq 200); do
    if grep -q "$2" "$1" 2>/dev/null; then grep -o 'http://[0-9.:]*' "$1" | head -n 1; return; fi
    sleep 0.05
  done
  echo "slow_hooks: no '$2' line in $1:" >&2; cat "$1" >&2; return 1
}

say "# slow_hooks $stamp: $(nproc) cores; load $(cut -d' ' -f1-3 /proc/loadavg); open-file limit $(ulimit -Sn)/$(ulimit -Hn)"
say "# $("$cli" --version); $(curl --version | head -n 1 | cut -d' ' -f1-2)"

receiver_pid=0
receiver_url=""
start_receiver() {  # DELAY_MS
  "$bin/delay_receiver" "$1" > "$work/receiver.out" 2> "$work/receiver.err" & receiver_pid=$!
  pids+=("$receiver_pid")
  receiver_url=$(printed_url "$work/receiver.out" '^listening on ')
}
received=""
stop_receiver() {  # sets $received to the receiver's counters (called in this shell: it waits for its child)
  kill -TERM "$receiver_pid"; wait "$receiver_pid" || true
  received=$(grep '^delay_receiver ' "$work/receiver.out" | tail -n 1)
}

# A fresh store: HOOKS hooks at URL/hI in projects of 100, EVENTS events each.
fill_store() {  # STORE URL HOOKS EVENTS
  local line p projects
  line=$("$bin/make_hooks" "$1" "$2/h" "$3" slow)
  say "$line"
  projects=$(kv " $line" projects)
  for ((p = 0; p < projects; ++p)); do
    "$bin/delivery_bench" fill "$1" "slow$p" "$4" "$work/body.json" > /dev/null
  done
}


# Every second until the worker is gone: seconds, requests in flight,
# deliveries completed, open descriptors, RSS (KiB).
sample() {  # PID METRICS_URL KEY T0_NS
  local m flight completed fds rss
  while [[ -d "/proc/$1" ]]; do
    m=$(curl -s --max-time 1 -H "Authorization: Bearer $3" "$2/metrics" || true)
    flight=$(awk '/^runhooks_requests_in_flight /{print $2}' <<< "$m")
    completed=$(awk '/^runhooks_deliveries_completed_total/{s += $2} END {print s + 0}' <<< "$m")
    fds=$(find "/proc/$1/fd" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l) || break
    rss=$(awk '/^VmRSS/{print $2}' "/proc/$1/status" 2>/dev/null) || break
    printf '%s %s %s %s %s\n' "$(calc "($(now_ns) - $4) / 1000000000")" "${flight:--}" "$completed" "$fds" "$rss"
    sleep 1
  done
}

rows=()
verdicts=()
# One shape with the shipped worker; appends a row to the table.
worker_run() {  # NAME HOOKS EVENTS DELAY_MS CONCURRENCY
  local name=$1 n_hooks=$2 n_events=$3 delay=$4 conc=$5
  local db="$work/$name.db" store t0 t1 wpid spid metrics deliveries key
  store="sqlite:$db"
  rm -f "$db"*
  start_receiver "$delay"
  say "## $name: $n_hooks hooks x $n_events events, answers after $delay ms, --concurrency $conc"
  fill_store "$store" "$receiver_url" "$n_hooks" "$n_events"
  deliveries=$((n_hooks * n_events))
  # /metrics wants a key for every project.
  key=$("$cli" --store "$store" keys create --all-projects --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["key"])')
  t0=$(now_ns)
  "$cli" --store "$store" worker --concurrency "$conc" --allow-network 127.0.0.1/32 \
    --metrics-listen 127.0.0.1:0 "${worker_args[@]}" > "$work/worker.out" 2> "$work/worker.err" & wpid=$!
  pids+=("$wpid")
  metrics=$(printed_url "$work/worker.out" '^metrics on ')
  sample "$wpid" "$metrics" "$key" "$t0" > "$work/$name.samples" & spid=$!
  pids+=("$spid")
  wait_drained "$db"
  t1=$(now_ns)
  local worker_ticks rss_kb threads
  worker_ticks=$(ticks "$wpid")
  rss_kb=$(awk '/^VmHWM/ {print $2}' "/proc/$wpid/status")
  threads=$(find "/proc/$wpid/task" -mindepth 1 -maxdepth 1 | wc -l)
  kill -TERM "$wpid"; wait "$wpid" || true
  wait "$spid" || true
  local succeeded seconds rate steady cpu_us target
  stop_receiver
  say "+ runhooks --store sqlite:$name.db worker --concurrency $conc --allow-network 127.0.0.1/32 --metrics-listen 127.0.0.1:0 ${WORKER_ARGS:-}"
  succeeded=$(python3 -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("SELECT count(*) FROM deliveries WHERE status = 1").fetchone()[0])' "$db")
  seconds=$(calc "($t1 - $t0) / 1000000000")
  rate=$(calc "$succeeded / $seconds")
  # No answer can come before the first delay: the rate once they flow.
  steady=$(calc "$succeeded / ($seconds - $delay / 1000)")
  cpu_us=$(calc "1000000 * $worker_ticks / $hz / $succeeded")
  target=$(calc "0.8 * $conc / ($delay / 1000)")
  # In flight while answers flow (samples after the first delay, before the
  # last second), and the most descriptors the worker held.
  local flight fds_max
  flight=$(awk -v d="$delay" -v end="$seconds" '$1 > d / 1000 + 0.5 && $1 < end - 1 && $2 != "-" { s += $2; n++ } END { printf "%.0f", n ? s / n : 0 }' "$work/$name.samples")
  fds_max=$(awk '$4 > m { m = $4 } END { print m + 0 }' "$work/$name.samples")
  say "$(printf 'mode=worker shape=%s deliveries=%d succeeded=%d seconds=%.3f rate=%.0f steady_rate=%.0f target=%.0f cpu_s=%.2f cpu_us_per_delivery=%.1f peak_rss_kb=%d threads=%d in_flight_mean=%s fds_max=%s stderr_lines=%d' \
    "$name" "$deliveries" "$succeeded" "$seconds" "$rate" "$steady" "$target" "$(calc "$worker_ticks / $hz")" "$cpu_us" \
    "$rss_kb" "$threads" "$flight" "$fds_max" "$(wc -l < "$work/worker.err")")"
  say "$received"
  say "# samples (s in_flight completed fds rss_kb): $(tr '\n' ';' < "$work/$name.samples")"
  if [[ "$succeeded" != "$deliveries" ]]; then
    echo "slow_hooks: $succeeded of $deliveries succeeded" >&2; tail -n 20 "$work/worker.err" >&2; exit 1
  fi
  verdicts+=("$(printf '%s: %.2f × the rate target, peak RSS %.0f MB (target ≤ 200 MB)' "$name" "$(calc "$rate / $target")" \
    "$(calc "$rss_kb * 1024 / 1000000")")")
  rows+=("$(printf '| %s | %d × %d | %d ms | %d | %.0f/s (%.0f/s) | %.0f/s | **%.2f** | %s | %.1f µs | %.0f MiB | %s | %s | %s ms |' \
    "$name" "$n_hooks" "$n_events" "$delay" "$conc" "$rate" "$steady" "$target" "$(calc "$rate / $target")" "$flight" \
    "$cpu_us" "$(calc "$rss_kb / 1024")" "$(kv " $received" connections)" "$fds_max" "$(kv " $received" late_ms_max)")")
}

worker_run many-slow "$hooks" "$events" "$delay_ms" "$concurrency"
inproc=""
if [[ "${OLD_SHAPE:-1}" == 1 ]]; then
  worker_run old-shape "$old_hooks" "$old_events" "$old_delay_ms" "$old_concurrency"
  # The earlier figure as bench/run.sh measured it (the library's Worker in
  # one process, memory store), against this receiver.
  start_receiver "$old_delay_ms"
  inproc=$("$bin/delivery_bench" throughput memory: "$receiver_url/h" "$old_hooks" "$old_events" "$old_concurrency")
  say "+ delivery_bench throughput memory: URL/h $old_hooks $old_events $old_concurrency"
  say "$inproc"
  stop_receiver
  say "$received"
fi

{
  echo
  echo "| shape | hooks × events | answer after | --concurrency | rate (once answers flow) | target 0.8 × C ÷ delay | × target | in flight (mean) | worker CPU per delivery | worker peak RSS | connections opened | worker descriptors (max) | receiver late (max) |"
  echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|"
  for r in "${rows[@]}"; do echo "$r"; done
  if [[ -n "$inproc" ]]; then
    printf '| library Worker in-process, memory (the earlier figure) | %d × %d | %d ms | %d | %.0f/s | %.0f/s | %.2f | | %s µs | | | | |\n' \
      "$old_hooks" "$old_events" "$old_delay_ms" "$old_concurrency" "$(kv " $inproc" rate)" \
      "$(calc "0.8 * $old_concurrency / ($old_delay_ms / 1000)")" \
      "$(calc "$(kv " $inproc" rate) / (0.8 * $old_concurrency / ($old_delay_ms / 1000))")" "$(kv " $inproc" cpu_us_per_delivery)"
  fi
  echo
  for v in "${verdicts[@]}"; do echo "$v"; done
  echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
} | tee -a "$log"
echo "results: $log"
