#!/usr/bin/env bash
# Fuzzes runhooks for longer than the test suite does (ctest runs each target
# for a fixed number of inputs only). Builds every libFuzzer target of
# tests/fuzz/ with clang, ASan and UBSan (the library instrumented for
# coverage too, so the fuzzer is guided through it), then runs each one for
# SECONDS with tests/fuzz/runhooks.dict, starting from the committed corpus
# and from whatever earlier runs found.
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]     SECONDS per target, default 60
#
# Environment: BUILD_DIR (default build/fuzz), RUNS_DIR (default
# build/fuzz-runs), JOBS for the build (default 2).
# New corpus entries go to RUNS_DIR/TARGET/corpus/, crashing inputs (and
# timeouts, leaks, out-of-memory) to RUNS_DIR/TARGET/crashes/, the log to
# RUNS_DIR/TARGET/log; nothing is written into tests/fuzz/corpus/ (copy an
# input there by hand to keep it). One summary line per target; the exit
# status is 1 when a target found something, 2 on a usage or build error.
# Reproduce a finding with: BUILD_DIR/tests/fuzz/TARGET RUNS_DIR/TARGET/crashes/FILE
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
all_targets="fuzz_webhook_json fuzz_validation fuzz_signing fuzz_http_api fuzz_notify fuzz_cli_payload"

seconds=${1:-60}
case "$seconds" in
  ''|*[!0-9]*|0) echo "usage: scripts/fuzz.sh [SECONDS] [TARGET...]   targets: $all_targets" >&2; exit 2 ;;
esac
[ $# -gt 0 ] && shift
targets=${*:-$all_targets}
for target in $targets; do
  case " $all_targets " in
    *" $target "*) ;;
    *) echo "fuzz.sh: unknown target '$target' (targets: $all_targets)" >&2; exit 2 ;;
  esac
done

build=${BUILD_DIR:-$root/build/fuzz}
runs=${RUNS_DIR:-$root/build/fuzz-runs}
jobs=${JOBS:-2}
if ! command -v clang++ >/dev/null 2>&1; then
  echo "fuzz.sh: needs clang++ (Debian: apt-get install clang; scripts/install-deps.sh installs it)" >&2
  exit 2
fi

# -O1: ASan's advice for speed; Debug keeps the asserts on.
flags="-O1 -fsanitize=address,undefined,fuzzer-no-link -fno-sanitize-recover=all -fno-omit-frame-pointer"
flags="$flags -fsanitize-ignorelist=$root/cmake/sanitizer-ignorelist.txt"
echo "== configuring and building in $build"
mkdir -p "$build"
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_COMPILER=clang++ \
  -DCMAKE_CXX_FLAGS="$flags" -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=address,undefined" \
  -DRUNHOOKS_BUILD_FUZZERS=ON -DRUNHOOKS_BUILD_TESTS=OFF -DRUNHOOKS_BUILD_EXAMPLES=OFF \
  -DRUNHOOKS_BUILD_TOOLS=OFF -DRUNHOOKS_BUILD_BENCH=OFF -DRUNHOOKS_INSTALL=OFF >"$build/fuzz-configure.log" 2>&1 ||
  { cat "$build/fuzz-configure.log" >&2; echo "fuzz.sh: configure failed" >&2; exit 2; }
# shellcheck disable=SC2086  # one target per word
cmake --build "$build" -j "$jobs" --target $targets >"$build/fuzz-build.log" 2>&1 ||
  { tail -n 40 "$build/fuzz-build.log" >&2; echo "fuzz.sh: build failed (log: $build/fuzz-build.log)" >&2; exit 2; }

echo "== running each target for ${seconds}s; results in $runs"
found=0
for target in $targets; do
  dir=$runs/$target
  mkdir -p "$dir/corpus" "$dir/crashes"
  before=$(find "$dir/corpus" -type f | wc -l)
  crashes_before=$(find "$dir/crashes" -type f | wc -l)
  status=0
  "$build/tests/fuzz/$target" -max_total_time="$seconds" -max_len=4096 -timeout=30 \
    -dict="$root/tests/fuzz/runhooks.dict" -artifact_prefix="$dir/crashes/" -print_final_stats=1 \
    "$dir/corpus" "$root/tests/fuzz/corpus/$target" >"$dir/log" 2>&1 || status=$?
  executed=$(sed -n 's/^stat::number_of_executed_units: *//p' "$dir/log" | tail -n 1)
  added=$(( $(find "$dir/corpus" -type f | wc -l) - before ))
  new_crashes=$(( $(find "$dir/crashes" -type f | wc -l) - crashes_before ))
  if [ "$status" -eq 0 ]; then
    printf '%-18s ok     %s runs, %s new corpus entries\n' "$target" "${executed:-?}" "$added"
  else
    found=1
    what=$(grep -a -m 1 -E 'fuzz check failed|ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error' "$dir/log" || true)
    printf '%-18s FAILED %s runs, %s new input(s) in %s/crashes/: %s (log: %s/log)\n' \
      "$target" "${executed:-?}" "$new_crashes" "$dir" "${what:-exit status $status}" "$dir"
  fi
done
exit $found
