// access_log_h through a real listener (curl, raw sockets): Combined/Common Log Format and JSON
// lines, escaping, early errors, and the file writer.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <fstream>
#include <mutex>
#include <regex>
#include <sstream>

#include <nlohmann/json.hpp>

#include "net_support.hpp"

using namespace net_test;
using namespace std::chrono_literals;

namespace {

struct lines {
  std::mutex m;
  std::vector<std::string> got;
  std::function<void(std::string_view)> sink() {
    return [this](std::string_view l) {
      std::lock_guard g{m};
      got.emplace_back(l);
    };
  }
  std::string wait(size_t n = 1) {
    if (!eventually([&] {
          std::lock_guard g{m};
          return got.size() >= n;
        }))
      return "<no line>";
    std::lock_guard g{m};
    return got[n - 1];
  }
};

rodeo::route_list routes() {
  return {{"_",
           {
               {"/hello",
                [](rodeo::req& req) {
                  req.reply(200, {}, "Hello world!");
                }},
               {"/tagged",
                [](rodeo::req& req) {
                  rodeo::metrics::set_user_data(req, {{"route", "tagged"}});
                  req.reply(201, {}, "");
                }},
           }}};
}

void start(server& srv, rodeo::access_log::options o) {
  srv.start(routes(), [&](rodeo::protocol_options& p) {
    p.stream_handlers.insert(p.stream_handlers.begin(), rodeo::access_log_h(std::move(o)));
  });
}

}  // namespace

TEST_CASE("access_log_h: a Combined Log Format line per request") {
  lines l;
  server srv;
  start(srv, {.sink = l.sink()});
  auto out = curl(srv.port, "-A 'curl/test \"quoted\"' -e http://ref.example/ -u alice:secret",
                  "/hello?x=1");
  REQUIRE(out.out == "Hello world!");
  auto line = l.wait();
  INFO(line);
  static const std::regex clf(
      R"(127\.0\.0\.1 - alice \[\d\d/[A-Z][a-z]{2}/\d{4}:\d\d:\d\d:\d\d \+0000\] )"
      R"("GET /hello\?x=1 HTTP/1\.1" 200 12 "http://ref\.example/" "curl/test \\x22quoted\\x22")");
  CHECK(std::regex_match(line, clf));
  CHECK(line.find("secret") == std::string::npos);
}

TEST_CASE("access_log_h: Common Log Format, no body is '-', early errors are logged") {
  lines l;
  server srv;
  start(srv, {.format = rodeo::access_log::format::common, .sink = l.sink()});
  REQUIRE(curl(srv.port, "-o /dev/null -w '%{http_code}'", "/tagged").out == "201");
  auto line = l.wait(1);
  INFO(line);
  CHECK(std::regex_match(
      line, std::regex(R"(127\.0\.0\.1 - - \[[^\]]+\] "GET /tagged HTTP/1\.1" 201 -)")));

  client c{srv.port};
  c.send("GET /hello HTTP/1.1\r\n\r\n");  // no host: 400 from the protocol
  auto r = c.read_response();
  REQUIRE(r);
  CHECK(r->status == 400);
  line = l.wait(2);
  INFO(line);
  // the head did not parse as a request (no host): no request line is known
  CHECK(std::regex_match(line, std::regex(R"(127\.0\.0\.1 - - \[[^\]]+\] "-" 400 -)")));
}

TEST_CASE("access_log_h: JSON lines parse and carry the record") {
  lines l;
  server srv;
  start(srv, {.format = rodeo::access_log::format::json, .sink = l.sink()});
  REQUIRE(curl(srv.port, "-A \"$(printf 'agent\\t\\377x')\"", "/hello").out == "Hello world!");
  REQUIRE(curl(srv.port, "-o /dev/null", "/tagged").status == 0);
  auto a = nlohmann::json::parse(l.wait(1));
  CHECK(a["listener"] == "test");
  CHECK(a["remote"] == "127.0.0.1");
  CHECK(a["method"] == "GET");
  CHECK(a["path"] == "/hello");
  CHECK(a["version"] == "HTTP/1.1");
  CHECK(a["status"] == 200);
  CHECK(a["bytes"] == 12);
  CHECK(a["req_bytes"] == 0);
  CHECK(a["duration_us"].get<int64_t>() >= 0);
  CHECK(a["user_agent"] == "agent\t\xc3\xbfx");  // a byte of invalid UTF-8 is written \u00ff
  CHECK(std::regex_match(a["time"].get<std::string>(),
                         std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)")));
  auto b = nlohmann::json::parse(l.wait(2));
  CHECK(b["status"] == 201);
  CHECK(b["user_data"]["route"] == "tagged");
}

TEST_CASE("access_log_h: lines are appended to a file") {
  char path[] = "/tmp/rodeo-access-XXXXXX";
  int fd = ::mkstemp(path);
  REQUIRE(fd >= 0);
  ::close(fd);
  {
    std::ofstream(path) << "earlier line\n";
    server srv;
    start(srv, {.format = rodeo::access_log::format::combined, .path = path});
    for (int i = 0; i < 3; ++i) REQUIRE(curl(srv.port, "", "/hello").out == "Hello world!");
    CHECK(eventually([&] {
      std::ifstream in(path);
      std::string s, line;
      int n = 0;
      while (std::getline(in, line))
        n += line.find("\"GET /hello HTTP/1.1\" 200 12") != std::string::npos;
      return n == 3;
    }));
  }
  std::ifstream in(path);
  std::string first;
  std::getline(in, first);
  CHECK(first == "earlier line");
  ::unlink(path);
}

TEST_CASE("access_log_h: a file that cannot be opened is an error at start") {
  CHECK_THROWS_AS(rodeo::access_log_h({.path = "/nonexistent-dir/access.log"}), std::system_error);
}
