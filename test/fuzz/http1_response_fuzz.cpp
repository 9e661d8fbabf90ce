// Round trip of the HTTP/1.1 response serializer: a response built from fuzzed headers, framing
// and body, read back by llhttp (response mode, strict) and, for chunked bodies, by the strict
// chunked decoder, gives the same status, the same non-framing headers in order, the framing
// headers the connection chose and the same body.
#include <llhttp.h>

#include <string>
#include <vector>

#include "fuzz.hpp"
#include "rodeo/ascii.hpp"
#include "rodeo/http1_chunked.hpp"
#include "rodeo/http1_response.hpp"
#include "rodeo/http_header.hpp"

namespace {

struct reader {
  std::vector<std::pair<std::string, std::string>> headers;
  std::string field, value, body;
  bool in_value = false, complete = false;
};

int on_field(llhttp_t* p, const char* at, size_t n) {
  auto& r = *static_cast<reader*>(p->data);
  if (r.in_value)
    r.headers.emplace_back(std::move(r.field), std::move(r.value)), r.field.clear(),
        r.value.clear();
  r.in_value = false;
  r.field.append(at, n);
  return 0;
}
int on_value(llhttp_t* p, const char* at, size_t n) {
  auto& r = *static_cast<reader*>(p->data);
  r.in_value = true;
  r.value.append(at, n);
  return 0;
}
int on_headers_complete(llhttp_t* p) {
  auto& r = *static_cast<reader*>(p->data);
  if (!r.field.empty() || r.in_value)
    r.headers.emplace_back(std::move(r.field), std::move(r.value));
  return 0;
}
int on_body(llhttp_t* p, const char* at, size_t n) {
  static_cast<reader*>(p->data)->body.append(at, n);
  return 0;
}
int on_complete(llhttp_t* p) {
  static_cast<reader*>(p->data)->complete = true;
  return HPE_PAUSED;
}

// A header value the serializer may be given: field-content without leading/trailing OWS.
std::string valid_value(std::string s) {
  std::string out;
  for (char c : s)
    if (c == '\t' || static_cast<unsigned char>(c) >= 0x20 && c != 0x7f) out += c;
  return std::string{rodeo::http_header::trim_ows(out)};
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace h1 = rodeo::http1;
  FuzzedDataProvider in{data, size};
  int status = in.ConsumeIntegralInRange(200, 599);
  rodeo::headers hs;
  int n = in.ConsumeIntegralInRange(0, 8);
  for (int i = 0; i < n; ++i) {
    auto name = rodeo::ascii::to_lower(in.ConsumeRandomLengthString(16));
    auto value = valid_value(in.ConsumeRandomLengthString(64));
    if (!rodeo::ascii::is_token(name)) name = "x-fuzz";
    hs.push_back(std::move(name), std::move(value));
  }
  h1::framing f;
  f.connection = static_cast<decltype(f.connection)>(in.ConsumeIntegralInRange(0, 2));
  bool chunked = in.ConsumeBool() && !h1::no_body_status(status);
  auto body = in.ConsumeRemainingBytesAsString();
  if (h1::no_body_status(status)) body.clear();
  if (chunked)
    f.chunked = true;
  else
    f.content_length = body.size();
  std::string wire = h1::response_head(status, hs, "Thu, 03 Dec 2026 10:00:00 GMT", f);
  size_t head_size = wire.size();
  if (chunked) {
    for (size_t at = 0; at < body.size(); at += 7) {
      auto part = std::string_view{body}.substr(at, 7);
      wire += h1::chunk_size_line(part.size());
      wire += part;
      wire += h1::chunk_end;
    }
    wire += h1::last_chunk;
  } else {
    wire += body;
  }

  llhttp_settings_t st;
  llhttp_settings_init(&st);
  st.on_header_field = on_field;
  st.on_header_value = on_value;
  st.on_headers_complete = on_headers_complete;
  st.on_body = on_body;
  st.on_message_complete = on_complete;
  llhttp_t p;
  llhttp_init(&p, HTTP_RESPONSE, &st);
  reader r;
  p.data = &r;
  auto err = llhttp_execute(&p, wire.data(), wire.size());
  FUZZ_CHECK(err == HPE_OK || err == HPE_PAUSED);
  FUZZ_CHECK(r.complete);
  FUZZ_CHECK(p.status_code == status);
  FUZZ_CHECK(r.body == body);
  // The handler's headers come back in order, without the framing ones; then the connection's.
  size_t k = 0;
  for (auto& [name, value] : hs) {
    if (h1::is_framing_header(name)) continue;
    while (k < r.headers.size() && rodeo::ascii::to_lower(r.headers[k].first) != name) ++k;
    FUZZ_CHECK(k < r.headers.size());
    FUZZ_CHECK(rodeo::http_header::trim_ows(r.headers[k].second) == value);
    ++k;
  }
  int lengths = 0, chunked_headers = 0;
  for (auto& [name, value] : r.headers) {
    auto lower = rodeo::ascii::to_lower(name);
    lengths += lower == "content-length";
    chunked_headers += lower == "transfer-encoding";
  }
  FUZZ_CHECK(lengths == (chunked ? 0 : 1));
  FUZZ_CHECK(chunked_headers == (chunked ? 1 : 0));
  if (chunked) {
    h1::chunked_decoder d;
    std::string decoded;
    auto [res, used] = d.decode(wire.data() + head_size, wire.size() - head_size, &decoded);
    FUZZ_CHECK(res == h1::chunked_decoder::result::done && decoded == body);
    FUZZ_CHECK(used == wire.size() - head_size);
  }
  return 0;
}
