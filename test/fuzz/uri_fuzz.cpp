// Request targets, authorities and paths; percent-encoding round-trips.
#include <string>

#include "fuzz.hpp"
#include "rodeo/uri.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace u = rodeo::uri;
  std::string_view v{reinterpret_cast<const char*>(data), size};
  FUZZ_CHECK(u::percent_decode(u::percent_encode(v)) == std::string{v});
  if (auto d = u::percent_decode(v)) FUZZ_CHECK(u::percent_decode(u::percent_encode(*d)) == d);
  for (auto method : {"GET", "OPTIONS", "CONNECT"})
    if (auto t = u::parse_request_target(method, v)) FUZZ_CHECK(t->path.size() <= v.size());
  (void)u::parse_authority(v);
  (void)u::parse_authority(v, true);
  if (auto segments = u::split_path(v)) {
    auto copy = *segments;
    u::remove_dot_segments(copy);
    FUZZ_CHECK(copy.size() <= segments->size());
  }
  return 0;
}
