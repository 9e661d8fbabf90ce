#include "rodeo/malloc_policy.hpp"

#include <malloc.h>

#include <cstdlib>
#include <mutex>

namespace rodeo {

bool set_mmap_threshold(std::size_t bytes) {
  if (bytes == 0) return true;
  return mallopt(M_MMAP_THRESHOLD, static_cast<int>(bytes)) == 1;
}

void apply_malloc_policy() {
  static std::once_flag once;
  std::call_once(once, [] {
    std::size_t bytes = default_mmap_threshold;
    if (const char* env = std::getenv("RODEO_MMAP_THRESHOLD"))
      bytes = static_cast<std::size_t>(std::strtoull(env, nullptr, 10));
    set_mmap_threshold(bytes);
  });
}

}  // namespace rodeo
