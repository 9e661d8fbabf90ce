// The strict chunked decoder: whole and piecewise input agree; a decoded body re-encoded as
// chunks decodes to itself.
#include <string>

#include "fuzz.hpp"
#include "rodeo/http1_chunked.hpp"

namespace {

using rodeo::http1::chunked_decoder;

struct outcome {
  chunked_decoder::result r = chunked_decoder::result::more;
  size_t consumed = 0;
  std::string body;
};

outcome decode(std::string_view in, size_t piece) {
  chunked_decoder d{{.max_chunk_extension_length = 16,
                     .max_trailer_name_length = 8,
                     .max_trailer_value_length = 16,
                     .max_trailers = 4}};
  outcome out;
  for (size_t at = 0; at < in.size(); at += piece) {
    size_t n = std::min(piece, in.size() - at);
    auto [r, used] = d.decode(in.data() + at, n, &out.body);
    FUZZ_CHECK(used <= n);
    out.r = r;
    out.consumed = at + used;
    if (r != chunked_decoder::result::more) break;
    FUZZ_CHECK(used == n);
  }
  FUZZ_CHECK(d.body_length() == out.body.size());
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  size_t piece = 1 + data[0] % 16;
  std::string_view in{reinterpret_cast<const char*>(data) + 1, size - 1};
  auto whole = decode(in, in.size() ? in.size() : 1);
  auto split = decode(in, piece);
  FUZZ_CHECK(whole.r == split.r);
  FUZZ_CHECK(whole.body == split.body);
  if (whole.r == chunked_decoder::result::done) {
    FUZZ_CHECK(whole.consumed == split.consumed);
    char head[32];
    std::snprintf(head, sizeof head, "%zx\r\n", whole.body.size());
    std::string again = whole.body.empty() ? "0\r\n\r\n" : head + whole.body + "\r\n0\r\n\r\n";
    auto back = decode(again, again.size());
    FUZZ_CHECK(back.r == chunked_decoder::result::done && back.body == whole.body);
  }
  return 0;
}
