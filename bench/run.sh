#!/usr/bin/env bash
# Builds runhooks optimized and runs every benchmark. Figures go to
# bench/results/ (not committed); bench/README.md records the ones we quote.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
cmake --preset release >/dev/null
cmake --build --preset release
mkdir -p bench/results
./build/release/bench/registry_bench --benchmark_repetitions=3 \
  --benchmark_report_aggregates_only=true \
  --benchmark_out=bench/results/registry.json --benchmark_out_format=json
