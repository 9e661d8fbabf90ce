// Router matching of arbitrary hosts and paths against a fixed table, and compiling arbitrary
// patterns (accepted or refused with std::invalid_argument, never anything else).
#include <stdexcept>
#include <string>

#include "fuzz.hpp"
#include "rodeo/router.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider in{data, size};
  static const auto table = rodeo::compile(rodeo::routes<int>{
      {":sub.example.org", {{"/a/:x/[:y]", 1}, {"/static/[...]", 2}}},
      {"[...].example.com", {{"/users/:id", {{"id", {rodeo::constraint::int_()}}}, 3}}},
      {"_", {{"/", 4}, {"*", 5}, {"/:a/:a", 6}, {"/[...]", 7}}},
  });
  auto host = in.ConsumeRandomLengthString(64);
  auto path = in.ConsumeRandomLengthString(128);
  auto m = table.match(host, path);
  if (m) FUZZ_CHECK(m.handler && *m.handler >= 1 && *m.handler <= 7);
  auto host_pattern = in.ConsumeRandomLengthString(32);
  auto path_pattern = in.ConsumeRemainingBytesAsString();
  try {
    auto r = rodeo::compile(rodeo::routes<int>{{host_pattern, {{path_pattern, 1}}}});
    (void)r.match(host, path);
  } catch (const std::invalid_argument&) {
  }
  return 0;
}
