// multipart/form-data bodies fed in pieces, with small limits; the events must follow the
// grammar (part, data*, part_end)* done, and data views must lie within what was fed.
#include <string>

#include "fuzz.hpp"
#include "rodeo/multipart.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace mp = rodeo::multipart;
  FuzzedDataProvider in{data, size};
  auto boundary = in.ConsumeRandomLengthString(70);
  if (!mp::is_valid_boundary(boundary)) boundary = "b0undary";
  size_t piece = in.ConsumeIntegralInRange<size_t>(1, 64);
  auto body = in.ConsumeRemainingBytesAsString();
  mp::parser p{boundary, {.max_header_size = 256, .max_headers = 4}};
  bool in_part = false, done = false, failed = false;
  size_t at = 0;
  while (!done && !failed) {
    auto ev = p.next();
    switch (ev) {
      case mp::event::need_more:
        if (at >= body.size()) {
          p.finish();
        } else {
          p.feed(std::string_view{body}.substr(at, piece));
          at += piece;
        }
        break;
      case mp::event::part:
        FUZZ_CHECK(!in_part);
        in_part = true;
        FUZZ_CHECK(p.headers().size() <= 4);
        break;
      case mp::event::data:
        FUZZ_CHECK(in_part);
        FUZZ_CHECK(p.data().size() <= body.size());
        break;
      case mp::event::part_end:
        FUZZ_CHECK(in_part);
        in_part = false;
        break;
      case mp::event::done:
        FUZZ_CHECK(!in_part);
        done = true;
        break;
      case mp::event::error:
        FUZZ_CHECK(!p.error().empty());
        failed = true;
        break;
    }
  }
  (void)mp::boundary_of(boundary);
  return 0;
}
