#!/usr/bin/env bash
# Installs the Debian packages runhooks needs to build, test and benchmark,
# skipping those already installed. Needs root (or sudo) on Debian 12.
set -euo pipefail

packages=(
  g++ clang cmake make pkg-config
  libcurl4-openssl-dev libsqlite3-dev libssl-dev rapidjson-dev
  catch2 libbenchmark-dev libcpp-httplib-dev
  libboost-dev                    # Boost.Beast and Boost.Asio (headers) for runhooks serve
  libcli11-dev                    # CLI11 (header only): the runhooks tool's option parsing
  libmicrohttpd-dev               # bench/: the server runhooks serve was measured against
  libpq-dev postgresql            # the PostgreSQL backend and the private server its tests start
  nginx-light wrk python3 curl   # receivers and load for bench/ (smoke-tested)
  python3-prometheus-client       # the test that reads GET /metrics as Prometheus would
  openssl                         # certificates made at test time (HTTPS serve and deliveries)
  chromium chromium-driver python3-selenium  # the web console's browser test (tests/console/)
)
command -v node >/dev/null && command -v npm >/dev/null || packages+=(nodejs npm)

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$p")
done
if [[ ${#missing[@]} -gt 0 ]]; then
  sudo=""
  [[ $(id -u) -eq 0 ]] || sudo="sudo"
  echo "installing: ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# The OpenAPI validator the tests use, from the npm registry (pinned by its lock file).
here=$(cd "$(dirname "$0")/.." && pwd)
if [[ ! -d "$here/tests/openapi/node_modules/@apidevtools/swagger-parser" ]]; then
  (cd "$here/tests/openapi" && npm ci --no-audit --no-fund --loglevel=error)
fi

