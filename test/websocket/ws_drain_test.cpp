// Graceful drain across protocols (rodeo::drain): 200 clients busy with uploads, downloads, SSE,
// long polls and WebSocket echo while the node drains; every exchange must complete whole, new
// connections are refused, and what is left at the deadline is closed and counted.
#include <atomic>
#include <functional>
#include <thread>

#include "../net/net_support.hpp"
#include "ws_session_support.hpp"

using namespace ws_session_test;

namespace {

constexpr size_t piece = 16384, pieces = 16;  // a 256 KiB download

std::string pattern(size_t n) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; ++i) s[i] = static_cast<char>('a' + i % 26);
  return s;
}

// Answers the size of the whole request body.
void upload(rodeo::req& req, std::shared_ptr<size_t> got) {
  req.read_body([got](rodeo::req& r, std::string data, rodeo::is_fin fin) {
    *got += data.size();
    if (fin == rodeo::fin)
      r.reply(200, {}, std::to_string(*got));
    else
      upload(r, got);
  });
}

// Streams `pieces` pieces, each after the previous one was taken (backpressure).
void download(rodeo::req& req, size_t i) {
  auto last = i + 1 == pieces;
  req.stream_body(pattern(piece), last ? rodeo::fin : rodeo::nofin, [i, last](rodeo::req& r) {
    if (!last) download(r, i + 1);
  });
}

struct events_h : rodeo::handler {
  rodeo::handler_result init(rodeo::req& req) override {
    req.stream_reply(200, {{"content-type", "text/event-stream"}});
    req.stream_events({.data = "hello"}, rodeo::nofin);
    return rodeo::loop();
  }
  rodeo::handler_result info(caf::message& msg, rodeo::req& req) override {
    // Goodbye; returning ok lets the default end the stream.
    if (msg.match_elements<rodeo::drain_atom>()) req.stream_events({.event = "bye"}, rodeo::nofin);
    return rodeo::ok();
  }
};

// Handlers that started, so the test drains only once every exchange is under way.
std::atomic<int> uploads_started{0}, polls_started{0};

struct poll_h : rodeo::handler {
  rodeo::handler_result init(rodeo::req&) override {
    ++polls_started;
    return rodeo::loop();
  }
};

struct echo_h : rodeo::websocket_handler {
  rodeo::ws::commands websocket_handle(const rodeo::ws::in_frame& f) override {
    if (f.type != rodeo::ws::frame_type::text) return {};
    return {rodeo::ws::text(std::string{f.data})};
  }
  rodeo::ws::commands websocket_info(caf::message& msg) override {
    if (msg.match_elements<rodeo::drain_atom>()) return {rodeo::ws::text("goodbye")};
    return {};
  }
};

rodeo::route_list routes() {
  return {{"_",
           {
               {"/up",
                [](rodeo::req& req) {
                  ++uploads_started;
                  upload(req, std::make_shared<size_t>(0));
                }},
               {"/down",
                [](rodeo::req& req) {
                  req.stream_reply(200, {{"content-length", std::to_string(piece * pieces)}});
                  download(req, 0);
                }},
               {"/events", rodeo::handler_of<events_h>()},
               {"/poll", rodeo::handler_of<poll_h>()},
               {"/ws", rodeo::websocket_of<echo_h>()},
               {"/hello",
                [](rodeo::req& req) {
                  req.reply(200, {}, "hi");
                }},
               // Never answered: only the deadline closes it.
               {"/stuck",
                [](rodeo::req& req) {
                  req.read_body([](rodeo::req&, std::string, rodeo::is_fin) {});
                }},
           }}};
}

// What one client saw; `ok` only when its whole exchange completed as it should.
struct outcome {
  std::atomic<int> ready{0}, ok{0};
  std::mutex m;
  std::vector<std::string> failures;
  void fail(const std::string& why) {
    std::lock_guard g{m};
    failures.push_back(why);
  }
};

}  // namespace

TEST_CASE(
    "drain: 200 busy clients (uploads, downloads, SSE, polls, WebSocket) all complete whole") {
  uploads_started = 0;
  polls_started = 0;
  server srv;
  srv.start(routes(), {.max_connections = 1000});
  constexpr int per_kind = 40;
  std::atomic<bool> draining{false};
  outcome out;
  auto wait_drain = [&] {
    return eventually([&] { return draining.load(); });
  };
  std::vector<std::thread> clients;
  for (int i = 0; i < per_kind; ++i) {
    clients.emplace_back([&, i] {  // upload: half the body before the drain, half after
      try {
        net_test::client c{srv.port};
        std::string body = pattern(100000 + i);
        c.send("POST /up HTTP/1.1\r\nhost: x\r\ncontent-length: " + std::to_string(body.size()) +
               "\r\n\r\n" + body.substr(0, body.size() / 2));
        ++out.ready;
        if (!wait_drain()) return out.fail("upload: no drain");
        c.send(body.substr(body.size() / 2));
        auto r = c.read_response();
        if (!r || r->status != 200 || r->body != std::to_string(body.size()))
          return out.fail("upload: bad response");
        if (!c.closed_by_peer()) return out.fail("upload: the connection stayed open");
        ++out.ok;
      } catch (const std::exception& e) {
        out.fail(std::string{"upload: "} + e.what());
      }
    });
    clients.emplace_back([&] {  // download: read slowly, mostly after the drain began
      try {
        net_test::client c{srv.port, 4096};
        c.send("GET /down HTTP/1.1\r\nhost: x\r\n\r\n");
        auto head = c.read_head();
        if (head.status != 200) return out.fail("download: no head");
        ++out.ready;
        if (!wait_drain()) return out.fail("download: no drain");
        std::string& got = c.buffered();
        while (got.size() < piece * pieces)
          if (!c.fill(5s)) break;
        if (got.size() != piece * pieces)
          return out.fail("download: cut at " + std::to_string(got.size()));
        std::string want;
        for (size_t k = 0; k < pieces; ++k) want += pattern(piece);
        if (got != want) return out.fail("download: wrong bytes");
        if (!c.closed_by_peer()) return out.fail("download: the connection stayed open");
        ++out.ok;
      } catch (const std::exception& e) {
        out.fail(std::string{"download: "} + e.what());
      }
    });
    clients.emplace_back([&] {  // SSE: hello, then bye and a clean end of the chunked body
      try {
        net_test::client c{srv.port};
        c.send("GET /events HTTP/1.1\r\nhost: x\r\n\r\n");
        auto head = c.read_head();
        if (head.status != 200) return out.fail("events: no head");
        ++out.ready;
        while (c.buffered().find("hello") == std::string::npos)
          if (!c.fill(5s)) return out.fail("events: no hello");
        while (c.buffered().find("\r\n0\r\n\r\n") == std::string::npos)
          if (!c.fill(10s)) return out.fail("events: the stream did not end cleanly");
        if (c.buffered().find("event: bye") == std::string::npos)
          return out.fail("events: no goodbye");
        ++out.ok;
      } catch (const std::exception& e) {
        out.fail(std::string{"events: "} + e.what());
      }
    });
    clients.emplace_back([&] {  // long poll: ends with the protocol's 204
      try {
        net_test::client c{srv.port};
        c.send("GET /poll HTTP/1.1\r\nhost: x\r\n\r\n");
        ++out.ready;
        auto r = c.read_response(false, 10s);
        if (!r || r->status != 204) return out.fail("poll: no 204");
        ++out.ok;
      } catch (const std::exception& e) {
        out.fail(std::string{"poll: "} + e.what());
      }
    });
    clients.emplace_back([&, i] {  // WebSocket: echoes, then goodbye and close 1001
      try {
        client c{srv.port};
        if (c.handshake("/ws").status != 101) return out.fail("ws: no upgrade");
        auto msg = "ping " + std::to_string(i);
        c.send_text(msg);
        if (c.next_text() != msg) return out.fail("ws: no echo");
        ++out.ready;
        auto bye = c.next_text(10s);
        if (bye != "goodbye") return out.fail("ws: got " + bye);
        auto code = c.close_code(5s);
        if (code != 1001) return out.fail("ws: close code " + std::to_string(code));
        c.send_close(1001);
        ++out.ok;
      } catch (const std::exception& e) {
        out.fail(std::string{"ws: "} + e.what());
      }
    });
  }
  // Idle keep-alive connections close at once.
  std::vector<std::unique_ptr<net_test::client>> idle;
  for (int i = 0; i < 10; ++i) {
    idle.push_back(std::make_unique<net_test::client>(srv.port));
    idle.back()->send("GET /hello HTTP/1.1\r\nhost: x\r\n\r\n");
    auto r = idle.back()->read_response();
    REQUIRE(r);
    CHECK(r->status == 200);
  }
  REQUIRE(eventually([&] {
    return out.ready.load() == 5 * per_kind && uploads_started.load() == per_kind &&
           polls_started.load() == per_kind;
  }));
  REQUIRE(
      eventually([&] { return rodeo::connection_count(srv.node, "ws") == 5u * per_kind + 10; }));

  size_t cut = 99;
  std::thread drainer{[&] {
    cut = rodeo::drain(srv.node, 10s);
  }};
  REQUIRE(eventually([&] {
    auto st = rodeo::get_status(srv.node, "ws");
    return !st || st == rodeo::listener_status::draining;
  }));
  draining = true;
  CHECK_THROWS(rodeo_test::socket_client{srv.port});  // new connections are refused
  for (auto& c : idle) CHECK(c->closed_by_peer());
  for (auto& t : clients) t.join();
  drainer.join();
  {
    std::lock_guard g{out.m};
    for (auto& f : out.failures) FAIL_CHECK(f);
  }
  CHECK(out.ok.load() == 5 * per_kind);
  CHECK(cut == 0);
  CHECK_FALSE(rodeo::get_status(srv.node, "ws"));  // drained listeners are stopped
}

TEST_CASE("drain: what is left at the deadline is closed and counted") {
  server srv;
  srv.start(routes());
  net_test::client stuck{srv.port}, done{srv.port};
  stuck.send("POST /stuck HTTP/1.1\r\nhost: x\r\ncontent-length: 100\r\n\r\nonly part");
  done.send("GET /hello HTTP/1.1\r\nhost: x\r\n\r\n");
  REQUIRE(done.read_response());
  REQUIRE(eventually([&] { return rodeo::connection_count(srv.node, "ws") == 2u; }));
  // Past linger_timeout (1 s), so the idle connection, closed at once, has finished lingering.
  CHECK(rodeo::drain(srv.node, 1500ms) == 1);
  CHECK(stuck.closed_by_peer());
  CHECK(done.closed_by_peer());
  CHECK(rodeo::drain(srv.node, 300ms) == 0);  // nothing left to drain
}
