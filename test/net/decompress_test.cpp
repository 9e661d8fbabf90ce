// decompress_h (Cowboy's cowboy_decompress_h) through a real listener: curl and raw sockets send
// gzip, zlib and raw deflate bodies, bombs, corrupt and truncated streams.
#include <catch2/catch.hpp>

#include <zlib.h>

#include <cstring>
#include <fstream>

#include "net_support.hpp"

using namespace net_test;
using namespace std::chrono_literals;

namespace {

// windowBits: 31 gzip, 15 zlib, -15 raw deflate.
std::string compress(const std::string& in, int window_bits) {
  z_stream z;
  std::memset(&z, 0, sizeof z);
  REQUIRE(deflateInit2(&z, 9, Z_DEFLATED, window_bits, 8, Z_DEFAULT_STRATEGY) == Z_OK);
  std::string out(deflateBound(&z, in.size()) + 64, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  z.avail_in = static_cast<uInt>(in.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  REQUIRE(deflate(&z, Z_FINISH) == Z_STREAM_END);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

// Echoes the body it read and what it saw of the request's headers.
rodeo::route_list routes() {
  auto echo = [](rodeo::req& req) {
    // one callback at the end of the body (the length is above every body here)
    req.read_body({.length = 64 << 20}, [](rodeo::req& r, std::string data, rodeo::is_fin) {
      std::string decoded;
      for (auto& c : r.request().content_decoded) decoded += c;
      r.reply(200,
              {{"x-content-encoding", r.header("content-encoding", "none")},
               {"x-content-length", r.header("content-length", "none")},
               {"x-body-length", r.body_length() ? std::to_string(*r.body_length()) : "unknown"},
               {"x-decoded", decoded.empty() ? "none" : decoded}},
              std::move(data));
    });
  };
  return {{"_",
           {
               {"/echo", echo},
               {"/raw",
                [echo](rodeo::req& req) {
                  req.cast(caf::make_message(rodeo::decompress::set_options{.enabled = false}));
                  echo(req);
                }},
               {"/lenient",
                [echo](rodeo::req& req) {
                  req.cast(caf::make_message(rodeo::decompress::set_options{.ratio_limit = 5000}));
                  echo(req);
                }},
           }}};
}

void start(server& srv, rodeo::decompress::options o = {}) {
  srv.start(routes(), [&](rodeo::protocol_options& p) {
    p.stream_handlers.insert(p.stream_handlers.begin(), rodeo::decompress_h(o));
  });
}

std::string post(const std::string& path, const std::string& coding, const std::string& body) {
  return "POST " + path + " HTTP/1.1\r\nHost: h\r\ncontent-encoding: " + coding +
         "\r\ncontent-length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

std::string text(size_t n) {
  std::string s;
  for (size_t i = 0; s.size() < n; ++i) s += "line " + std::to_string(i) + " of some text\n";
  s.resize(n);
  return s;
}

}  // namespace

TEST_CASE("decompress_h: curl's gzip body reaches the handler inflated, headers adjusted") {
  server srv;
  start(srv);
  auto body = text(100000);
  char path[] = "/tmp/rodeo-gz-XXXXXX";
  int fd = ::mkstemp(path);
  REQUIRE(fd >= 0);
  ::close(fd);
  std::ofstream(path, std::ios::binary) << compress(body, 31);
  auto out = curl(srv.port, "-D - -H 'content-encoding: gzip' --data-binary @" + std::string(path),
                  "/echo");
  ::unlink(path);
  auto split = out.out.find("\r\n\r\n");
  REQUIRE(split != std::string::npos);
  auto head = out.out.substr(0, split);
  CHECK(out.out.substr(split + 4) == body);
  CHECK(head.find("x-content-encoding: none") != std::string::npos);
  CHECK(head.find("x-content-length: none") != std::string::npos);
  CHECK(head.find("x-body-length: unknown") != std::string::npos);
  CHECK(head.find("x-decoded: gzip") != std::string::npos);
  CHECK(head.find("accept-encoding: gzip, deflate") != std::string::npos);
}

TEST_CASE("decompress_h: zlib and raw deflate, chunked pieces, several gzip members") {
  server srv;
  start(srv);
  auto body = text(50000);
  client c{srv.port};
  c.send(post("/echo", "deflate", compress(body, 15)));
  auto r = c.read_response();
  REQUIRE(r);
  CHECK(r->status == 200);
  CHECK(r->body == body);
  CHECK(r->header_or("x-decoded") == "deflate");

  c.send(post("/echo", "Deflate", compress(body, -15)));  // raw deflate, as some clients send
  r = c.read_response();
  REQUIRE(r);
  CHECK(r->body == body);

  // gzip in chunks of 7 bytes, then two members back to back
  auto gz = compress(body, 31) + compress("tail", 31);
  std::string chunked;
  for (size_t i = 0; i < gz.size(); i += 7) {
    auto piece = gz.substr(i, 7);
    char size[16];
    std::snprintf(size, sizeof size, "%zx\r\n", piece.size());
    chunked += size + piece + "\r\n";
  }
  chunked += "0\r\n\r\n";
  c.send(
      "POST /echo HTTP/1.1\r\nHost: h\r\ncontent-encoding: x-gzip\r\n"
      "transfer-encoding: chunked\r\n\r\n" +
      chunked);
  r = c.read_response();
  REQUIRE(r);
  CHECK(r->status == 200);
  CHECK(r->body == body + "tail");
}

TEST_CASE("decompress_h: a deflate bomb is 413 past decompress_ratio_limit") {
  auto bomb = compress(std::string(10 << 20, '\0'), 31);  // 10 MiB of zeros: ratio ~1000
  REQUIRE(bomb.size() < 20000);
  server srv;
  start(srv);
  client c{srv.port};
  c.send(post("/echo", "gzip", bomb));
  auto r = c.read_response();
  REQUIRE(r);
  CHECK(r->status == 413);

  client d{srv.port};  // a handler can raise the limit for its request
  d.send(post("/lenient", "gzip", bomb));
  r = d.read_response(false, 20s);
  REQUIRE(r);
  CHECK(r->status == 200);
  CHECK(r->body.size() == (10u << 20));
}

TEST_CASE("decompress_h: the ratio limit is an option") {
  auto body = text(200000);
  auto gz = compress(body, 31);
  auto ratio = body.size() / gz.size();
  REQUIRE(ratio > 3);
  REQUIRE(ratio < 20);
  {
    server srv;
    start(srv);  // 20
    client c{srv.port};
    c.send(post("/echo", "gzip", gz));
    auto r = c.read_response();
    REQUIRE(r);
    CHECK(r->status == 200);
  }
  {
    server srv;
    start(srv, {.ratio_limit = 2});
    client c{srv.port};
    c.send(post("/echo", "gzip", gz));
    auto r = c.read_response();
    REQUIRE(r);
    CHECK(r->status == 413);
  }
}

TEST_CASE("decompress_h: corrupt and truncated bodies are 400") {
  server srv;
  start(srv);
  {
    client c{srv.port};
    c.send(post("/echo", "gzip", "this is not gzip at all"));
    auto r = c.read_response();
    REQUIRE(r);
    CHECK(r->status == 400);
  }
  {
    auto gz = compress(text(10000), 31);
    client c{srv.port};
    c.send(post("/echo", "gzip", gz.substr(0, gz.size() / 2)));
    auto r = c.read_response();
    REQUIRE(r);
    CHECK(r->status == 400);
  }
}

TEST_CASE("decompress_h: other codings, opted out, or disabled by the handler pass through") {
  auto gz = compress("hello", 31);
  {
    server srv;
    start(srv);
    client c{srv.port};
    c.send(post("/echo", "gzip, br", gz));  // two codings: left to the handler
    auto r = c.read_response();
    REQUIRE(r);
    CHECK(r->body == gz);
    CHECK(r->header_or("x-content-encoding") == "gzip, br");
    CHECK(r->header_or("x-decoded") == "none");

    c.send(post("/raw", "gzip", gz));  // set_options{.enabled = false} before reading
    r = c.read_response();
    REQUIRE(r);
    CHECK(r->body == gz);
    CHECK(!r->header("accept-encoding"));
  }
  {
    server srv;
    start(srv, {.enabled = false});
    client c{srv.port};
    c.send(post("/echo", "gzip", gz));
    auto r = c.read_response();
    REQUIRE(r);
    CHECK(r->body == gz);
    CHECK(r->header_or("x-content-encoding") == "gzip");
    CHECK(r->header_or("x-content-length") == std::to_string(gz.size()));
    CHECK(!r->header("accept-encoding"));
  }
}
