#!/usr/bin/env bash
# The README's first command: install what is missing, build, run the main
# example end to end.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
cmake --preset dev
cmake --build --preset dev
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
./build/dev/examples/quickstart "$work/demo.db"
