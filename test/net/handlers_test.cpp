// Handlers through a real listener: crashes, client gone, loop handlers (long poll, SSE, eof,
// timeouts), the Req API, middlewares and backpressure.
#include <catch2/catch.hpp>

#include "net_support.hpp"

using namespace net_test;
using namespace std::chrono_literals;

namespace {

using tick_atom = caf::atom_constant<caf::atom("tick")>;
using more_atom = caf::atom_constant<caf::atom("more")>;

std::string get(const std::string& path, const std::string& extra = "") {
  return "GET " + path + " HTTP/1.1\r\nHost: localhost\r\n" + extra + "\r\n";
}

caf::actor next_handle(caf::scoped_actor& probe) {
  caf::actor h;
  probe->receive([&](caf::actor& a) { h = a; }, caf::after(5s) >> [] {});
  return h;
}

std::string next_text(caf::scoped_actor& probe, std::chrono::milliseconds limit = 5s) {
  std::string s = "<nothing>";
  probe->receive([&](std::string& x) { s = x; }, caf::after(limit) >> [] {});
  return s;
}

// Loop handler: reports its handle and its terminate reason to the probe; replies to
// (reply_atom, body); streams on (event_atom, data) after a stream_reply asked by ?stream.
struct loop_h : rodeo::handler {
  explicit loop_h(caf::actor probe) : probe(std::move(probe)) {}
  caf::actor probe;
  rodeo::handler_result init(rodeo::req& req) override {
    if (req.qs() == "stream") req.stream_reply(200, {{"content-type", "text/plain"}});
    caf::anon_send(probe, req.handle());
    if (req.qs() == "timeout") return rodeo::loop(100ms);
    return rodeo::loop(rodeo::hibernate);
  }
  rodeo::handler_result info(caf::message& msg, rodeo::req& req) override {
    if (auto m = rodeo::match<rodeo::reply_atom, std::string>(msg)) {
      req.reply(200, {}, std::get<1>(*m));
      return rodeo::stop();
    }
    if (auto m = rodeo::match<rodeo::event_atom, std::string>(msg)) {
      req.stream_body(std::get<1>(*m), rodeo::nofin);
      return rodeo::ok();
    }
    if (auto m = rodeo::match<rodeo::timeout_atom, int>(msg))
      return rodeo::ok(std::chrono::milliseconds{std::get<1>(*m)});
    return rodeo::ok();
  }
  void terminate(const caf::error& reason, rodeo::req&) override {
    caf::anon_send(probe, rodeo::reason::to_string(reason));
  }
};

struct sse_h : rodeo::handler {
  int n = 0;
  rodeo::handler_result init(rodeo::req& req) override {
    req.stream_reply(200, {{"content-type", "text/event-stream"}});
    req.self()->send(req.self(), tick_atom::value);
    return rodeo::loop();
  }
  rodeo::handler_result info(caf::message& msg, rodeo::req& req) override {
    if (!msg.match_elements<tick_atom>()) return rodeo::ok();
    ++n;
    req.stream_events({.id = std::to_string(n), .data = "tick " + std::to_string(n)}, rodeo::nofin);
    if (n < 3)
      req.self()->send(req.self(), tick_atom::value);
    else
      req.self()->send(req.self(), rodeo::eof_atom::value);
    return rodeo::ok();
  }
};

// Streams `chunks` pieces of 1 MiB, one per message, reporting each acknowledged piece.
struct firehose_h : rodeo::handler {
  explicit firehose_h(caf::actor probe) : probe(std::move(probe)) {}
  caf::actor probe;
  int sent = 0;
  static constexpr int chunks = 64;
  rodeo::handler_result init(rodeo::req& req) override {
    req.stream_reply(200, {});
    req.self()->send(req.self(), more_atom::value);
    return rodeo::loop();
  }
  rodeo::handler_result info(caf::message&, rodeo::req& req) override {
    // Each stream_body is acknowledged before the next message (this one's successor) runs.
    req.stream_body(std::string(1 << 20, 'f'), ++sent == chunks ? rodeo::fin : rodeo::nofin);
    caf::anon_send(probe, sent);
    if (sent == chunks) return rodeo::stop();
    req.self()->send(req.self(), more_atom::value);
    return rodeo::ok();
  }
};

struct stop_mw : rodeo::middleware {
  rodeo::middleware_result execute(rodeo::req& req, rodeo::request_env& env) const override {
    if (req.header("x-deny")) {
      req.reply(403, {{"content-length", "0"}});
      return rodeo::middleware_result::stop;
    }
    env.values["seen"] = std::string{"yes"};
    return rodeo::middleware_result::ok;
  }
};

}  // namespace

TEST_CASE("a crashing handler answers 500 and the connection is reused") {
  server srv;
  srv.start({{"_",
              {{"/crash",
                [](rodeo::req&) -> rodeo::handler_result {
                  throw std::runtime_error("boom");
                }},
               {"/", [](rodeo::req& req) {
                  req.reply(200, {}, "fine");
                }}}}});
  client c{srv.port};
  c.send(get("/crash"));
  auto r = c.read_response();
  REQUIRE(r);
  CHECK(r->status == 500);
  CHECK(r->header("connection") == nullptr);
  c.send(get("/"));
  auto again = c.read_response();
  REQUIRE(again);
  CHECK(again->body == "fine");
}

TEST_CASE("a crash after stream_reply ends the chunked body cleanly") {
  server srv;
  srv.start({{"_", {{"/half", [](rodeo::req& req) -> rodeo::handler_result {
                       req.stream_reply(200, {});
                       req.stream_body("partial", rodeo::nofin);
                       throw std::runtime_error("midway");
                     }}}}});
  client c{srv.port};
  c.send(get("/half"));
  auto r = c.read_response();
  REQUIRE(r);
  CHECK(r->status == 200);
  CHECK(r->body == "partial");
}

TEST_CASE("a crashing handler leaves requests on other connections alone") {
  server srv;
  caf::scoped_actor probe{srv.node.system()};
  srv.start({{"_",
              {{"/loop", rodeo::handler_of<loop_h>(caf::actor{probe})},
               {"/crash", [](rodeo::req&) -> rodeo::handler_result {
                  throw std::runtime_error("boom");
                }}}}});
  client waiting{srv.port};
  waiting.send(get("/loop"));
  auto handler = next_handle(probe);
  REQUIRE(handler);
  for (int i = 0; i < 3; ++i) {
    client crasher{srv.port};
    crasher.send(get("/crash"));
    auto r = crasher.read_response();
    REQUIRE(r);
    CHECK(r->status == 500);
  }
  caf::anon_send(handler, rodeo::reply_atom::value, std::string{"still here"});
  auto r = waiting.read_response();
  REQUIRE(r);
  CHECK(r->body == "still here");
}

TEST_CASE("the client going away reaches the handler actor, which stops") {
  server srv;
  caf::scoped_actor probe{srv.node.system()};
  srv.start({{"_", {{"/loop", rodeo::handler_of<loop_h>(caf::actor{probe})}}}});
  auto c = std::make_unique<client>(srv.port);
  c->send(get("/loop"));
  auto handler = next_handle(probe);
  REQUIRE(handler);
  probe->monitor(handler);
  c.reset();
  CHECK(next_text(probe) == "{shutdown,client_gone}");
  bool down = false;
  probe->receive([&](caf::down_msg&) { down = true; }, caf::after(5s) >> [] {});
  CHECK(down);
}

TEST_CASE("loop handler: a message makes it reply and stop (long polling)") {
  server srv;
  caf::scoped_actor probe{srv.node.system()};
  srv.start({{"_", {{"/loop", rodeo::handler_of<loop_h>(caf::actor{probe})}}}});
  client c{srv.port};
  c.send(get("/loop"));
  auto handler = next_handle(probe);
  REQUIRE(handler);
  caf::anon_send(handler, rodeo::reply_atom::value, std::string{"the answer"});
  auto r = c.read_response();
  REQUIRE(r);
  CHECK(r->body == "the answer");
  CHECK(next_text(probe) == "normal");
  c.send(get("/loop"));
  REQUIRE(next_handle(probe));
}

TEST_CASE("loop handler: long polls wait in a process group and get a broadcast") {
  server srv;
  caf::scoped_actor probe{srv.node.system()};
  srv.start({{"_", {{"/wait", rodeo::handler_of<loop_h>(caf::actor{probe})}}}});
  client a{srv.port};
  client b{srv.port};
  a.send(get("/wait"));
  b.send(get("/wait"));
  auto ha = next_handle(probe);
  auto hb = next_handle(probe);
  REQUIRE(ha);
  REQUIRE(hb);
  auto& groups = srv.node.groups();
  groups.join("waiters", ha);
  groups.join("waiters", hb);
  CHECK(groups.send("waiters", rodeo::reply_atom::value, std::string{"news"}) == 2u);
  for (auto* c : {&a, &b}) {
    auto r = c->read_response();
    REQUIRE(r);
    CHECK(r->body == "news");
  }
}

TEST_CASE("loop handler: the timeout ends the request with 204") {
  server srv;
  caf::scoped_actor probe{srv.node.system()};
  srv.start({{"_", {{"/loop", rodeo::handler_of<loop_h>(caf::actor{probe})}}}});
  client c{srv.port};
  c.send(get("/loop?timeout"));
  REQUIRE(next_handle(probe));
  auto r = c.read_response();
  REQUIRE(r);
  CHECK(r->status == 204);
  CHECK(next_text(probe) == "{shutdown,timeout}");
}

TEST_CASE("loop handler: info can change the loop timeout") {
  server srv;
  caf::scoped_actor probe{srv.node.system()};
  srv.start({{"_", {{"/loop", rodeo::handler_of<loop_h>(caf::actor{probe})}}}});
  client c{srv.port};
  c.send(get("/loop"));
  auto handler = next_handle(probe);
  REQUIRE(handler);
  // The loop had no timeout; the handler now sets one of 50 ms.
  caf::anon_send(handler, rodeo::timeout_atom::value, 50);
  auto r = c.read_response();
  REQUIRE(r);
  CHECK(r->status == 204);
  CHECK(next_text(probe) == "{shutdown,timeout}");
}

TEST_CASE("loop handler: streamed chunks, then eof ends the body and keeps the connection") {
  server srv;
  caf::scoped_actor probe{srv.node.system()};
  srv.start({{"_", {{"/loop", rodeo::handler_of<loop_h>(caf::actor{probe})}}}});
  client c{srv.port};
  c.send(get("/loop?stream"));
  auto handler = next_handle(probe);
  REQUIRE(handler);
  caf::anon_send(handler, rodeo::event_atom::value, std::string{"one,"});
  caf::anon_send(handler, rodeo::event_atom::value, std::string{"two"});
  caf::anon_send(handler, rodeo::eof_atom::value);
  auto r = c.read_response();
  REQUIRE(r);
  CHECK(r->chunked);
  CHECK(r->body == "one,two");
  c.send(get("/loop"));
  CHECK(next_handle(probe));
}

TEST_CASE("server-sent events: stream_events writes text/event-stream events") {
  server srv;
  srv.start({{"_", {{"/events", rodeo::handler_of<sse_h>()}}}});
  client c{srv.port};
  c.send(get("/events"));
  auto r = c.read_response();
  REQUIRE(r);
  CHECK(r->header_or("content-type") == "text/event-stream");
  CHECK(r->body == "id: 1\ndata: tick 1\n\nid: 2\ndata: tick 2\n\nid: 3\ndata: tick 3\n\n");
}

TEST_CASE("stream_body applies backpressure: a client that does not read stalls the handler") {
  server srv;
  caf::scoped_actor probe{srv.node.system()};
  srv.start({{"_", {{"/firehose", rodeo::handler_of<firehose_h>(caf::actor{probe})}}}});
  client c{srv.port};
  c.send(get("/firehose"));
  // Progress stops while nobody reads: wait until no piece is acknowledged for a while.
  int sent = 0;
  for (bool progress = true; progress;) {
    progress = false;
    probe->receive(
        [&](int n) {
          sent = n;
          progress = true;
        },
        caf::after(500ms) >> [] {});
  }
  CHECK(sent > 0);
  CHECK(sent < firehose_h::chunks);
  auto r = c.read_response(false, 60s);
  REQUIRE(r);
  CHECK(r->body.size() == size_t{firehose_h::chunks} << 20);
}

TEST_CASE("Req: method, path, qs, bindings, path_info, headers, peer") {
  server srv;
  caf::scoped_actor probe{srv.node.system()};
  srv.start({{"_", {{"/users/:id/[...]", [p = caf::actor{probe}](rodeo::req& req) {
                       std::string info;
                       for (auto& s : *req.path_info()) info += "/" + s;
                       caf::anon_send(p, req.method() + " " + req.path() + " " + req.qs() + " id=" +
                                             req.binding("id")->as_string() + " info=" + info +
                                             " ua=" + req.header("user-agent", "?") +
                                             " peer=" + req.peer().ip + " uri=" + req.uri());
                       req.reply(200, {});
                     }}}}});
  client c{srv.port};
  c.send("GET /users/42/a/b?x=1 HTTP/1.1\r\nHost: localhost:" + std::to_string(srv.port) +
         "\r\nUser-Agent: t\r\n\r\n");
  REQUIRE(c.read_response());
  CHECK(next_text(probe) ==
        "GET /users/42/a/b x=1 id=42 info=/a/b ua=t peer=127.0.0.1 uri=http://localhost:" +
            std::to_string(srv.port) + "/users/42/a/b?x=1");
}

TEST_CASE("Req: match_qs applies constraints and defaults, a failure is 400") {
  server srv;
  srv.start({{"_", {{"/qs", [](rodeo::req& req) {
                       auto v = req.match_qs(
                           {{"n", {rodeo::constraint::int_()}}, {"lang", {}, rodeo::value{"en"}}});
                       req.reply(
                           200, {},
                           std::to_string(v.at("n").as_int() * 2) + " " + v.at("lang").as_string());
                     }}}}});
  client c{srv.port};
  c.send(get("/qs?n=21"));
  auto ok = c.read_response();
  REQUIRE(ok);
  CHECK(ok->body == "42 en");
  c.send(get("/qs?n=abc"));
  auto bad = c.read_response();
  REQUIRE(bad);
  CHECK(bad->status == 400);
  c.send(get("/qs"));
  auto missing = c.read_response();
  REQUIRE(missing);
  CHECK(missing->status == 400);
}

TEST_CASE("Req: cookies are parsed and set with set_resp_cookie") {
  server srv;
  srv.start({{"_", {{"/c", [](rodeo::req& req) {
                       std::string seen;
                       for (auto& [n, v] : req.parse_cookies()) seen += n + "=" + v + ";";
                       req.set_resp_cookie("session", "abc",
                                           {.max_age = 60, .path = "/", .http_only = true});
                       req.set_resp_cookie("theme", "dark");
                       req.reply(200, {}, seen);
                     }}}}});
  client c{srv.port};
  c.send(get("/c", "Cookie: a=1; b=2\r\n"));
  auto r = c.read_response();
  REQUIRE(r);
  CHECK(r->body == "a=1;b=2;");
  int set_cookies = 0;
  for (auto& [n, v] : r->headers)
    if (n == "set-cookie") ++set_cookies;
  CHECK(set_cookies == 2);
}

TEST_CASE("Req: set_resp_header, set_resp_body and delete_resp_header shape the reply") {
  server srv;
  srv.start({{"_", {{"/h", [](rodeo::req& req) {
                       req.set_resp_header("x-a", "1");
                       req.set_resp_header("x-b", "2");
                       req.delete_resp_header("x-b");
                       req.set_resp_body("from set_resp_body");
                       req.reply(201, {{"x-c", "3"}});
                     }}}}});
  client c{srv.port};
  c.send(get("/h"));
  auto r = c.read_response();
  REQUIRE(r);
  CHECK(r->status == 201);
  CHECK(r->header_or("x-a") == "1");
  CHECK(r->header("x-b") == nullptr);
  CHECK(r->header_or("x-c") == "3");
  CHECK(r->body == "from set_resp_body");
}

TEST_CASE("Req: inform sends a 1xx response before the final one") {
  server srv;
  srv.start({{"_", {{"/hints", [](rodeo::req& req) {
                       req.inform(103, {{"link", "</style.css>; rel=preload"}});
                       req.reply(200, {}, "done");
                     }}}}});
  client c{srv.port};
  c.send(get("/hints"));
  auto early = c.read_response();
  REQUIRE(early);
  CHECK(early->status == 103);
  CHECK(early->header_or("link") == "</style.css>; rel=preload");
  auto r = c.read_response();
  REQUIRE(r);
  CHECK(r->body == "done");
}

TEST_CASE("Req: read_urlencoded_body parses a form, a body over the length is 413") {
  server srv;
  srv.start({{"_", {{"/form", [](rodeo::req& req) {
                       req.read_urlencoded_body({.length = 100, .period = 5000ms, .timeout = {}},
                                                [](rodeo::req& r, rodeo::qs::vals vals) {
                                                  std::string out;
                                                  for (auto& p : vals)
                                                    out += p.name + "=" + p.value.value_or("true") +
                                                           ";";
                                                  r.reply(200, {}, out);
                                                });
                     }}}}});
  auto r = curl(srv.port, "-X POST --data 'a=1&b=two+words&c'", "/form");
  CHECK(r.out == "a=1;b=two words;c=true;");
  client c{srv.port};
  std::string big = "x=" + std::string(200, 'y');
  c.send("POST /form HTTP/1.1\r\nHost: h\r\nContent-Length: " + std::to_string(big.size()) +
         "\r\n\r\n" + big);
  auto too_big = c.read_response();
  REQUIRE(too_big);
  CHECK(too_big->status == 413);
}

TEST_CASE("Req: read_part and read_part_body walk a multipart body") {
  server srv;
  struct parts_h : rodeo::handler {
    std::string out;
    rodeo::handler_result init(rodeo::req& req) override {
      next(req);
      return rodeo::ok();
    }
    void next(rodeo::req& req) {
      req.read_part([this](rodeo::req& r, std::optional<rodeo::multipart::headers> hs) {
        if (!hs) {
          r.reply(200, {}, out);
          return;
        }
        auto fd = rodeo::multipart::parse_form_data(*hs);
        out += (fd ? fd->name : "?") + "=";
        r.read_part_body([this](rodeo::req& r2, std::string data, rodeo::is_fin) {
          out += data + ";";
          next(r2);
        });
      });
    }
  };
  srv.start({{"_", {{"/upload", rodeo::handler_of<parts_h>()}}}});
  auto r = curl(srv.port, "-F 'first=hello' -F 'second=world'", "/upload");
  CHECK(r.out == "first=hello;second=world;");
}

TEST_CASE("middlewares: a user middleware can stop the chain or add to the env") {
  server srv;
  srv.start({{"_",
              {{"/",
                [](rodeo::req& req) {
                  req.reply(200, {}, "passed");
                }}}}},
            [](rodeo::protocol_options& p) {
              p.middlewares.insert(p.middlewares.begin(), std::make_shared<stop_mw>());
            });
  client c{srv.port};
  c.send(get("/", "X-Deny: 1\r\n"));
  auto denied = c.read_response();
  REQUIRE(denied);
  CHECK(denied->status == 403);
  c.send(get("/"));
  auto passed = c.read_response();
  REQUIRE(passed);
  CHECK(passed->body == "passed");
}

TEST_CASE("compress_h gzips large bodies for clients that accept gzip") {
  server srv;
  std::string text;
  for (int i = 0; i < 200; ++i)
    text += "line " + std::to_string(i) + " of some compressible text\n";
  srv.start({{"_",
              {{"/text",
                [text](rodeo::req& req) {
                  req.reply(200, {{"content-type", "text/plain"}}, text);
                }},
               {"/small",
                [](rodeo::req& req) {
                  req.reply(200, {}, "tiny");
                }}}}},
            [](rodeo::protocol_options& p) {
              p.stream_handlers.insert(p.stream_handlers.begin(), rodeo::compress_h());
            });
  auto plain = curl(srv.port, "", "/text");
  CHECK(plain.out == text);
  auto gz = curl(srv.port, "-D - --compressed -o /dev/null", "/text");
  CHECK(gz.out.find("content-encoding: gzip") != std::string::npos);
  auto decoded = curl(srv.port, "--compressed", "/text");
  CHECK(decoded.out == text);
  auto small = curl(srv.port, "-D - --compressed -o /dev/null", "/small");
  CHECK(small.out.find("content-encoding") == std::string::npos);
}

TEST_CASE("run_inline: the handler runs in the connection actor and answers at once") {
  server srv;
  srv.start({{"_",
              {{"/inline", rodeo::run_inline([](rodeo::req& req) {
                  req.reply(200, {},
                            req.handle() == req.conn() ? "in the connection" : "elsewhere");
                })},
               {"/inline-204", rodeo::run_inline([](rodeo::req&) {})}}}});
  client c{srv.port};
  for (int i = 0; i < 3; ++i) {
    c.send(get("/inline"));
    auto r = c.read_response();
    REQUIRE(r);
    CHECK(r->body == "in the connection");
  }
  c.send(get("/inline-204"));
  auto none = c.read_response();
  REQUIRE(none);
  CHECK(none->status == 204);
}

TEST_CASE(
    "run_inline: a crash answers 500, a request error its status, and the connection goes on") {
  server srv;
  srv.start({{"_",
              {{"/boom", rodeo::run_inline([](rodeo::req&) -> rodeo::handler_result {
                  throw std::runtime_error("inline boom");
                })},
               {"/qs", rodeo::run_inline([](rodeo::req& req) {
                  req.match_qs({{"n", {rodeo::constraint::int_()}}});
                  req.reply(200, {});
                })},
               {"/", rodeo::run_inline([](rodeo::req& req) { req.reply(200, {}, "ok"); })}}}});
  client c{srv.port};
  c.send(get("/boom"));
  auto crashed = c.read_response();
  REQUIRE(crashed);
  CHECK(crashed->status == 500);
  c.send(get("/qs?n=x"));
  auto bad = c.read_response();
  REQUIRE(bad);
  CHECK(bad->status == 400);
  c.send("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello" + get("/"));
  for (int i = 0; i < 2; ++i) {
    auto r = c.read_response();
    REQUIRE(r);
    CHECK(r->body == "ok");
  }
}
