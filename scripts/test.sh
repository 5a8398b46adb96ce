#!/usr/bin/env bash
# The README's second command (and what CI runs): install what is missing,
# then build and run the whole test suite three times: with g++ and warnings
# as errors (the package tests included), with clang under AddressSanitizer
# and UndefinedBehaviorSanitizer, and with clang under ThreadSanitizer.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh

cmake --preset ci
cmake --build --preset ci
ctest --preset ci

cmake --preset asan-ubsan
cmake --build --preset asan-ubsan
ctest --preset asan-ubsan

cmake --preset tsan
cmake --build --preset tsan
ctest --preset tsan
