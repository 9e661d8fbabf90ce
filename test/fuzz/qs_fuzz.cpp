// Query strings: parse → build → parse is the identity; urlencode/urldecode round-trip.
#include <string>

#include "fuzz.hpp"
#include "rodeo/qs.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view v{reinterpret_cast<const char*>(data), size};
  if (auto vals = rodeo::qs::parse(v, 1000)) {
    auto again = rodeo::qs::parse(rodeo::qs::build(*vals), 1000);
    FUZZ_CHECK(again && *again == *vals);
  }
  FUZZ_CHECK(rodeo::qs::urldecode(rodeo::qs::urlencode(v)) == std::string{v});
  return 0;
}
