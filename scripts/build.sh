#!/usr/bin/env bash
# scripts/build.sh [release|asan|tsan] [targets...]: configures once (Ninja) and builds incrementally.
set -euo pipefail
cd "$(dirname "$0")/.."
kind=${1:-release}
shift || true
case "$kind" in
  release) dir=build/release; flags=(-DCMAKE_BUILD_TYPE=Release) ;;
  asan) dir=build/asan; flags=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DRODEO_SANITIZE=ON -DRODEO_BUILD_BENCH=OFF) ;;
  tsan)
    # Against CAF built with TSan (scripts/caf-tsan.sh): Debian's libcaf is not instrumented.
    scripts/caf-tsan.sh
    dir=build/tsan
    flags=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DRODEO_TSAN=ON -DRODEO_BUILD_BENCH=OFF
      -DCMAKE_PREFIX_PATH="$PWD/build/caf-tsan")
    ;;
  *) echo "usage: scripts/build.sh [release|asan|tsan] [targets...]" >&2; exit 2 ;;
esac
jobs=${RODEO_JOBS:-2}
if [ ! -f "$dir/build.ninja" ]; then
  cmake -S . -B "$dir" -G Ninja "${flags[@]}"
fi
if [ $# -gt 0 ]; then
  cmake --build "$dir" -j "$jobs" --target "$@"
else
  cmake --build "$dir" -j "$jobs"
fi
