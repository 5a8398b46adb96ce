#!/usr/bin/env bash
# HTTPS (issue 15): the shipped `runhooks worker` against wrk and against a
# serial loop that makes a new libcurl handle per request (a full TLS
# handshake each time), in one run, on one nginx over TLS
# (bench/nginx_tls.conf.in: one worker, `return 200`, keep-alive, TLS 1.2
# and 1.3) with a CA and an RSA-2048 certificate for 127.0.0.1 made here with
# openssl, and the same POST body everywhere (the wire format's full
# RUN_FINISH payload, 494 bytes):
#
#   1. wrk over https, 64 connections, 1 thread (bench/post_body.lua);
#   2. the bare libcurl multi loop (`delivery_bench multi`, 1 thread, 64 in
#      flight, handles reused), trusting the CA (BENCH_CA_FILE);
#   3. the serial loop (`delivery_bench serial`: a new handle per request);
#   4. `runhooks worker --ca-file CA --concurrency 64` on a fresh SQLite
#      store: 100 hooks made with `runhooks hooks create`, EVENTS events
#      stored first (`delivery_bench fill`, not timed), timed from its start
#      until nothing is pending; its CPU (every thread, /proc) per delivery;
#   5. 10,000 deliveries to ONE hook by the same worker (its default of 8 in
#      flight per hook), then the same to a second nginx server that closes
#      every connection after 100 requests.
#
# Every step's TLS handshakes are counted from nginx's access log: each
# distinct connection made one, full or resuming a session.
#
# Builds nothing: run `cmake --preset release && cmake --build --preset
# release` first (or pass another build's bench directory).
#
#   bash bench/tls_bench.sh [BENCH_BIN_DIR]     default $BENCH_BIN, else build/release/bench
#   EVENTS=500 WRK_SECS=10 SERIAL_N=2000 ONE_HOOK_N=10000 bash bench/tls_bench.sh
#   bash bench/tls_bench.sh --smoke             seconds: checks that every step runs
#   H2=1 bash bench/tls_bench.sh                nginx offers HTTP/2 too (runhooks and libcurl
#                                               then multiplex; wrk stays on HTTP/1.1)
#   KEEP_WORK=1 bash bench/tls_bench.sh         keeps the temporary directory: certificates,
#                                               nginx's log of each step (NAME.log), the stores
#
# The CLI is $CLI_BIN, else BENCH_BIN_DIR/../tools/runhooks/runhooks. Output:
# bench/results/tls-DATE.txt (not committed).
set -euo pipefail
cd "$(dirname "$0")/.."
smoke=0
if [[ "${1:-}" == "--smoke" ]]; then smoke=1; shift; fi
bin=${1:-${BENCH_BIN:-build/release/bench}}
cli=${CLI_BIN:-$(dirname "$bin")/tools/runhooks/runhooks}
hooks=100
concurrency=64
if [[ $smoke -eq 1 ]]; then
  events=${EVENTS:-5}; wrk_secs=${WRK_SECS:-1}; serial_n=${SERIAL_N:-20}; one_hook_n=${ONE_HOOK_N:-300}
else
  events=${EVENTS:-500}; wrk_secs=${WRK_SECS:-10}; serial_n=${SERIAL_N:-2000}; one_hook_n=${ONE_HOOK_N:-10000}
fi
for f in "$bin/delivery_bench" "$cli"; do
  [[ -x "$f" ]] || { echo "tls_bench: $f not found (build first, or pass the bench directory)" >&2; exit 2; }
done
for p in nginx wrk python3 openssl curl; do command -v "$p" >/dev/null || { echo "tls_bench: needs $p" >&2; exit 2; }; done

work=$(mktemp -d)
out=bench/results
[[ $smoke -eq 1 ]] && out=$work
mkdir -p "$out"
stamp=$(date +%Y%m%d-%H%M%S)
log="$out/tls-$stamp.txt"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  if [[ -f "$work/nginx.pid" ]]; then kill "$(cat "$work/nginx.pid")" 2>/dev/null || true; fi
  if [[ -n "${KEEP_WORK:-}" ]]; then echo "kept: $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT

source bench/lib.sh  # free_port, say, ticks, hz, now_ns, calc, kv

# --- A CA and a server certificate for 127.0.0.1, both RSA-2048 ---
certs="$work/certs"
mkdir -p "$certs"
printf '%s\n' '[req]' 'prompt = no' 'distinguished_name = dn' 'x509_extensions = ca' \
  '[dn]' 'CN = runhooks bench CA' \
  '[ca]' 'basicConstraints = critical, CA:TRUE' 'keyUsage = critical, keyCertSign, cRLSign' \
  'subjectKeyIdentifier = hash' > "$certs/ca.cnf"
printf '%s\n' '[req]' 'prompt = no' 'distinguished_name = dn' '[dn]' 'CN = 127.0.0.1' > "$certs/server.cnf"
printf '%s\n' 'subjectAltName = IP:127.0.0.1' 'basicConstraints = CA:FALSE' \
  'keyUsage = critical, digitalSignature, keyEncipherment' 'extendedKeyUsage = serverAuth' \
  'authorityKeyIdentifier = keyid' > "$certs/server.ext"
{
  openssl req -x509 -config "$certs/ca.cnf" -newkey rsa:2048 -nodes -keyout "$certs/ca.key" -out "$certs/ca.pem" -days 2
  openssl req -new -config "$certs/server.cnf" -newkey rsa:2048 -nodes -keyout "$certs/server.key" -out "$certs/server.csr"
  openssl x509 -req -in "$certs/server.csr" -CA "$certs/ca.pem" -CAkey "$certs/ca.key" -set_serial 2 -days 2 \
    -extfile "$certs/server.ext" -out "$certs/server.pem"
} > "$work/openssl.log" 2>&1 || { echo "tls_bench: openssl failed" >&2; cat "$work/openssl.log" >&2; exit 1; }
ca="$certs/ca.pem"

# --- nginx over TLS ---
# Its worker process (not root) reopens the access log itself: it needs to
# reach the log's directory.
chmod 711 "$work"
mkdir -m 0777 "$work/logs"
nginx_port=$(free_port)
closing_port=$(free_port)
http2=""
[[ -n "${H2:-}" ]] && http2=http2
sed -e "s|@DIR@|$work|g" -e "s|@PORT@|$nginx_port|g" -e "s|@CLOSING_PORT@|$closing_port|g" -e "s|@HTTP2@|$http2|g" \
  -e "s|@CERT@|$certs/server.pem|g" -e "s|@KEY@|$certs/server.key|g" bench/nginx_tls.conf.in > "$work/nginx.conf"
nginx -c "$work/nginx.conf" -p "$work"
url="https://127.0.0.1:$nginx_port"
closing_url="https://127.0.0.1:$closing_port"
for _ in $(seq 50); do curl -s -o /dev/null --cacert "$ca" "$url/" && break; sleep 0.1; done
nginx_master=$(cat "$work/nginx.pid")
nginx_worker=$(pgrep -P "$nginx_master" | head -n 1)

# Ends the access log's current segment as $work/NAME.log: nginx reopens its
# log on SIGUSR1 and writes out what it had buffered; a marker request that
# shows in the new log says it has. Marker requests are left out below.
marks=0
end_log() {
  mv "$work/logs/access.log" "$work/$1.log"
  kill -USR1 "$nginx_master"
  marks=$((marks + 1))
  for _ in $(seq 200); do
    curl -s -o /dev/null --cacert "$ca" "$url/tls-bench-marker-$marks" || true
    grep -q "tls-bench-marker-$marks" "$work/logs/access.log" 2>/dev/null && return 0
    sleep 0.05
  done
  echo "tls_bench: nginx did not reopen its access log" >&2; exit 1
}
# "CONNECTIONS FULL RESUMED REQUESTS" of a log segment: every connection made
# one handshake, resumed ("r") or full (".").
handshakes() {
  awk '$6 !~ /^\/tls-bench-marker/ { requests++; if (!($1 in seen)) { seen[$1] = 1; n++; if ($2 == "r") r++ } }
       END { printf "%d %d %d %d\n", n, n - r, r, requests }' "$work/$1.log"
}
end_log start

say "# tls_bench $stamp: $hooks hooks x $events events, $concurrency in flight; $(nproc) cores; load $(cut -d' ' -f1-3 /proc/loadavg)"
say "# $("$cli" --version); $(curl --version | head -n 1 | cut -d' ' -f1-2); $(nginx -v 2>&1); $(openssl version | cut -d' ' -f1-2)"
say "# nginx: TLS 1.2/1.3, RSA-2048 certificate, session cache and tickets${http2:+, HTTP/2 offered}; $(openssl s_client -connect "127.0.0.1:$nginx_port" \
  -CAfile "$ca" < /dev/null 2>/dev/null | sed -n 's/^New, \(.*\)$/\1/p' | head -n 1)"

# --- The stores: hooks through the CLI, events through the public API. ---
db="$work/worker.db"
store="sqlite:$db"
for ((i = 0; i < hooks; i++)); do
  "$cli" --store "$store" hooks create --project bench --url "$url/h$i" > /dev/null 2>> "$work/create.err"
done
fill=$("$bin/delivery_bench" fill "$store" bench "$events" "$work/body.json")
say "$fill"
deliveries=$((hooks * events))
[[ "$(kv "$fill" deliveries)" == "$deliveries" ]] || { echo "tls_bench: expected $deliveries deliveries" >&2; exit 1; }
one_store() {  # NAME URL: one hook at URL, $one_hook_n events for it
  "$cli" --store "sqlite:$work/$1.db" hooks create --project bench --url "$2/one" > /dev/null 2>> "$work/create.err"
  "$bin/delivery_bench" fill "sqlite:$work/$1.db" bench "$one_hook_n" "$work/body-$1.json" > /dev/null
}
one_store one "$url"
one_store closing "$closing_url"
body_bytes=$(wc -c < "$work/body.json")
code=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$ca" -H 'Content-Type: application/json' \
  --data-binary @"$work/body.json" "$url/h0")
[[ "$code" == "200" ]] || { echo "tls_bench: nginx answered a POST with $code" >&2; exit 1; }
end_log setup

# --- 1. wrk ---
n0=$(ticks "$nginx_worker")
wrk_out=$( { TIMEFORMAT='time_cpu_s=%U %S'; time WRK_BODY_FILE="$work/body.json" \
  wrk -t1 -c"$concurrency" -d"${wrk_secs}s" -s bench/post_body.lua "$url/h0"; } 2>&1)
n1=$(ticks "$nginx_worker")
end_log wrk
say "+ wrk -t1 -c$concurrency -d${wrk_secs}s -s bench/post_body.lua $url/h0"
say "$wrk_out"
wrk_rate=$(sed -n 's/^Requests\/sec: *\([0-9.]*\).*/\1/p' <<< "$wrk_out")
wrk_requests=$(sed -n 's/^ *\([0-9]*\) requests in .*/\1/p' <<< "$wrk_out")
wrk_cpu=$(calc "$(sed -n 's/^time_cpu_s=\(.*\) \(.*\)/\1 + \2/p' <<< "$wrk_out")")
wrk_cpu_us=$(calc "1000000 * $wrk_cpu / $wrk_requests")
wrk_nginx_us=$(calc "1000000 * ($n1 - $n0) / $hz / $wrk_requests")

# --- 2. the bare libcurl multi loop ---
n0=$(ticks "$nginx_worker")
multi=$(BENCH_CA_FILE="$ca" "$bin/delivery_bench" multi "$url/h0" "$deliveries" "$concurrency" 1 "$work/body.json")
n1=$(ticks "$nginx_worker")
end_log multi
say "+ BENCH_CA_FILE=ca.pem delivery_bench multi $url/h0 $deliveries $concurrency 1 body.json"
say "$multi"
multi_rate=$(kv "$multi" rate)
multi_cpu_us=$(kv "$multi" cpu_us_per_request)
multi_nginx_us=$(calc "1000000 * ($n1 - $n0) / $hz / $deliveries")

# --- 3. the serial loop: a new handle, so a full handshake, per request ---
n0=$(ticks "$nginx_worker")
serial=$(BENCH_CA_FILE="$ca" "$bin/delivery_bench" serial "$url/h0" "$serial_n" "$work/body.json")
n1=$(ticks "$nginx_worker")
end_log serial
say "+ BENCH_CA_FILE=ca.pem delivery_bench serial $url/h0 $serial_n body.json"
say "$serial"
[[ "$(kv "$serial" ok)" == "$serial_n" ]] || { echo "tls_bench: the serial loop failed" >&2; exit 1; }
serial_rate=$(kv "$serial" rate)
serial_cpu_us=$(kv "$serial" cpu_us_per_request)
serial_nginx_us=$(calc "1000000 * ($n1 - $n0) / $hz / $serial_n")

# --- 4. and 5. runhooks worker, as users run it ---
# Runs the worker on the store file $1 until it is drained, and checks that
# all $2 deliveries succeeded; sets w_seconds, w_rate, w_cpu_us (per
# delivery) and w_nginx_us.
run_worker() {
  local file=$1 expected=$2 n0 n1 t0 t1 wpid worker_ticks succeeded
  n0=$(ticks "$nginx_worker")
  t0=$(now_ns)
  "$cli" --store "sqlite:$file" worker --ca-file "$ca" --concurrency "$concurrency" --allow-network 127.0.0.1/32 \
    > "$work/worker.out" 2> "$work/worker.err" & wpid=$!
  pids+=("$wpid")
  wait_drained "$file"
  t1=$(now_ns)
  worker_ticks=$(ticks "$wpid")
  n1=$(ticks "$nginx_worker")
  kill -TERM "$wpid"; wait "$wpid" || true
  succeeded=$(python3 -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("SELECT count(*) FROM deliveries WHERE status = 1").fetchone()[0])' "$file")
  [[ "$succeeded" == "$expected" ]] || { echo "tls_bench: $succeeded of $expected succeeded" >&2; head -n 20 "$work/worker.err" >&2; exit 1; }
  w_seconds=$(calc "($t1 - $t0) / 1000000000")
  w_rate=$(calc "$succeeded / $w_seconds")
  w_cpu_us=$(calc "1000000 * $worker_ticks / $hz / $succeeded")
  w_nginx_us=$(calc "1000000 * ($n1 - $n0) / $hz / $succeeded")
  say "+ runhooks --store sqlite:$(basename "$file") worker --ca-file ca.pem --concurrency $concurrency --allow-network 127.0.0.1/32"
  say "$(printf 'mode=worker deliveries=%d seconds=%.3f rate=%.0f cpu_us_per_delivery=%.1f nginx_us_per_delivery=%.1f' \
    "$succeeded" "$w_seconds" "$w_rate" "$w_cpu_us" "$w_nginx_us")"
}
run_worker "$db" "$deliveries"
end_log worker
worker_rate=$w_rate worker_cpu_us=$w_cpu_us worker_nginx_us=$w_nginx_us
run_worker "$work/one.db" "$one_hook_n"
end_log one
one_rate=$w_rate one_cpu_us=$w_cpu_us one_nginx_us=$w_nginx_us
run_worker "$work/closing.db" "$one_hook_n"
end_log closing
closing_rate=$w_rate closing_cpu_us=$w_cpu_us closing_nginx_us=$w_nginx_us

# --- The tables ---
row() {  # what rate cpu_us nginx_us log
  local c f r
  read -r c f r _ < <(handshakes "$5")
  printf '| %s | %.0f/s | %.2f | %.3f | %.1f | %.1f µs | %.1f µs | %d (%d full, %d resumed) |\n' "$1" "$2" \
    "$(calc "$2 / $wrk_rate")" "$(calc "$2 / $multi_rate")" "$(calc "$2 / $serial_rate")" "$3" "$4" "$c" "$f" "$r"
}
one_row() {  # what rate cpu_us nginx_us log
  local c f r q
  read -r c f r q < <(handshakes "$5")
  printf '| %s | %d | %.0f/s | %.1f µs | %.1f µs | %d | %d | %d |\n' "$1" "$q" "$2" "$3" "$4" "$c" "$f" "$r"
}
{
  echo
  echo "$hooks hooks x $events events = $deliveries deliveries; body $body_bytes bytes; $concurrency connections/in flight; 1 thread each"
  echo
  echo "| what | rate | × wrk | × bare loop | × serial loop | CPU per request | nginx CPU per request | handshakes |"
  echo "|---|---|---|---|---|---|---|---|"
  row "wrk, POST (client CPU: wrk's)" "$wrk_rate" "$wrk_cpu_us" "$wrk_nginx_us" wrk
  row "bare libcurl multi loop" "$multi_rate" "$multi_cpu_us" "$multi_nginx_us" multi
  row "serial loop, new handle per request" "$serial_rate" "$serial_cpu_us" "$serial_nginx_us" serial
  row "**runhooks worker**, SQLite (shipped CLI)" "$worker_rate" "$worker_cpu_us" "$worker_nginx_us" worker
  echo
  echo "One hook, $one_hook_n deliveries, runhooks worker --concurrency $concurrency (8 in flight per hook):"
  echo
  echo "| receiver | requests nginx logged | rate | CPU per delivery | nginx CPU per delivery | connections = handshakes | full | resumed |"
  echo "|---|---|---|---|---|---|---|---|"
  one_row "keep-alive" "$one_rate" "$one_cpu_us" "$one_nginx_us" one
  one_row "closes each connection after 100 requests" "$closing_rate" "$closing_cpu_us" "$closing_nginx_us" closing
  echo
  printf 'target: worker ≥ 10 × serial loop: %.1f; worker × wrk: %.3f; worker CPU per delivery × bare loop: %.2f\n' \
    "$(calc "$worker_rate / $serial_rate")" "$(calc "$worker_rate / $wrk_rate")" "$(calc "$worker_cpu_us / $multi_cpu_us")"
} | tee -a "$log"
echo "results: $log"
