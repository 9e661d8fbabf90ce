#!/usr/bin/env bash
# The test command: installs what is missing, builds, runs every test suite under CTest.
#   scripts/test.sh              Release build, all suites
#   scripts/test.sh --sanitize   ASan+UBSan build; runs the codec, runtime and supervision suites
#                                (the pure codecs and the actor core), or the ones named: --sanitize net
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
if [ "${1:-}" = "--sanitize" ]; then
  shift
  labels=("$@")
  [ ${#labels[@]} -gt 0 ] || labels=(codec runtime supervision)
  scripts/build.sh asan $(printf 'test-%s ' "${labels[@]}")
  regex=$(IFS='|'; echo "^(${labels[*]})\$")
  export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
  export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
  cd build/asan && ctest --output-on-failure -j2 -L "$regex"
else
  scripts/build.sh release
  cd build/release && ctest --output-on-failure -j2 "$@"
fi
