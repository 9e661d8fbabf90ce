// Cookie headers, set-cookie values and filtering on arbitrary input.
#include <ctime>
#include <string>
#include <vector>

#include "fuzz.hpp"
#include "rodeo/cookie.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider in{data, size};
  auto name = in.ConsumeRandomLengthString(64);
  auto value = in.ConsumeRandomLengthString(256);
  rodeo::cookie::opts o;
  if (in.ConsumeBool()) o.max_age = in.ConsumeIntegral<std::int64_t>();
  if (in.ConsumeBool()) o.expires = in.ConsumeIntegral<std::time_t>();
  if (auto line = rodeo::cookie::setcookie(name, value, o))
    FUZZ_CHECK(line->find_first_of("\r\n") == std::string::npos);
  auto header = in.ConsumeRemainingBytesAsString();
  if (auto pairs = rodeo::cookie::parse(header))
    for (auto& [n, v] : *pairs) FUZZ_CHECK(n.size() + v.size() <= header.size());
  // filter_cookies keeps a subset of the pairs, and filtering again changes nothing.
  std::vector<std::string> names{name, value};
  auto kept = rodeo::cookie::filter(header, names);
  FUZZ_CHECK(kept.size() <= header.size());
  FUZZ_CHECK(rodeo::cookie::filter(kept, names) == kept);
  return 0;
}
