// Cookie headers and set-cookie values on arbitrary input.
#include <string>

#include "fuzz.hpp"
#include "rodeo/cookie.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider in{data, size};
  auto name = in.ConsumeRandomLengthString(64);
  auto value = in.ConsumeRandomLengthString(256);
  rodeo::cookie::opts o;
  (void)rodeo::cookie::setcookie(name, value, o);
  auto header = in.ConsumeRemainingBytesAsString();
  if (auto pairs = rodeo::cookie::parse(header))
    for (auto& [n, v] : *pairs) FUZZ_CHECK(n.size() + v.size() <= header.size());
  return 0;
}
