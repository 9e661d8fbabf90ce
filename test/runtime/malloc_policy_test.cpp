// The node's allocator policy: blocks of 256 KiB and more stay in mmap, also after one of them
// was freed (glibc's adaptive threshold would then serve the next from an arena and keep it).
#include <malloc.h>

#include <cstdlib>

#include "rodeo/malloc_policy.hpp"
#include "runtime_test.hpp"

TEST_CASE("malloc policy: after a node starts, large blocks are mmapped again after a free") {
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
  WARN("skipped under a sanitizer: it replaces malloc");
  return;
#endif
  rodeo::node n;
  constexpr size_t size = 512 * 1024;
  for (int round = 0; round < 3; ++round) {
    const auto before = mallinfo2().hblkhd;
    void* p = std::malloc(size);
    REQUIRE(p != nullptr);
    CHECK(mallinfo2().hblkhd >= before + size);  // served by mmap
    std::free(p);
    CHECK(mallinfo2().hblkhd == before);  // and given back at once
  }
}

TEST_CASE("malloc policy: a zero threshold leaves glibc's policy alone") {
#if defined(__SANITIZE_ADDRESS__)
  WARN("skipped under AddressSanitizer: its mallopt is not glibc's");
  return;
#endif
  CHECK(rodeo::set_mmap_threshold(0));
  CHECK(rodeo::set_mmap_threshold(rodeo::default_mmap_threshold));
}
