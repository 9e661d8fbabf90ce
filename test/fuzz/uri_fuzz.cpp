// Request targets, authorities and paths; percent-encoding and compose round-trips.
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
  // compose (req.uri's recomposition) of an absolute-form target parses back to the same parts.
  if (auto t = u::parse_request_target("GET", v);
      t && t->form == u::target_form::absolute && !t->host.empty()) {
    auto composed = u::compose({.scheme = t->scheme,
                                .host = t->host,
                                .port = t->port,
                                .path = t->path,
                                .qs = t->query,
                                .request_scheme = t->scheme});
    auto back = u::parse_request_target("GET", composed);
    FUZZ_CHECK(back);
    FUZZ_CHECK(back->host == t->host && back->path == t->path && back->query == t->query);
  }
  (void)u::parse_authority(v);
  (void)u::parse_authority(v, true);
  if (auto segments = u::split_path(v)) {
    auto copy = *segments;
    u::remove_dot_segments(copy);
    FUZZ_CHECK(copy.size() <= segments->size());
  }
  return 0;
}
