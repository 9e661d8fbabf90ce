#!/usr/bin/env bash
# The demo command: installs what is missing, builds rodeo-demo (Release) and runs it. Arguments are
# passed to the server, e.g. scripts/demo.sh --port 9000.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
scripts/build.sh release rodeo-demo
exec build/release/apps/rodeo-demo "$@"
