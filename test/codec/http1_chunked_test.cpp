// The strict chunked transfer-coding decoder: framing, limits, sizes and byte-at-a-time input.
#include <catch2/catch.hpp>

#include <string>

#include "rodeo/http1_chunked.hpp"

namespace {

using rodeo::http1::chunked_decoder;
using rodeo::http1::chunked_limits;
using result = chunked_decoder::result;

struct decoded {
  result r = result::more;
  size_t consumed = 0;
  std::string body;
  int status = 0;
};

// Feeds `input` whole, or one byte at a time when `bytewise`.
decoded decode(const std::string& input, bool bytewise = false, chunked_limits l = {}) {
  chunked_decoder d{l};
  decoded out;
  size_t step = bytewise ? 1 : input.size();
  for (size_t at = 0; at < input.size() && out.r == result::more; at += step) {
    auto [r, used] = d.decode(input.data() + at, std::min(step, input.size() - at), &out.body);
    out.r = r;
    out.consumed = at + used;
  }
  out.status = d.error_status();
  return out;
}

// prefix + n times c + suffix, appended (GCC 12 warns falsely on operator+ of a temporary).
std::string run(std::string prefix, size_t n, char c, const char* suffix) {
  prefix.append(n, c);
  return prefix.append(suffix);
}

}  // namespace

TEST_CASE("chunked: chunks, extensions and trailers decode to the body, whole or bytewise") {
  const std::string in =
      "3;a=1;b=\"x y\"\r\nabc\r\nA \t;c\r\n0123456789\r\n0\r\nT: v\r\nU:\r\n\r\nNEXT";
  for (bool bytewise : {false, true}) {
    auto d = decode(in, bytewise);
    CHECK(d.r == result::done);
    CHECK(d.body == "abc0123456789");
    CHECK(d.consumed == in.size() - 4);  // stops before the next message
  }
}

TEST_CASE("chunked: every line must end in exactly CRLF") {
  for (const char* in :
       {"5\r\nhelloXX0\r\n\r\n", "5\rXhello\r\n0\r\n\r\n", "5\nhello\r\n0\r\n\r\n",
        "5\r\nhello\r\n0\rX\r\n", "5\r\nhello\r\n0\r\n\rX", "5\r\nhello\r\n0\r\nA: b\rX\r\n",
        "5\r\nhello\r\n0\r\nA: b\n\r\n", "5\r\nhello\r\r\n0\r\n\r\n", "5;e\nhello\r\n0\r\n\r\n"}) {
    for (bool bytewise : {false, true}) {
      auto d = decode(in, bytewise);
      INFO(in);
      CHECK(d.r == result::error);
      CHECK(d.status == 400);
    }
  }
}

TEST_CASE("chunked: sizes are hex fitting 63 bits, junk and empty sizes are refused") {
  CHECK(decode("7fffffffffffffff\r\nab").r == result::more);
  CHECK(decode("8000000000000000\r\n").r == result::error);
  CHECK(decode("ffffffffffffffffff\r\n").r == result::error);
  CHECK(decode("000000000000000000000000000001\r\na\r\n0\r\n\r\n").body == "a");
  CHECK(decode("\r\n").r == result::error);
  CHECK(decode("-1\r\n").r == result::error);
  CHECK(decode("0x5\r\n").r == result::error);
  CHECK(decode("5 x\r\n").r == result::error);
}

TEST_CASE("chunked: extensions are bounded and may not hold control bytes") {
  chunked_limits l;
  l.max_chunk_extension_length = 10;
  CHECK(decode("1;123456789\r\na\r\n0\r\n\r\n", false, l).r == result::done);
  CHECK(decode("1;1234567890\r\na\r\n0\r\n\r\n", false, l).r == result::error);
  CHECK(decode(run("1", 11, ' ', "\r\na\r\n0\r\n\r\n"), false, l).r == result::error);
  CHECK(decode(std::string("1;a\0b\r\na\r\n0\r\n\r\n", 15)).r == result::error);
  CHECK(decode(run("1;", 200, 'x', "\r\n")).r == result::error);  // the default is 129
}

TEST_CASE("chunked: trailer names, values and count are checked, 400 or 431") {
  CHECK(decode("0\r\nA b: c\r\n\r\n").status == 400);
  CHECK(decode("0\r\n: c\r\n\r\n").status == 400);
  CHECK(decode("0\r\n folded\r\n\r\n").status == 400);
  CHECK(decode("0\r\nA: b\x01\r\n\r\n").status == 400);
  chunked_limits l;
  l.max_trailer_name_length = 3;
  l.max_trailer_value_length = 3;
  l.max_trailers = 2;
  CHECK(decode("0\r\nabc:def\r\nx: y\r\n\r\n", false, l).r == result::done);
  CHECK(decode("0\r\nabcd: e\r\n\r\n", false, l).status == 431);
  CHECK(decode("0\r\na: defg\r\n\r\n", false, l).status == 431);
  CHECK(decode("0\r\na: b\r\nc: d\r\ne: f\r\n\r\n", false, l).status == 431);
}

TEST_CASE("chunked: after the end or an error the decoder consumes nothing more") {
  chunked_decoder d;
  std::string body;
  std::string in = "0\r\n\r\n";
  CHECK(d.decode(in.data(), in.size(), &body).result == result::done);
  auto again = d.decode("1\r\n", 3, &body);
  CHECK(again.result == result::done);
  CHECK(again.consumed == 0);
  chunked_decoder bad;
  CHECK(bad.decode("z", 1, &body).result == result::error);
  CHECK(bad.decode("1", 1, &body).result == result::error);
}
