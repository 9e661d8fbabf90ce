// HTTP/1.1 requests through the parser glue the server uses (heads, content-length and chunked
// bodies, pipelining). Differential: the same bytes fed in pieces give the same requests, and
// every accepted request, re-serialized strictly, parses back to the same request.
#include <algorithm>
#include <string>
#include <vector>

#include "fuzz.hpp"
#include "rodeo/ascii.hpp"
#include "rodeo/http1_parser.hpp"
#include "rodeo/http_header.hpp"

namespace {

using rodeo::http1::event;

struct outcome {
  std::vector<rodeo::http1::request_head> heads;
  std::vector<std::string> bodies;
  int error = 0;
};

// Small limits, so the fuzzer reaches them; `roomy` for re-parsing (combined headers are longer).
outcome parse(std::string_view in, size_t piece, bool roomy = false) {
  rodeo::http1::limits l;
  l.max_request_line_length = roomy ? 1 << 20 : 1000;
  l.max_header_value_length = roomy ? 1 << 20 : 500;
  l.max_headers = 20;
  rodeo::http1::parser p{l};
  outcome out;
  std::string body;
  for (size_t at = 0; at < in.size() || at == 0; at += piece) {
    const char* data = in.data() + at;
    size_t left = std::min(piece, in.size() - at);
    for (;;) {
      auto [ev, used] = p.execute(data, left, &body);
      FUZZ_CHECK(used <= left);
      data += used;
      left -= used;
      if (ev == event::head) {
        out.heads.push_back(p.take_head());
      } else if (ev == event::message_end) {
        out.bodies.push_back(std::move(body));
        body.clear();
      } else if (ev == event::error) {
        out.error = p.error_status();
        return out;
      } else {
        FUZZ_CHECK(left == 0);
        break;
      }
    }
    if (in.empty()) break;
  }
  return out;
}

bool same_head(const rodeo::http1::request_head& a, const rodeo::http1::request_head& b) {
  auto& x = a.req;
  auto& y = b.req;
  if (x.method != y.method || x.path != y.path || x.qs != y.qs || x.version != y.version ||
      x.host != y.host || x.port != y.port || x.has_body != y.has_body || a.chunked != b.chunked ||
      a.keep_alive != b.keep_alive)
    return false;
  return std::equal(x.headers.begin(), x.headers.end(), y.headers.begin(), y.headers.end());
}

// Origin-form request line, the parsed (lowercased, combined) headers, the body in the framing
// the head announced.
std::string serialize(const rodeo::http1::request_head& h, const std::string& body) {
  std::string out = h.req.method + " " + h.req.path;
  if (!h.req.qs.empty()) out += "?" + h.req.qs;
  out += " " + h.req.version + "\r\n";
  for (auto& [name, value] : h.req.headers) out += name + ": " + value + "\r\n";
  out += "\r\n";
  if (h.chunked) {
    if (!body.empty()) {
      char size[32];
      std::snprintf(size, sizeof size, "%zx\r\n", body.size());
      out += size + body + "\r\n";
    }
    out += "0\r\n\r\n";
  } else {
    out += body;
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  size_t piece = 1 + data[0] % 64;
  std::string_view in{reinterpret_cast<const char*>(data) + 1, size - 1};
  auto whole = parse(in, in.size() ? in.size() : 1);
  auto split = parse(in, piece);
  // Both fail or neither. Which check fires first may depend on where a piece ends (llhttp
  // reports a span at a buffer's end, so a too-long name is 431 before its bad byte is 400).
  FUZZ_CHECK((whole.error == 0) == (split.error == 0));
  FUZZ_CHECK(whole.heads.size() == split.heads.size());
  FUZZ_CHECK(whole.bodies == split.bodies);
  for (size_t i = 0; i < whole.heads.size(); ++i)
    FUZZ_CHECK(same_head(whole.heads[i], split.heads[i]));
  for (size_t i = 0; i < whole.bodies.size(); ++i) {
    auto& h = whole.heads[i];
    if (!h.req.path.starts_with("/")) continue;  // asterisk / absolute / authority forms
    auto again = parse(serialize(h, whole.bodies[i]), 1 << 20, true);
    FUZZ_CHECK(again.error == 0);
    FUZZ_CHECK(again.heads.size() == 1 && again.bodies.size() == 1);
    FUZZ_CHECK(again.bodies[0] == whole.bodies[i]);
    // An absolute-form target's authority overrides the host header: the origin form cannot say it.
    auto* host = h.req.headers.find("host");
    auto parsed = host ? rodeo::http_header::parse_host(*host) : std::nullopt;
    if (parsed && rodeo::ascii::to_lower(parsed->name) == h.req.host)
      FUZZ_CHECK(same_head(h, again.heads[0]));
  }
  return 0;
}
