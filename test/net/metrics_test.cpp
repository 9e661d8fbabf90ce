// metrics_h (Cowboy's cowboy_metrics_h) through a real listener: one record per stream with curl
// and raw sockets, early errors, user data, informational responses, crashes and cut streams.
#include <catch2/catch.hpp>

#include <mutex>

#include "net_support.hpp"

using namespace net_test;
using namespace std::chrono_literals;

namespace {

// The records the callback received, from any worker thread.
struct sink {
  std::mutex m;
  std::vector<rodeo::metrics::record> records;

  rodeo::metrics::options options() {
    return {.callback = [this](const rodeo::metrics::record& r) {
      std::lock_guard g{m};
      records.push_back(r);
    }};
  }
  std::optional<rodeo::metrics::record> wait(size_t n = 1) {
    if (!eventually([&] {
          std::lock_guard g{m};
          return records.size() >= n;
        }))
      return std::nullopt;
    std::lock_guard g{m};
    return records[n - 1];
  }
  size_t size() {
    std::lock_guard g{m};
    return records.size();
  }
};

// Streams one piece, then waits for messages that never come.
struct forever_h : rodeo::handler {
  rodeo::handler_result init(rodeo::req& req) override {
    req.stream_reply(200, {});
    req.stream_body("first", rodeo::nofin);
    return rodeo::loop();
  }
};

rodeo::route_list routes() {
  return {{"_",
           {
               {"/hello",
                [](rodeo::req& req) {
                  rodeo::metrics::set_user_data(req, {{"route", "hello"}});
                  req.reply(200, {{"content-type", "text/plain"}}, "Hello world!");
                }},
               {"/echo",
                [](rodeo::req& req) {
                  req.read_body([](rodeo::req& r, std::string data, rodeo::is_fin) {
                    r.reply(200, {}, std::to_string(data.size()));
                  });
                }},
               {"/stream",
                [](rodeo::req& req) {
                  req.stream_reply(200, {{"content-type", "text/plain"}});
                  req.stream_body(std::string(1000, 'a'), rodeo::nofin);
                  req.stream_body(std::string(2000, 'b'), rodeo::nofin);
                  req.stream_body(std::string(3000, 'c'), rodeo::fin);
                }},
               {"/hints",
                [](rodeo::req& req) {
                  req.inform(103, {{"link", "</style.css>; rel=preload"}});
                  req.reply(200, {}, "after hints");
                }},
               {"/crash",
                [](rodeo::req&) {
                  throw std::runtime_error("boom");
                }},
               {"/nothing",
                [](rodeo::req&) {
                }},
               {"/big",
                [](rodeo::req& req) {
                  req.reply(200, {}, std::string(100000, 'x'));
                }},
               {"/forever", rodeo::handler_of<forever_h>()},
           }}};
}

bool ordered(const std::optional<rodeo::metrics::time_point>& a,
             const std::optional<rodeo::metrics::time_point>& b) {
  return a && b && *a <= *b;
}

}  // namespace

TEST_CASE("metrics_h: one record per request with times, status, lengths, procs and user data") {
  sink s;
  server srv;
  srv.start(routes(), [&](rodeo::protocol_options& p) {
    p.stream_handlers.insert(p.stream_handlers.begin(), rodeo::metrics_h(s.options()));
  });
  auto before = std::chrono::system_clock::now();
  auto out = curl(srv.port, "", "/hello");
  REQUIRE(out.out == "Hello world!");
  auto r = s.wait();
  REQUIRE(r);
  CHECK(r->ref == "test");
  CHECK(r->streamid == 1);
  CHECK(!r->early_error);
  CHECK(!r->reason);
  CHECK(r->pid != caf::actor_addr{});
  REQUIRE(r->req);
  CHECK(r->req->method == "GET");
  CHECK(r->req->path == "/hello");
  CHECK(r->resp_status == 200);
  CHECK(r->resp_headers.find("content-type"));
  CHECK(r->resp_body_length == 12);
  CHECK(r->req_body_length == 0);
  CHECK(!r->req_body_start);
  CHECK(ordered(r->req_start, r->resp_start));
  CHECK(ordered(r->resp_start, r->resp_end));
  CHECK(ordered(r->resp_end, r->req_end));
  CHECK(r->wall_time >= before - 1s);
  CHECK(r->wall_time <= std::chrono::system_clock::now());
  REQUIRE(r->procs.size() == 1);  // the request actor
  CHECK(ordered(r->req_start, r->procs[0].spawn));
  CHECK(r->user_data.at("route") == "hello");
  CHECK(r->informational.empty());
}

TEST_CASE("metrics_h: request body length and times, keep-alive streams get their own record") {
  sink s;
  server srv;
  srv.start(routes(), [&](rodeo::protocol_options& p) {
    p.stream_handlers.insert(p.stream_handlers.begin(), rodeo::metrics_h(s.options()));
  });
  client c{srv.port};
  std::string body(200000, 'z');
  c.send("POST /echo HTTP/1.1\r\nHost: h\r\nContent-Length: 200000\r\n\r\n" + body);
  auto a = c.read_response();
  REQUIRE(a);
  CHECK(a->body == "200000");
  c.send(
      "POST /echo HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
      "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n");
  auto b = c.read_response();
  REQUIRE(b);
  CHECK(b->body == "11");
  auto r1 = s.wait(1);
  auto r2 = s.wait(2);
  REQUIRE(r1);
  REQUIRE(r2);
  CHECK(r1->streamid == 1);
  CHECK(r2->streamid == 2);
  CHECK(r1->pid == r2->pid);  // the same connection
  CHECK(r1->req_body_length == 200000);
  CHECK(r2->req_body_length == 11);  // without the chunked framing
  CHECK(ordered(r1->req_body_start, r1->req_body_end));
  CHECK(ordered(r1->req_start, r1->req_body_start));
  CHECK(ordered(r1->req_body_end, r1->req_end));
  CHECK(r1->resp_body_length == 6);
}

TEST_CASE("metrics_h: streamed bodies, 1xx responses, 204 without a reply, a header filter") {
  sink s;
  server srv;
  auto opts = s.options();
  opts.resp_headers_filter = [](const rodeo::headers& hs) {
    rodeo::headers kept;
    if (auto* ct = hs.find("content-type")) kept.set("content-type", *ct);
    return kept;
  };
  srv.start(routes(), [&](rodeo::protocol_options& p) {
    p.stream_handlers.insert(p.stream_handlers.begin(), rodeo::metrics_h(opts));
  });
  REQUIRE(curl(srv.port, "", "/stream").out.size() == 6000);
  auto r = s.wait(1);
  REQUIRE(r);
  CHECK(r->resp_status == 200);
  CHECK(r->resp_body_length == 6000);
  CHECK(ordered(r->resp_start, r->resp_end));
  CHECK(r->resp_headers.size() == 1);  // only what the filter kept
  CHECK(r->resp_headers.find("content-type"));

  REQUIRE(curl(srv.port, "", "/hints").out == "after hints");
  r = s.wait(2);
  REQUIRE(r);
  REQUIRE(r->informational.size() == 1);
  CHECK(r->informational[0].status == 103);
  CHECK(r->informational[0].headers.find("link"));
  CHECK(ordered(r->req_start, r->informational[0].time));
  CHECK(r->resp_status == 200);

  REQUIRE(curl(srv.port, "-o /dev/null -w '%{http_code}'", "/nothing").out == "204");
  r = s.wait(3);
  REQUIRE(r);
  CHECK(r->resp_status == 204);
  CHECK(r->resp_body_length == 0);
}

TEST_CASE("metrics_h: a crash is a 500 whose request actor exit is recorded") {
  sink s;
  server srv;
  srv.start(routes(), [&](rodeo::protocol_options& p) {
    p.stream_handlers.insert(p.stream_handlers.begin(), rodeo::metrics_h(s.options()));
  });
  REQUIRE(curl(srv.port, "-o /dev/null -w '%{http_code}'", "/crash").out == "500");
  auto r = s.wait();
  REQUIRE(r);
  CHECK(r->resp_status == 500);
  REQUIRE(r->procs.size() == 1);
  REQUIRE(r->procs[0].exit);
  CHECK(rodeo::reason::is_crash(r->procs[0].reason));
  CHECK(*r->procs[0].exit >= r->procs[0].spawn);
}

TEST_CASE("metrics_h: early errors get a record with the partial request") {
  sink s;
  server srv;
  srv.start(routes(), [&](rodeo::protocol_options& p) {
    p.stream_handlers.insert(p.stream_handlers.begin(), rodeo::metrics_h(s.options()));
    p.request_timeout = 300ms;
    p.body_timeout = 300ms;
  });
  {  // no host: 400 before any stream
    client c{srv.port};
    c.send("GET /hello HTTP/1.1\r\n\r\n");
    auto resp = c.read_response();
    REQUIRE(resp);
    CHECK(resp->status == 400);
    auto r = s.wait(1);
    REQUIRE(r);
    CHECK(r->early_error);
    CHECK(r->early_error_time);
    CHECK(!r->req_start);
    CHECK(r->resp_status == 400);
    CHECK(r->ref == "test");
    REQUIRE(r->req);
    CHECK(r->req->peer.ip == "127.0.0.1");
    CHECK(r->req->ref == "test");
  }
  {  // a header over the limit: 431
    client c{srv.port};
    c.send("GET /hello HTTP/1.1\r\nHost: h\r\nx-big: " + std::string(5000, 'v') + "\r\n\r\n");
    auto resp = c.read_response();
    REQUIRE(resp);
    CHECK(resp->status == 431);
    auto r = s.wait(2);
    REQUIRE(r);
    CHECK(r->early_error);
    CHECK(r->resp_status == 431);
  }
  {  // a partial head past request_timeout: 408
    client c{srv.port};
    c.send("GET /hello HTTP/1.1\r\nHo");
    auto resp = c.read_response();
    REQUIRE(resp);
    CHECK(resp->status == 408);
    auto r = s.wait(3);
    REQUIRE(r);
    CHECK(r->early_error);
    CHECK(r->resp_status == 408);
  }
  {  // a body that stops arriving: the stream's own record carries the 408
    client c{srv.port};
    c.send("POST /echo HTTP/1.1\r\nHost: h\r\nContent-Length: 100\r\n\r\n0123456789");
    auto resp = c.read_response();
    REQUIRE(resp);
    CHECK(resp->status == 408);
    auto r = s.wait(4);
    REQUIRE(r);
    CHECK(r->early_error);
    CHECK(r->resp_status == 408);
    REQUIRE(r->req);
    CHECK(r->req->method == "POST");
    CHECK(r->req_start);
    CHECK(r->req_body_length == 10);
  }
  CHECK(s.size() == 4);  // one record each, none twice
}

TEST_CASE("metrics_h: a client leaving mid-response ends the stream with a reason") {
  sink s;
  server srv;
  srv.start(routes(), [&](rodeo::protocol_options& p) {
    p.stream_handlers.insert(p.stream_handlers.begin(), rodeo::metrics_h(s.options()));
  });
  client c{srv.port};
  c.send("GET /forever HTTP/1.1\r\nHost: h\r\n\r\n");
  REQUIRE(c.read_head(5s).status == 200);
  c.close();
  auto r = s.wait();
  REQUIRE(r);
  CHECK(r->reason);  // not a normal end
  CHECK(r->resp_status == 200);
  CHECK(r->resp_start);
  CHECK(!r->resp_end);
  CHECK(r->resp_body_length == 5);
}

TEST_CASE("metrics_h first in the chain counts the bytes compress_h sends") {
  sink s;
  server srv;
  srv.start(routes(), [&](rodeo::protocol_options& p) {
    p.stream_handlers.insert(p.stream_handlers.begin(), rodeo::compress_h());
    p.stream_handlers.insert(p.stream_handlers.begin(), rodeo::metrics_h(s.options()));
  });
  auto out = curl(srv.port, "--compressed", "/big");
  REQUIRE(out.out.size() == 100000);
  auto r = s.wait();
  REQUIRE(r);
  CHECK(r->resp_headers.find("content-encoding"));
  CHECK(r->resp_body_length > 0);
  CHECK(r->resp_body_length < 2000);  // 100,000 'x' gzip to a few hundred bytes
}

TEST_CASE("metrics_h refuses options without a callback") {
  CHECK_THROWS_AS(rodeo::metrics_h({}), std::invalid_argument);
}
