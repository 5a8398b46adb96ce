#!/usr/bin/env bash
# The soak (not CI): notify and deliver for MINUTES (default 60) against a
# receiver that fails, hangs and resets at random (chaos_receiver.py), on a
# SQLite file; prints RSS, descriptors and WAL size a minute; at the end the
# receiver turns healthy and every acknowledged event must arrive. Output in
# bench/results/soak-*.txt. bench/README.md quotes it.
#
#   bash bench/soak.sh [MINUTES [RATE]]
set -euo pipefail
cd "$(dirname "$0")/.."
minutes=${1:-60}
rate=${2:-25}
if [[ -z "${BENCH_BIN:-}" ]]; then
  bash scripts/install-deps.sh
  cmake --preset release >/dev/null
  cmake --build --preset release --target soak
fi
bin=${BENCH_BIN:-build/release/bench}
work=$(mktemp -d)
receiver_pid=""
cleanup() {
  [[ -n "$receiver_pid" ]] && kill "$receiver_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
python3 bench/chaos_receiver.py "$port" & receiver_pid=$!
for _ in $(seq 50); do curl -s -o /dev/null -X POST "http://127.0.0.1:$port/__mode/chaos" && break; sleep 0.1; done
mkdir -p bench/results
log="bench/results/soak-$(date +%Y%m%d-%H%M%S).txt"
"$bin/soak" "sqlite:$work/soak.db" "http://127.0.0.1:$port" "$minutes" "$rate" | tee "$log"
