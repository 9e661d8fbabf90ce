#!/usr/bin/env bash
# Installs the Debian packages Rodeo needs to build, test and run, when any is missing. Idempotent
# and fast when everything is present. Needs root or sudo.
set -euo pipefail
packages=(build-essential cmake ninja-build pkg-config libcaf-dev node-llhttp libssl-dev zlib1g-dev
  libnghttp2-dev nlohmann-json3-dev catch2 curl python3 python3-websockets python3-h2 python3-prometheus-client
  nghttp2-client
  openssl nodejs chromium)
if [ "${1:-}" = "--bench" ]; then
  packages+=(wrk valgrind gnuplot-nox procps h2o nginx-light)
fi
if [ "${1:-}" = "--fuzz" ]; then
  packages+=(clang libclang-rt-14-dev)
fi
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# Debian's npm, unless a nodejs that bundles npm (NodeSource's) is installed.
command -v npm >/dev/null || missing+=(npm)
if [ ${#missing[@]} -gt 0 ]; then
  echo "Installing missing Debian packages: ${missing[*]}"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
# Node's ws for the WebSocket client tests, at the version pinned in package-lock.json.
node_dir="$(dirname "$0")/../test/websocket/node"
if [ ! -f "$node_dir/node_modules/ws/package.json" ]; then
  echo "Installing node's ws into test/websocket/node"
  (cd "$node_dir" && npm ci --no-audit --no-fund --loglevel=error)
fi
