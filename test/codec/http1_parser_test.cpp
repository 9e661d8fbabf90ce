// The pure HTTP/1.1 request parser: heads, bodies, pipelining, limits and the statuses of errors.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "rodeo/http1_parser.hpp"

namespace {

using rodeo::http1::event;

struct parsed {
  std::vector<rodeo::http1::request_head> heads;
  std::vector<std::string> bodies;
  int ends = 0;
  int error = 0;
  std::string reason;
};

// Feeds `input` in pieces of `chunk` bytes, collecting heads and bodies.
parsed parse(const std::string& input, rodeo::http1::limits l = {}, size_t chunk = 0) {
  rodeo::http1::parser p{l};
  parsed out;
  std::string body;
  size_t at = 0;
  if (chunk == 0) chunk = input.size();
  while (at <= input.size()) {
    size_t len = std::min(chunk, input.size() - at);
    const char* data = input.data() + at;
    size_t left = len;
    for (;;) {
      auto [ev, used] = p.execute(data, left, &body);
      data += used;
      left -= used;
      if (ev == event::head) {
        out.heads.push_back(p.take_head());
      } else if (ev == event::message_end) {
        out.bodies.push_back(body);
        body.clear();
        ++out.ends;
      } else if (ev == event::error) {
        out.error = p.error_status();
        out.reason = p.error_reason();
        return out;
      } else {
        break;
      }
    }
    at += len;
    if (len == 0) break;
  }
  return out;
}

int status_of(const std::string& input, rodeo::http1::limits l = {}) {
  return parse(input, l).error;
}

// prefix + n times c + suffix, built by appending.
std::string with_run(std::string prefix, size_t n, char c, const char* suffix) {
  prefix.append(n, c);
  prefix.append(suffix);
  return prefix;
}

}  // namespace

TEST_CASE("http1 parser: a simple GET gives its method, path, query, host and headers") {
  auto r = parse("GET /a/b?x=1&y HTTP/1.1\r\nHost: Example.ORG:8080\r\nX-Thing:  v  \r\n\r\n");
  REQUIRE(r.error == 0);
  REQUIRE(r.heads.size() == 1);
  auto& h = r.heads[0];
  CHECK(h.req.method == "GET");
  CHECK(h.req.path == "/a/b");
  CHECK(h.req.qs == "x=1&y");
  CHECK(h.req.host == "example.org");
  CHECK(h.req.port == 8080);
  CHECK(h.req.version == "HTTP/1.1");
  CHECK(*h.req.headers.find("x-thing") == "v");
  CHECK(h.keep_alive);
  CHECK_FALSE(h.req.has_body);
  CHECK(r.ends == 1);
}

TEST_CASE("http1 parser: a request split into single bytes parses the same") {
  auto r = parse("POST /p HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello", {}, 1);
  REQUIRE(r.error == 0);
  REQUIRE(r.heads.size() == 1);
  CHECK(r.bodies.at(0) == "hello");
  CHECK(r.heads[0].req.body_length == 5u);
}

TEST_CASE("http1 parser: pipelined requests come out one at a time, in order") {
  auto r = parse("GET /1 HTTP/1.1\r\nHost: h\r\n\r\nGET /2 HTTP/1.1\r\nHost: h\r\n\r\n");
  REQUIRE(r.heads.size() == 2);
  CHECK(r.heads[0].req.path == "/1");
  CHECK(r.heads[1].req.path == "/2");
  CHECK(r.ends == 2);
}

TEST_CASE("http1 parser: chunked bodies are decoded and trailers dropped") {
  auto r = parse(
      "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
      "3;ext=1\r\nabc\r\n2\r\nde\r\n0\r\nX-Trailer: t\r\n\r\n");
  REQUIRE(r.error == 0);
  CHECK(r.heads.at(0).chunked);
  CHECK(r.bodies.at(0) == "abcde");
  CHECK_FALSE(r.heads[0].req.headers.contains("x-trailer"));
}

TEST_CASE("http1 parser: repeated headers are combined, cookies with semicolons") {
  auto r = parse(
      "GET / HTTP/1.1\r\nHost: h\r\nAccept: a\r\nAccept: b\r\nCookie: x=1\r\nCookie: y=2\r\n\r\n");
  REQUIRE(r.heads.size() == 1);
  CHECK(*r.heads[0].req.headers.find("accept") == "a, b");
  CHECK(*r.heads[0].req.headers.find("cookie") == "x=1; y=2");
}

TEST_CASE("http1 parser: an empty repeated header adds no empty list element (fuzz finding)") {
  auto r = parse("GET / HTTP/1.1\r\nHost: h\r\nCookie: a=b\r\nCookie: \r\nX:\r\nX: 1\r\n\r\n");
  REQUIRE(r.heads.size() == 1);
  CHECK(*r.heads[0].req.headers.find("cookie") == "a=b");
  CHECK(*r.heads[0].req.headers.find("x") == "1");
}

TEST_CASE("http1 parser: HTTP/1.0 needs no host and is not kept alive unless asked") {
  auto a = parse("GET / HTTP/1.0\r\n\r\n");
  REQUIRE(a.heads.size() == 1);
  CHECK_FALSE(a.heads[0].keep_alive);
  auto b = parse("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
  REQUIRE(b.heads.size() == 1);
  CHECK(b.heads[0].keep_alive);
}

TEST_CASE("http1 parser: expect 100-continue, te trailers and upgrade are reported") {
  auto r = parse(
      "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\nExpect: 100-continue\r\nTE: trailers\r\n"
      "Connection: upgrade\r\nUpgrade: websocket\r\n\r\nx");
  REQUIRE(r.heads.size() == 1);
  CHECK(r.heads[0].expect_continue);
  CHECK(r.heads[0].te_trailers);
  CHECK(r.heads[0].upgrade);
}

TEST_CASE("http1 parser: absolute-form targets take the host from the target") {
  auto r = parse("GET http://other.example:81/x?q HTTP/1.1\r\nHost: h\r\n\r\n");
  REQUIRE(r.heads.size() == 1);
  CHECK(r.heads[0].req.host == "other.example");
  CHECK(r.heads[0].req.port == 81);
  CHECK(r.heads[0].req.path == "/x");
  CHECK(r.heads[0].req.qs == "q");
}

TEST_CASE("http1 parser: an unknown method is 501, a malformed one 400") {
  CHECK(status_of("BREW / HTTP/1.1\r\nHost: h\r\n\r\n") == 501);
  CHECK(status_of("G{T / HTTP/1.1\r\nHost: h\r\n\r\n") == 400);
}

TEST_CASE("http1 parser: a method longer than max_method_length is 501") {
  rodeo::http1::limits l;
  l.max_method_length = 4;
  CHECK(status_of("DELETE / HTTP/1.1\r\nHost: h\r\n\r\n", l) == 501);
  CHECK(status_of("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n", l) == 0);
}

TEST_CASE("http1 parser: a request line longer than max_request_line_length is 414") {
  CHECK(status_of(with_run("GET /", 8000, 'a', " HTTP/1.1\r\nHost: h\r\n\r\n")) == 414);
  CHECK(status_of(with_run("GET /", 7900, 'a', " HTTP/1.1\r\nHost: h\r\n\r\n")) == 0);
}

TEST_CASE("http1 parser: header name, value and count limits are 431") {
  CHECK(status_of(with_run("GET / HTTP/1.1\r\nHost: h\r\n", 65, 'n', ": v\r\n\r\n")) == 431);
  CHECK(status_of(with_run("GET / HTTP/1.1\r\nHost: h\r\nx: ", 4097, 'v', "\r\n\r\n")) == 431);
  std::string many = "GET / HTTP/1.1\r\nHost: h\r\n";
  for (int i = 0; i < 100; ++i) many.append("x").append(std::to_string(i)).append(": v\r\n");
  CHECK(status_of(many + "\r\n") == 431);
}

TEST_CASE("http1 parser: HTTP versions other than 1.0 and 1.1 are 505, garbage 400") {
  CHECK(status_of("GET / HTTP/2.0\r\nHost: h\r\n\r\n") == 505);
  CHECK(status_of("GET / HTTP/1.2\r\nHost: h\r\n\r\n") == 505);
  CHECK(status_of("GET / HTTP/0.9\r\nHost: h\r\n\r\n") == 505);
  CHECK(status_of("GET / HTTX/1.1\r\nHost: h\r\n\r\n") == 400);
  CHECK(status_of("GET / HTTP/1.x\r\nHost: h\r\n\r\n") == 400);
  CHECK(status_of("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n") == 505);
}

TEST_CASE("http1 parser: CONNECT and TRACE are 501") {
  CHECK(status_of("CONNECT h:443 HTTP/1.1\r\nHost: h:443\r\n\r\n") == 501);
  CHECK(status_of("TRACE / HTTP/1.1\r\nHost: h\r\n\r\n") == 501);
}

TEST_CASE("http1 parser: host missing, repeated or invalid is 400") {
  CHECK(status_of("GET / HTTP/1.1\r\n\r\n") == 400);
  CHECK(status_of("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n") == 400);
  CHECK(status_of("GET / HTTP/1.1\r\nHost: a b\r\n\r\n") == 400);
}

TEST_CASE("http1 parser: transfer-codings other than chunked are 501") {
  CHECK(status_of(
            "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n") ==
        501);
  CHECK(status_of("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip\r\n\r\n") == 501);
  CHECK(status_of("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n") == 400);
}

TEST_CASE("http1 parser: request smuggling patterns are 400") {
  // content-length with transfer-encoding, either order
  CHECK(status_of("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nTransfer-Encoding: "
                  "chunked\r\n\r\n0\r\n\r\n") == 400);
  CHECK(status_of("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nContent-Length: "
                  "3\r\n\r\n0\r\n\r\n") == 400);
  // duplicate, differing and list-valued content-length
  CHECK(status_of(
            "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabc") ==
        400);
  CHECK(status_of(
            "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd") ==
        400);
  CHECK(status_of("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3, 3\r\n\r\nabc") == 400);
  CHECK(status_of("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: +3\r\n\r\nabc") == 400);
  // bare LF and bare CR line endings
  CHECK(status_of("GET / HTTP/1.1\nHost: h\r\n\r\n") == 400);
  CHECK(status_of("GET / HTTP/1.1\r\nHost: h\n\r\n") == 400);
  CHECK(status_of("GET / HTTP/1.1\r\nHost: h\rX: y\r\n\r\n") == 400);
  // obs-fold
  CHECK(status_of("GET / HTTP/1.1\r\nHost: h\r\nX: a\r\n b\r\n\r\n") == 400);
  // whitespace before the colon, empty names
  CHECK(status_of("GET / HTTP/1.1\r\nHost : h\r\n\r\n") == 400);
  CHECK(status_of("GET / HTTP/1.1\r\nHost: h\r\n: v\r\n\r\n") == 400);
  // bad chunk sizes
  CHECK(status_of("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n") == 400);
}

TEST_CASE("http1 parser: chunked framing is strict in every line, trailers included") {
  const std::string head = "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n";
  CHECK(status_of(head + "5\r\nhelloXX0\r\n\r\n") == 400);
  CHECK(status_of(head + "5\rXhello\r\n0\r\n\r\n") == 400);
  CHECK(status_of(head + "5\r\nhello\r\n0\rX\r\n") == 400);
  CHECK(status_of(head + "5\r\nhello\r\n0\r\n\rX") == 400);
  CHECK(status_of(head + "5\r\nhello\r\n0\r\nA: b\rX\r\n") == 400);
  CHECK(status_of(head + "5\r\nhello\r\n0\r\nA b\r\n\r\n") == 400);
  CHECK(status_of(head + "5\r\nhello\r\n0\r\n folded\r\n\r\n") == 400);
  CHECK(status_of(head + "8000000000000000\r\n") == 400);
  CHECK(status_of(head + "5;" + std::string(130, 'e') + "\r\nhello\r\n0\r\n\r\n") == 400);
  CHECK(status_of(head + "0\r\n" + std::string(65, 'n') + ": v\r\n\r\n") == 431);
}

TEST_CASE("http1 parser: a chunked request split into single bytes, then the next request") {
  auto r = parse(
      "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
      "3 ; a=\"q\"\r\nabc\r\n7fffffffffffffff\r\n",
      {}, 1);
  CHECK(r.error == 0);  // the largest 63-bit size is accepted (and its data awaited)
  r = parse(
      "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
      "3\r\nabc\r\n0\r\nT: v\r\n\r\nGET /next HTTP/1.1\r\nHost: h\r\n\r\n",
      {}, 1);
  REQUIRE(r.error == 0);
  REQUIRE(r.heads.size() == 2);
  CHECK(r.bodies.at(0) == "abc");
  CHECK(r.heads[1].req.path == "/next");
  CHECK(r.ends == 2);
}

TEST_CASE("http1 parser: a request line without a version (HTTP/0.9) is 400") {
  CHECK(status_of("GET /\r\n\r\n") == 400);
  CHECK(status_of("POST /echo-body\r\nHost: h\r\n\r\n") == 400);
}

TEST_CASE("http1 parser: a request started but unfinished is reported as started") {
  rodeo::http1::parser p{{}};
  CHECK_FALSE(p.request_started());
  std::string part = "GET / HT";
  auto [ev, used] = p.execute(part.data(), part.size(), nullptr);
  CHECK(ev == event::need_more);
  CHECK(used == part.size());
  CHECK(p.request_started());
}
