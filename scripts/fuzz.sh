#!/usr/bin/env bash
# scripts/fuzz.sh [target|all] [seconds]: builds the libFuzzer targets (test/fuzz, clang with
# ASan + UBSan) in build/fuzz and runs one target, or each in turn, for `seconds` (default 30).
# The seeds in test/fuzz/corpus/<target> are read, never written: new inputs go to
# build/fuzz/corpus/<target>. A finding stops with the crashing input in build/fuzz/findings/.
set -euo pipefail
cd "$(dirname "$0")/.."
target=${1:-all}
seconds=${2:-30}
dir=build/fuzz
scripts/deps.sh --fuzz
if [ ! -f "$dir/build.ninja" ]; then
  CC=clang CXX=clang++ cmake -S test/fuzz -B "$dir" -G Ninja
fi
if [ "$target" = all ]; then
  cmake --build "$dir" -j "${RODEO_JOBS:-2}"
  targets=$(ls test/fuzz/*_fuzz.cpp | xargs -n1 basename | sed 's/_fuzz.cpp$//')
else
  cmake --build "$dir" -j "${RODEO_JOBS:-2}" --target "fuzz-$target"
  targets=$target
fi
mkdir -p "$dir/findings"
# One target per core at a time (RODEO_JOBS): CI's 30 s per target then costs half the wall time.
run_one() {
  local t=$1 status=0
  mkdir -p "$dir/corpus/$t" "test/fuzz/corpus/$t"
  "$dir/fuzz-$t" "$dir/corpus/$t" "test/fuzz/corpus/$t" -max_total_time="$seconds" \
    -timeout=10 -rss_limit_mb=1024 -max_len=65536 -print_final_stats=1 \
    -artifact_prefix="$dir/findings/$t-" >"$dir/fuzz-$t.log" 2>&1 || status=$?
  {
    echo "== fuzz-$t for ${seconds}s"
    grep -E "^#[0-9]+.*(INITED|DONE)|^stat::(number_of_executed_units|average_exec_per_sec)" \
      "$dir/fuzz-$t.log" || true
  }
  if [ "$status" -ne 0 ]; then
    grep -E "ERROR|SUMMARY|check failed|Test unit written" "$dir/fuzz-$t.log" >&2 || true
    echo "fuzz-$t: finding (log: $dir/fuzz-$t.log)" >&2
    return 1
  fi
}
jobs=${RODEO_JOBS:-2}
failed=0
for t in $targets; do
  while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do wait -n || failed=1; done
  run_one "$t" &
done
while [ "$(jobs -rp | wc -l)" -gt 0 ]; do wait -n || failed=1; done
exit "$failed"
