// HTTP dates: anything parsed formats back to a date that parses to the same time, and every
// formatted time in range parses back.
#include <cstring>
#include <string>

#include "fuzz.hpp"
#include "rodeo/http_date.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view v{reinterpret_cast<const char*>(data), size};
  if (auto t = rodeo::http_date::parse(v); t && *t >= 0 && *t < 253402300800)  // before year 10000
    FUZZ_CHECK(rodeo::http_date::parse(rodeo::http_date::format(*t)) == t);
  if (size >= 8) {
    int64_t x;
    std::memcpy(&x, data, 8);
    std::time_t t = static_cast<std::time_t>((x % 253402300800 + 253402300800) % 253402300800);
    FUZZ_CHECK(rodeo::http_date::parse(rodeo::http_date::format(t)) == t);
    (void)rodeo::http_date::format_rfc2109(t);
  }
  return 0;
}
