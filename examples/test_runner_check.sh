#!/bin/sh
# ctest's check of examples/test_runner: a hook at a receiver that is not
# listening (a closed port), so the run's events are stored, attempted and
# left for a later worker, which is what a runner exiting early sees.
set -eu
runner=$1 cli=$2 dir=$3
rm -rf "$dir" && mkdir -p "$dir"
store="sqlite:$dir/runhooks.db"
"$cli" --store "$store" hooks create --project proj_demo --url http://127.0.0.1:9/hook >/dev/null
RUNHOOKS_ALLOW_NETWORK=127.0.0.0/8 "$runner" "$store" proj_demo timeout
"$cli" --store "$store" deliveries --project proj_demo --json
