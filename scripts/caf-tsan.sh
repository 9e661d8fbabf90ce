#!/usr/bin/env bash
# scripts/caf-tsan.sh: builds CAF 0.17.6 with ThreadSanitizer into build/caf-tsan, from Debian's source
# package (the same upstream tarball libcaf-dev is built from). TSan sees the atomics of code it
# instrumented only: with Debian's libcaf every message hand-off through a mailbox is a false race
# (531 reports in the runtime suite alone), so `scripts/test.sh --tsan` links this build instead.
set -euo pipefail
cd "$(dirname "$0")/.."
prefix=$PWD/build/caf-tsan
[ -f "$prefix/.done" ] && exit 0
src=build/caf-src
mkdir -p "$src"
if [ ! -f "$src/actor-framework-0.17.6/CMakeLists.txt" ]; then
  # A temporary deb-src list: the machine's sources list may have none.
  list=$(mktemp)
  printf 'deb-src http://deb.debian.org/debian bookworm main\n' >"$list"
  apt-get update -qq -o Dir::Etc::sourcelist="$list" -o Dir::Etc::sourceparts=- \
    -o APT::Get::List-Cleanup=0
  # Only the upstream tarball is needed: the one GCC 12 error in it (a missing <limits>) is met by
  # `-include limits` below.
  (cd "$src" && apt-get source --download-only -qq -o Dir::Etc::sourcelist="$list" \
    -o Dir::Etc::sourceparts=- actor-framework=0.17.6-2.1 || true)
  rm -f "$list"
  tar -xzf "$src/actor-framework_0.17.6.orig.tar.gz" -C "$src"
fi
cmake -S "$src/actor-framework-0.17.6" -B "$src/build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_FLAGS="-fsanitize=thread -include limits" -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=thread" \
  -DCMAKE_SHARED_LINKER_FLAGS="-fsanitize=thread" -DCMAKE_INSTALL_PREFIX="$prefix" \
  -DCAF_NO_EXAMPLES=yes -DCAF_NO_UNIT_TESTS=yes -DCAF_NO_OPENCL=yes -DCAF_NO_TOOLS=yes \
  -DCAF_NO_PYTHON=yes -DCAF_NO_OPENSSL=yes -DCAF_NO_SUMMARY=yes
cmake --build "$src/build" -j "${RODEO_JOBS:-2}"
cmake --install "$src/build"
touch "$prefix/.done"
