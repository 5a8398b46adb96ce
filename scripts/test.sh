#!/usr/bin/env bash
# The README's second command (and what CI runs): install what is missing,
# then build and run the whole test suite twice: with g++ and warnings as
# errors (the package tests included), and with clang under AddressSanitizer
# and UndefinedBehaviorSanitizer.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh

cmake --preset ci
cmake --build --preset ci
ctest --preset ci

cmake --preset asan-ubsan
cmake --build --preset asan-ubsan
ctest --preset asan-ubsan
