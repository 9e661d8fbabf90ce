#!/usr/bin/env bash
# The test command: installs what is missing, builds, runs every test suite under CTest.
#   scripts/test.sh              Release build, all suites
#   scripts/test.sh --sanitize   ASan+UBSan build; runs the codec, runtime, supervision, net and
#                                websocket suites, or the suites named after it: --sanitize net
#                                (RODEO_SANITIZE_EXCLUDE=<regex> skips the CTest tests it matches)
#   scripts/test.sh --tsan       ThreadSanitizer build (build/tsan) against CAF built with TSan
#                                (scripts/caf-tsan.sh, ~10 min once); runs the runtime, supervision
#                                and net suites, or the suites named after it
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
run_sanitized() {
  local kind=$1 dir=$2
  shift 2
  local labels=("$@")
  scripts/build.sh "$kind" $(printf 'test-%s ' "${labels[@]}")
  local regex
  regex=$(IFS='|'; echo "^(${labels[*]})(-.*)?\$")  # websocket-node, websocket-chromium too
  cd "$dir" && ctest --output-on-failure -j2 -L "$regex" ${RODEO_SANITIZE_EXCLUDE:+-E "$RODEO_SANITIZE_EXCLUDE"}
}
case "${1:-}" in
  --sanitize)
    shift
    [ $# -gt 0 ] || set -- codec runtime supervision net websocket
    export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
    export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
    run_sanitized asan build/asan "$@"
    ;;
  --tsan)
    shift
    [ $# -gt 0 ] || set -- runtime supervision net
    export TSAN_OPTIONS=${TSAN_OPTIONS:-suppressions=$PWD/scripts/tsan.supp:halt_on_error=1:second_deadlock_stack=1}
    run_sanitized tsan build/tsan "$@"
    ;;
  *)
    scripts/build.sh release
    cd build/release && ctest --output-on-failure -j2 "$@"
    ;;
esac
