// WebSocket sessions through a real listener, driven by a raw-socket client: the handshake, the
// handler interface and its commands, (data, X) from threads and actors, broadcast, the close
// handshake, timeouts, flow control, the send queue policy, and every protocol error with the
// close code the server sends.
#include <catch2/catch.hpp>

#include <thread>

#include "prom.hpp"
#include "rodeo/ws_deflate.hpp"
#include "ws_session_support.hpp"

using namespace ws_session_test;
using namespace std::chrono_literals;
namespace ws = rodeo::ws;
using rodeo::ws::event_kind;
using rodeo::ws::opcode;

namespace {

struct fixture {
  server srv;
  caf::scoped_actor probe{srv.node.system()};

  void start(handler_cfg cfg = {}, rodeo::transport_options t = {}) {
    cfg.probe = caf::actor_cast<caf::actor>(probe);
    srv.start({{"_", {{"/ws", rodeo::websocket_of<test_h>(cfg)}}}}, t);
  }

  /// A client whose session is up (websocket_init ran).
  std::unique_ptr<client> connect(const std::string& extra = "", int rcvbuf = 0) {
    auto c = std::make_unique<client>(srv.port, rcvbuf);
    auto h = c->handshake("/ws", extra);
    REQUIRE(h.status == 101);
    REQUIRE(wait_for(probe, "init") == "init");
    return c;
  }

  std::string terminated() { return wait_for(probe, "terminate:"); }
};

// Sends `bytes` on a fresh session and checks the close code the server answers with, that it
// closes the TCP connection, and the terminate reason.
void expect_failure(fixture& f, const std::string& bytes, int code, const std::string& reason) {
  auto c = f.connect();
  c->send(bytes);
  CHECK(c->close_code() == code);
  CHECK(c->closed_by_peer());
  c->close();
  CHECK(f.terminated() == "terminate:" + reason);
}

std::string header_byte(int b0, int b1) {
  std::string s;
  s.push_back(static_cast<char>(b0));
  s.push_back(static_cast<char>(b1));
  return s + "\x12\x34\x56\x78";  // masking key
}

const ws::mask_key key{0x12, 0x34, 0x56, 0x78};

}  // namespace

// --- Handshake -----------------------------------------------------------------------------

TEST_CASE("session: the handshake answers 101 with the accept key and runs websocket_init") {
  fixture f;
  f.start();
  client c{f.srv.port};
  auto h = c.handshake("/ws");
  REQUIRE(h.status == 101);
  REQUIRE(h.header("sec-websocket-accept"));
  CHECK(*h.header("sec-websocket-accept") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
  CHECK(h.header("upgrade"));
  CHECK(h.header("sec-websocket-extensions") == nullptr);  // compress is off by default
  CHECK(wait_for(f.probe, "init") == "init");
  c.send_text("hello");
  CHECK(c.next_text() == "hello");
}

TEST_CASE("session: a request that is not an upgrade is answered 426 upgrade required") {
  fixture f;
  f.start();
  client c{f.srv.port};
  c.send("GET /ws HTTP/1.1\r\nHost: localhost\r\n\r\n");
  auto h = c.read_head();
  CHECK(h.status == 426);
  REQUIRE(h.header("upgrade"));
  CHECK(*h.header("upgrade") == "websocket");
  REQUIRE(h.header("sec-websocket-version"));
  CHECK(*h.header("sec-websocket-version") == "13");
  CHECK(f.terminated() == "terminate:normal");
}

TEST_CASE("session: an unsupported sec-websocket-version is answered 426 with version 13") {
  fixture f;
  f.start();
  client c{f.srv.port};
  c.send(
      "GET /ws HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 8\r\n\r\n");
  auto h = c.read_head();
  CHECK(h.status == 426);
  REQUIRE(h.header("sec-websocket-version"));
  CHECK(*h.header("sec-websocket-version") == "13");
}

TEST_CASE("session: a malformed upgrade request is answered 400 bad request") {
  fixture f;
  f.start();
  SECTION("no key") {
    client c{f.srv.port};
    c.send(
        "GET /ws HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Version: 13\r\n\r\n");
    CHECK(c.read_head().status == 400);
  }
  SECTION("a key that is not 16 bytes of base64") {
    client c{f.srv.port};
    c.send(
        "GET /ws HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Key: c2hvcnQ=\r\nSec-WebSocket-Version: 13\r\n\r\n");
    CHECK(c.read_head().status == 400);
  }
  SECTION("POST") {
    client c{f.srv.port};
    c.send(
        "POST /ws HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
        "content-length: 0\r\n\r\n");
    CHECK(c.read_head().status == 400);
  }
}

TEST_CASE("session: init may refuse the upgrade with a normal HTTP reply") {
  fixture f;
  f.start({.refuse = true});
  client c{f.srv.port};
  auto h = c.handshake("/ws");
  CHECK(h.status == 403);
  CHECK(f.terminated() == "terminate:normal");
  // The connection stays an HTTP/1.1 connection.
  c.send("GET /ws HTTP/1.1\r\nHost: localhost\r\n\r\n");
  CHECK(c.read_head().status == 403);
}

TEST_CASE("session: init selects a subprotocol the client offers") {
  fixture f;
  f.start({.pick_protocol = "chat"});
  SECTION("offered") {
    client c{f.srv.port};
    auto h = c.handshake("/ws", "Sec-WebSocket-Protocol: mqtt, chat\r\n");
    REQUIRE(h.status == 101);
    REQUIRE(h.header("sec-websocket-protocol"));
    CHECK(*h.header("sec-websocket-protocol") == "chat");
  }
  SECTION("not offered: no protocol in the answer") {
    client c{f.srv.port};
    auto h = c.handshake("/ws", "Sec-WebSocket-Protocol: mqtt\r\n");
    REQUIRE(h.status == 101);
    CHECK(h.header("sec-websocket-protocol") == nullptr);
  }
  SECTION("a malformed protocol list is a bad request") {
    client c{f.srv.port};
    CHECK(c.handshake("/ws", "Sec-WebSocket-Protocol: a b\r\n").status == 400);
  }
}

TEST_CASE("session: choosing a subprotocol the client did not offer is a server error") {
  fixture f;
  f.start({.pick_protocol = "chat", .force_protocol = true});
  client c{f.srv.port};
  CHECK(c.handshake("/ws", "Sec-WebSocket-Protocol: mqtt\r\n").status == 500);
}

TEST_CASE("session: bytes sent right after the upgrade request are not lost") {
  fixture f;
  f.start();
  client c{f.srv.port};
  c.send(upgrade_request("/ws") + ws::masked_frame(opcode::text, "early", key));
  REQUIRE(c.read_head().status == 101);
  // The decoder was not set up by handshake(): read the echo by hand.
  auto deadline = clock::now() + 5s;
  std::string want = ws::frame(opcode::text, "early");
  while (c.buffered().size() < want.size() && clock::now() < deadline) {
    pollfd p{c.fd(), POLLIN, 0};
    if (::poll(&p, 1, 100) > 0) {
      char buf[256];
      auto n = ::recv(c.fd(), buf, sizeof buf, 0);
      if (n <= 0) break;
      c.buffered().append(buf, static_cast<size_t>(n));
    }
  }
  CHECK(c.buffered() == want);
}

// --- Frames and commands -------------------------------------------------------------------

TEST_CASE("session: text and binary messages reach websocket_handle and are echoed") {
  fixture f;
  f.start();
  auto c = f.connect();
  c->send_text("héllo");
  CHECK(c->next_text() == "héllo");
  CHECK(wait_for(f.probe, "handle:") == "handle:text:héllo");
  std::string bin;
  for (int i = 0; i < 256; ++i) bin.push_back(static_cast<char>(i));
  c->send_frame(opcode::binary, bin);
  auto fr = c->next();
  CHECK(fr.kind == event_kind::binary);
  CHECK(fr.data == bin);
}

TEST_CASE(
    "session: a fragmented message is delivered whole, a ping between fragments is "
    "answered first") {
  fixture f;
  f.start();
  auto c = f.connect();
  c->send_frame(opcode::text, "Hel", false);
  c->send_frame(opcode::ping, "p1");
  c->send_frame(opcode::continuation, "lo, ", false);
  c->send_frame(opcode::continuation, "world");
  auto pong = c->next();
  CHECK(pong.kind == event_kind::pong);
  CHECK(pong.data == "p1");
  CHECK(c->next_text() == "Hello, world");
}

TEST_CASE("session: pings are answered with pongs automatically and shown to the handler") {
  fixture f;
  f.start();
  auto c = f.connect();
  c->send_frame(opcode::ping, "payload");
  auto p = c->next();
  CHECK(p.kind == event_kind::pong);
  CHECK(p.data == "payload");
  CHECK(wait_for(f.probe, "handle:") == "handle:ping:payload");
  c->send_frame(opcode::pong, "unsolicited");
  CHECK(wait_for(f.probe, "handle:") == "handle:pong:unsolicited");
  c->send_text("ping");  // the handler sends a ping command
  auto q = c->next();
  CHECK(q.kind == event_kind::ping);
  CHECK(q.data == "are you there");
}

TEST_CASE("session: messages of exactly max_frame_size (1 MiB by default) are accepted") {
  fixture f;
  f.start();
  auto c = f.connect();
  std::string big(size_t{1} << 20, 'x');
  c->send_text(big);
  auto fr = c->next(10s);
  CHECK(fr.kind == event_kind::text);
  CHECK(fr.data.size() == big.size());
}

TEST_CASE("session: active(false) stops reading until active(true), messages still arrive") {
  fixture f;
  f.start();
  auto c = f.connect();
  auto session = next_handle(f.probe);
  REQUIRE(session);
  c->send_text("pause");
  REQUIRE(c->next_text() == "paused");
  c->send_text("after");
  caf::anon_send(session, rodeo::data_atom::value, std::string{"marker"});
  // The marker passes the unread "after"; resuming delivers it.
  CHECK(c->next_text() == "marker");
  caf::anon_send(session, resume_atom::value);
  CHECK(c->next_text() == "after");
}

TEST_CASE("session: set_options changes max_frame_size of a running session") {
  fixture f;
  f.start();
  auto c = f.connect();
  c->send_text("limit:100");
  REQUIRE(c->next_text() == "limited");
  c->send_text(std::string(100, 'a'));
  CHECK(c->next_text() == std::string(100, 'a'));
  c->send_text(std::string(101, 'a'));
  CHECK(c->close_code() == ws::close_code::message_too_big);
}

TEST_CASE("session: a crash in a callback closes with 1011 and terminate gets {crash, what}") {
  fixture f;
  f.start();
  auto c = f.connect();
  c->send_text("crash");
  CHECK(c->close_code() == ws::close_code::internal_error);
  CHECK(c->closed_by_peer());
  CHECK(f.terminated() == "terminate:{crash,\"asked to crash\"}");
}

TEST_CASE("session: shutdown_reason sets the session actor's exit reason") {
  fixture f;
  f.start();
  auto c = f.connect();
  auto session = next_handle(f.probe);
  REQUIRE(session);
  f.probe->monitor(session);
  c->send_text("exit");
  CHECK(c->close_code() == ws::close_code::normal);
  c->send_close(ws::close_code::normal);
  std::string reason;
  f.probe->receive([&](caf::down_msg& d) { reason = rodeo::reason::to_string(d.reason); },
                   caf::after(5s) >> [] {});
  CHECK(reason == "{shutdown,test}");
}

// --- (data, X) ------------------------------------------------------------------------------

TEST_CASE("session: (data, X) from a plain thread and from another actor arrive in order") {
  fixture f;
  f.start();
  auto c = f.connect();
  auto session = next_handle(f.probe);
  REQUIRE(session);
  constexpr int n = 300;
  std::thread t([&] {
    for (int i = 0; i < n; ++i)
      caf::anon_send(session, rodeo::data_atom::value, std::to_string(i).insert(0, 1, 't'));
  });
  rodeo::spawn(f.srv.node.system(), [session](caf::event_based_actor* self) {
    for (int i = 0; i < n; ++i)
      self->send(session, rodeo::data_atom::value, std::to_string(i).insert(0, 1, 'a'));
  });
  t.join();
  int next_t = 0, next_a = 0;
  for (int i = 0; i < 2 * n; ++i) {
    auto s = c->next_text();
    REQUIRE(s.size() >= 2);
    int k = std::stoi(s.substr(1));
    if (s[0] == 't')
      CHECK(k == next_t++);
    else if (s[0] == 'a')
      CHECK(k == next_a++);
    else
      FAIL("unexpected " << s);
  }
  CHECK(next_t == n);
  CHECK(next_a == n);
}

TEST_CASE("session: (data, std::vector<char>) becomes a binary frame") {
  fixture f;
  f.start();
  auto c = f.connect();
  auto session = next_handle(f.probe);
  REQUIRE(session);
  caf::anon_send(session, rodeo::data_atom::value, std::vector<char>{'\0', '\1', '\2'});
  auto fr = c->next();
  CHECK(fr.kind == event_kind::binary);
  CHECK(fr.data == std::string("\0\1\2", 3));
}

TEST_CASE("session: ws_broadcast frames once and reaches every session of the group") {
  fixture f;
  handler_cfg cfg;
  cfg.group = "room";
  cfg.opts.compress = true;
  f.start(cfg);
  std::vector<std::unique_ptr<client>> cs;
  for (int i = 0; i < 5; ++i) cs.push_back(f.connect());
  // One of them agreed on permessage-deflate: it gets the shared frame uncompressed.
  cs.push_back(f.connect("Sec-WebSocket-Extensions: permessage-deflate\r\n"));
  CHECK(rodeo::ws_broadcast(f.srv.node, "room", "to all") == cs.size());
  for (auto& c : cs) CHECK(c->next_text() == "to all");
  auto shared = ws::share(ws::frame_type::binary, "xyz");
  CHECK(*shared.bytes == ws::frame(opcode::binary, "xyz"));
  CHECK(f.srv.node.groups().send("room", shared) == cs.size());
  for (auto& c : cs) CHECK(c->next().data == "xyz");
}

// --- permessage-deflate ---------------------------------------------------------------------

TEST_CASE("session: permessage-deflate is negotiated when compress is on and used both ways") {
  fixture f;
  handler_cfg cfg;
  cfg.opts.compress = true;
  f.start(cfg);
  auto c = f.connect("Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n");
  std::string text(2000, 'z');
  ws::deflater def{6, 8, 15, true};
  auto compressed = std::string{def.compress(text)};
  c->send(ws::masked_frame(opcode::text, compressed, key, true, true));
  auto deadline = clock::now() + 5s;
  while (c->buffered().empty() && clock::now() < deadline) {
    pollfd p{c->fd(), POLLIN, 0};
    if (::poll(&p, 1, 100) > 0) {
      char buf[65536];
      auto n = ::recv(c->fd(), buf, sizeof buf, 0);
      if (n <= 0) break;
      c->buffered().append(buf, static_cast<size_t>(n));
    }
  }
  REQUIRE_FALSE(c->buffered().empty());
  CHECK((static_cast<uint8_t>(c->buffered()[0]) & 0x40) != 0);  // RSV1: compressed
  CHECK(c->next_text() == text);
  // deflate(false): later messages go uncompressed.
  c->send_text("nodeflate");
  CHECK(c->next_text() == "plain");
  c->send_text(text);
  deadline = clock::now() + 5s;
  while (c->buffered().empty() && clock::now() < deadline) {
    pollfd p{c->fd(), POLLIN, 0};
    if (::poll(&p, 1, 100) > 0) {
      char buf[65536];
      auto n = ::recv(c->fd(), buf, sizeof buf, 0);
      if (n <= 0) break;
      c->buffered().append(buf, static_cast<size_t>(n));
    }
  }
  REQUIRE_FALSE(c->buffered().empty());
  CHECK((static_cast<uint8_t>(c->buffered()[0]) & 0x40) == 0);
  CHECK(c->next_text() == text);
}

TEST_CASE("session: without compress, a permessage-deflate offer is declined") {
  fixture f;
  f.start();
  client c{f.srv.port};
  auto h = c.handshake("/ws", "Sec-WebSocket-Extensions: permessage-deflate\r\n");
  REQUIRE(h.status == 101);
  CHECK(h.header("sec-websocket-extensions") == nullptr);
}

// --- Closing --------------------------------------------------------------------------------

TEST_CASE("session: a client's close is echoed, then the server closes the TCP connection") {
  fixture f;
  f.start();
  auto c = f.connect();
  SECTION("with a code and a reason") {
    c->send_close(ws::close_code::normal, "bye");
    CHECK(c->close_code() == ws::close_code::normal);
    CHECK(c->closed_by_peer());
    CHECK(f.terminated() == "terminate:{remote,1000,<<\"bye\">>}");
    CHECK(wait_for(f.probe, "terminate-path:") == "terminate-path:/ws");
  }
  SECTION("without a code") {
    c->send_frame(opcode::close, "");
    CHECK(c->close_code() == ws::close_code::no_status);  // an empty close came back
    CHECK(c->closed_by_peer());
    CHECK(f.terminated() == "terminate:remote");
  }
  SECTION("an application code") {
    c->send_close(4321, "done");
    CHECK(c->close_code() == 4321);
    CHECK(f.terminated() == "terminate:{remote,4321,<<\"done\">>}");
  }
}

TEST_CASE(
    "session: terminate gets the upgrade request without its headers, or what "
    "req_filter keeps") {
  fixture f;
  SECTION("default") {
    f.start();
    auto c = f.connect();
    c->send_close(1000);
    CHECK(wait_for(f.probe, "terminate-path:") == "terminate-path:/ws");
    CHECK(wait_for(f.probe, "terminate-headers:") == "terminate-headers:0");
  }
  SECTION("req_filter") {
    handler_cfg cfg;
    cfg.opts.req_filter = [](const rodeo::request& r) {
      return r;
    };
    f.start(cfg);
    auto c = f.connect();
    c->send_close(1000);
    CHECK(wait_for(f.probe, "terminate-path:") == "terminate-path:/ws");
    CHECK(wait_for(f.probe, "terminate-headers:") == "terminate-headers:5");
  }
}

TEST_CASE("session: a close command waits for the client's close, then closes TCP") {
  fixture f;
  f.start();
  auto c = f.connect();
  c->send_text("close");
  auto fr = c->next();
  REQUIRE(fr.kind == event_kind::close);
  CHECK(fr.code == 4000);
  CHECK(fr.data == "bye");
  CHECK_FALSE(c->closed_by_peer(100ms));  // still waiting for our close
  c->send_close(4000);
  CHECK(c->closed_by_peer());
  CHECK(f.terminated() == "terminate:stop");
}

TEST_CASE("session: a close the client never answers ends after close_timeout") {
  fixture f;
  handler_cfg cfg;
  cfg.opts.close_timeout = 200ms;
  f.start(cfg);
  auto c = f.connect();
  auto start = clock::now();  // the server starts its close (and the timeout) after this
  c->send_text("close");
  CHECK(c->close_code() == 4000);
  CHECK(c->closed_by_peer());
  CHECK(rodeo_test::in_timeout_window(clock::now() - start, 200ms));
  CHECK(f.terminated() == "terminate:stop");
}

TEST_CASE("session: messages after the client's close frame are ignored") {
  fixture f;
  f.start();
  auto c = f.connect();
  c->send(ws::masked_frame(opcode::close, ws::close_payload(1000), key) +
          ws::masked_frame(opcode::text, "late", key));
  CHECK(c->close_code() == 1000);
  CHECK(c->closed_by_peer());
  CHECK(wait_for(f.probe, "handle:", 200ms).empty());
}

TEST_CASE("session: a TCP close without a close frame ends the session with {error, closed}") {
  fixture f;
  f.start();
  auto c = f.connect();
  c->close();
  CHECK(f.terminated() == "terminate:{error,closed}");
}

TEST_CASE("session: idle_timeout closes an idle session with 1000") {
  fixture f;
  handler_cfg cfg;
  cfg.opts.idle_timeout = 150ms;
  f.start(cfg);
  auto start = clock::now();  // the session (and its idle clock) starts after the upgrade
  auto c = f.connect();
  CHECK(c->close_code() == ws::close_code::normal);
  CHECK(rodeo_test::in_timeout_window(clock::now() - start, 150ms));
  c->send_close(ws::close_code::normal);
  CHECK(c->closed_by_peer());
  CHECK(f.terminated() == "terminate:timeout");
}

TEST_CASE("session: stopping the listener closes its sessions with 1001") {
  fixture f;
  f.start();
  auto c = f.connect();
  CHECK(rodeo::stop_listener(f.srv.node, "ws"));
  CHECK(c->close_code() == ws::close_code::going_away);
  CHECK(c->closed_by_peer());
  CHECK(f.terminated() == "terminate:{error,shutdown}");
}

TEST_CASE("session: draining the listener closes its sessions with 1001 and waits for them") {
  fixture f;
  f.start();
  auto c = f.connect();
  bool drained = false;
  std::thread t([&] { drained = rodeo::drain_listener(f.srv.node, "ws", 5s); });
  CHECK(c->close_code() == ws::close_code::going_away);
  c->send_close(ws::close_code::going_away);
  CHECK(c->closed_by_peer());
  t.join();
  CHECK(drained);
  CHECK(f.terminated() == "terminate:{error,shutdown}");
}

// --- Slow clients ---------------------------------------------------------------------------

TEST_CASE("session: frames beyond max_send_queue close the session with 1008") {
  fixture f;
  handler_cfg cfg;
  cfg.opts.max_send_queue = 64 * 1024;
  f.start(cfg);
  auto c = f.connect();
  auto session = next_handle(f.probe);
  REQUIRE(session);
  // 200 KiB of frames in one callback: the queue passes 64 KiB before anything is written, so
  // the close frame is all the client gets.
  caf::anon_send(session, burst_atom::value, 200);
  int texts = 0;
  int code = -1;
  for (;;) {
    auto fr = c->next();
    if (fr.kind == event_kind::text) {
      ++texts;
      continue;
    }
    if (fr.kind == event_kind::close) code = fr.code;
    break;
  }
  CHECK(code == ws::close_code::policy_violation);
  CHECK(texts == 0);  // the frames that were waiting were dropped
  c->send_close(ws::close_code::policy_violation);
  CHECK(f.terminated() == "terminate:{error,send_queue_full}");
  auto text = rodeo::prometheus::registry::of(f.srv.node)->scrape();
  auto p = rodeo_test::prom_parse(text);
  INFO(text << p.out);
  REQUIRE(p.status == 0);
  CHECK(rodeo_test::has_line(p.out, "sample rodeo_websocket_send_queue_overflows_total  1"));
  CHECK(rodeo_test::has_line(p.out, "sample rodeo_websocket_closes_total code=1008 1"));
}

TEST_CASE("session: the send queue close code is configurable (1013 try again later)") {
  fixture f;
  handler_cfg cfg;
  cfg.opts.max_send_queue = 16 * 1024;
  cfg.opts.send_queue_close_code = ws::close_code::try_again_later;
  f.start(cfg);
  auto c = f.connect();
  auto session = next_handle(f.probe);
  REQUIRE(session);
  caf::anon_send(session, burst_atom::value, 40);
  CHECK(c->close_code() == ws::close_code::try_again_later);
}

TEST_CASE("session: a client that does not read cannot grow the server's memory") {
  fixture f;
  handler_cfg cfg;
  cfg.opts.max_send_queue = 64 * 1024;
  cfg.opts.close_timeout = 300ms;
  rodeo::transport_options t;
  t.send_buffer = 4096;
  f.start(cfg, t);
  auto c = f.connect("", 4096);
  auto session = next_handle(f.probe);
  REQUIRE(session);
  // 8 MiB pushed to a client that reads nothing: the session gives up instead of queueing it.
  std::string kib(1024, 'k');
  for (int i = 0; i < 8192; ++i) caf::anon_send(session, rodeo::data_atom::value, kib);
  CHECK(f.terminated() == "terminate:{error,send_queue_full}");
}

namespace {

// Sends `kib` one-KiB text frames to a session with send_timeout 300 ms and 4 KiB socket buffers
// on both sides, so that the client's reading alone decides how fast output moves.
std::unique_ptr<client> push_through_small_buffers(fixture& f, int kib) {
  handler_cfg cfg;
  cfg.opts.send_timeout = 300ms;
  rodeo::transport_options t;
  t.send_buffer = 4096;
  f.start(cfg, t);
  auto c = f.connect("", 4096);
  auto session = next_handle(f.probe);
  REQUIRE(session);
  std::string frame(1024, 'k');
  for (int i = 0; i < kib; ++i) caf::anon_send(session, rodeo::data_atom::value, frame);
  return c;
}

}  // namespace

TEST_CASE("session: output the client takes nothing of for send_timeout ends the session") {
  fixture f;
  auto start = clock::now();
  // 512 KiB, under max_send_queue (1 MiB): only the send timeout can end this session.
  auto c = push_through_small_buffers(f, 512);
  CHECK(f.terminated() == "terminate:{error,send_timeout}");
  CHECK(rodeo_test::in_timeout_window(clock::now() - start, 300ms));
}

TEST_CASE("session: a client that reads slowly but steadily is not cut by send_timeout") {
  fixture f;
  auto c = push_through_small_buffers(f, 256);
  // One frame every 5 ms: the whole takes over a second, far past send_timeout, but each write
  // makes progress.
  int texts = 0;
  while (texts < 256) {
    auto fr = c->next();
    REQUIRE(fr.kind == event_kind::text);
    ++texts;
    std::this_thread::sleep_for(5ms);
  }
  c->send_close(ws::close_code::normal);
  CHECK(f.terminated() == "terminate:{remote,1000,<<\"\">>}");
}

// --- Protocol errors: the close code the server sends ---------------------------------------

TEST_CASE("session: an unmasked frame is a protocol error (1002)") {
  fixture f;
  f.start();
  expect_failure(f, ws::frame(opcode::text, "hi"), 1002, "{error,badframe}");
}

TEST_CASE("session: reserved opcodes are protocol errors (1002)") {
  fixture f;
  f.start();
  auto op = GENERATE(3, 4, 5, 6, 7, 0xB, 0xC, 0xD, 0xE, 0xF);
  CAPTURE(op);
  expect_failure(f, ws::masked_frame(static_cast<opcode>(op), "x", key), 1002, "{error,badframe}");
}

TEST_CASE("session: RSV bits without a negotiated extension are protocol errors (1002)") {
  fixture f;
  f.start();
  auto b0 = GENERATE(0x81 | 0x40, 0x81 | 0x20, 0x81 | 0x10);
  CAPTURE(b0);
  expect_failure(f, header_byte(b0, 0x80), 1002, "{error,badframe}");
}

TEST_CASE("session: bad fragmentation is a protocol error (1002)") {
  fixture f;
  f.start();
  SECTION("a continuation without a message") {
    expect_failure(f, ws::masked_frame(opcode::continuation, "x", key), 1002, "{error,badframe}");
  }
  SECTION("a new message inside a fragmented one") {
    expect_failure(
        f,
        ws::masked_frame(opcode::text, "a", key, false) + ws::masked_frame(opcode::text, "b", key),
        1002, "{error,badframe}");
  }
  SECTION("a fragmented control frame") {
    expect_failure(f, ws::masked_frame(opcode::ping, "a", key, false), 1002, "{error,badframe}");
  }
}

TEST_CASE("session: a ping payload over 125 bytes is a protocol error (1002)") {
  fixture f;
  f.start();
  expect_failure(f, ws::masked_frame(opcode::ping, std::string(126, 'p'), key), 1002,
                 "{error,badframe}");
}

TEST_CASE("session: invalid close frames are protocol errors") {
  fixture f;
  f.start();
  SECTION("close codes an endpoint may not send (1002)") {
    auto code = GENERATE(0, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000);
    CAPTURE(code);
    std::string payload{static_cast<char>(code >> 8), static_cast<char>(code & 0xFF)};
    expect_failure(f, ws::masked_frame(opcode::close, payload, key), 1002, "{error,badframe}");
  }
  SECTION("a one-byte close payload (1002)") {
    expect_failure(f, ws::masked_frame(opcode::close, "\x03", key), 1002, "{error,badframe}");
  }
  SECTION("a close reason that is not UTF-8 (1007)") {
    expect_failure(f, ws::masked_frame(opcode::close, ws::close_payload(1000) + "\xff", key), 1007,
                   "{error,badencoding}");
  }
}

TEST_CASE("session: invalid UTF-8 is an error (1007), also split across fragments") {
  fixture f;
  f.start();
  SECTION("in one frame") {
    expect_failure(f, ws::masked_frame(opcode::text, "ab\xc0\xafz", key), 1007,
                   "{error,badencoding}");
  }
  SECTION("a code point split over two fragments, broken in the second") {
    expect_failure(f,
                   ws::masked_frame(opcode::text, "\xce\xba\xe1", key, false) +
                       ws::masked_frame(opcode::continuation, "\xbdz", key),
                   1007, "{error,badencoding}");
  }
  SECTION("a message ending inside a code point") {
    expect_failure(f,
                   ws::masked_frame(opcode::text, "ok", key, false) +
                       ws::masked_frame(opcode::continuation, "\xe1\xbd", key),
                   1007, "{error,badencoding}");
  }
}

TEST_CASE("session: frames and messages over max_frame_size are refused with 1009") {
  fixture f;
  handler_cfg cfg;
  cfg.opts.max_frame_size = 64 * 1024;
  f.start(cfg);
  SECTION("one frame") {
    expect_failure(f, ws::masked_frame(opcode::binary, std::string(64 * 1024 + 1, 'b'), key), 1009,
                   "{error,badsize}");
  }
  SECTION("a frame header announcing too much is refused before its payload") {
    // 127 → 64-bit length of 2^40 bytes; no payload follows.
    std::string h = header_byte(0x82, 0x80 | 127);
    h.insert(2, std::string("\0\0\1\0\0\0\0\0", 8));
    expect_failure(f, h, 1009, "{error,badsize}");
  }
  SECTION("a reassembled message") {
    std::string part(40 * 1024, 'p');
    expect_failure(f,
                   ws::masked_frame(opcode::binary, part, key, false) +
                       ws::masked_frame(opcode::continuation, part, key),
                   1009, "{error,badsize}");
  }
}

TEST_CASE("session: a deflate bomb is refused with 1009 once it inflates past max_frame_size") {
  fixture f;
  handler_cfg cfg;
  cfg.opts.compress = true;
  cfg.opts.max_frame_size = 64 * 1024;
  f.start(cfg);
  ws::deflater def{9, 9, 15, true};
  auto bomb = std::string{def.compress(std::string(size_t{8} << 20, '\0'))};
  REQUIRE(bomb.size() < 64 * 1024);
  auto c = f.connect("Sec-WebSocket-Extensions: permessage-deflate\r\n");
  c->send(ws::masked_frame(opcode::binary, bomb, key, true, true));
  CHECK(c->close_code() == ws::close_code::message_too_big);
  CHECK(c->closed_by_peer());
  c->close();
  CHECK(f.terminated() == "terminate:{error,badsize}");
}

TEST_CASE("session: invalid DEFLATE data is an error (1007)") {
  fixture f;
  handler_cfg cfg;
  cfg.opts.compress = true;
  f.start(cfg);
  auto c = f.connect("Sec-WebSocket-Extensions: permessage-deflate\r\n");
  c->send(ws::masked_frame(opcode::binary, "\xff\xff\xff\xff", key, true, true));
  CHECK(c->close_code() == ws::close_code::invalid_payload);
}

TEST_CASE("session: frames pipelined behind a message whose echo fills the send queue are served") {
  // The echo of the big message takes the send queue past its high watermark while the rest of
  // the same read is still unparsed: that rest must be processed once the queue drains, not when
  // the client happens to send more (it waited for the 60 s idle timeout).
  fixture f;
  f.start();
  for (size_t big : {size_t{262120}, size_t{600000}}) {
    auto c = f.connect();
    const std::string message(big, 'x');
    c->send(ws::masked_frame(opcode::text, message, key) +
            ws::masked_frame(opcode::text, "Hello World!", key) +
            ws::masked_frame(opcode::close, ws::close_payload(ws::close_code::normal), key) +
            ws::masked_frame(opcode::ping, "after close", key));
    auto start = clock::now();
    CHECK(c->next_text(10s) == message);
    CHECK(c->next_text(10s) == "Hello World!");
    CHECK(c->close_code(10s) == ws::close_code::normal);
    CHECK(c->closed_by_peer());
    CHECK(clock::now() - start < 10s);  // the idle timeout is 60 s
    CHECK(f.terminated() == "terminate:{remote,1000,<<\"\">>}");
  }
}

TEST_CASE(
    "session: a slow reader closed for its send queue leaves its groups at once and is cut "
    "cleanly") {
  fixture f;
  handler_cfg cfg;
  cfg.opts.max_send_queue = 64 * 1024;
  cfg.opts.close_timeout = 3s;
  cfg.group = "room";
  rodeo::transport_options t;
  t.send_buffer = 4096;
  f.start(cfg, t);
  auto c = f.connect("", 4096);
  auto session = next_handle(f.probe);
  REQUIRE(session);
  CHECK(rodeo::ws_broadcast(f.srv.node, "room", "hello") == 1);
  // A big message starts being written, then the queue overflows behind it.
  auto start = clock::now();
  caf::anon_send(session, rodeo::data_atom::value, std::string(512 * 1024, 'b'));
  for (int i = 0; i < 64; ++i) caf::anon_send(session, rodeo::data_atom::value, "more");
  // The close began: no longer a receiver at once, not when close_timeout ends the session.
  CHECK(eventually([&] { return rodeo::ws_broadcast(f.srv.node, "room", "x") == 0; }, 10s));
  CHECK(clock::now() - start < 1500ms);
  CHECK(f.srv.node.groups().members("room").empty());
  // The client never read: after close_timeout the server gives up on the rest of its output.
  CHECK(f.terminated() == "terminate:{error,send_queue_full}");
  // What the client can read is whole frames ending in the 1008 close, or a reset: never a
  // stream that just ends in the middle of a frame.
  std::string bytes;
  char buf[65536];
  bool reset = false;
  for (;;) {
    auto n = ::recv(c->fd(), buf, sizeof buf, 0);
    if (n > 0) {
      bytes.append(buf, static_cast<size_t>(n));
      continue;
    }
    reset = n < 0 && errno == ECONNRESET;
    REQUIRE((n == 0 || reset));
    break;
  }
  if (!reset) {
    ws::decoder dec{{.side = ws::role::client, .max_frame_size = 1 << 20}};
    std::span<char> in{bytes.data(), bytes.size()};
    int code = -1;
    for (;;) {
      auto ev = dec.next(in);
      if (ev.kind == event_kind::close) code = ev.code;
      if (ev.kind == event_kind::need_more || ev.kind == event_kind::close ||
          ev.kind == event_kind::error)
        break;
    }
    CHECK(code == ws::close_code::policy_violation);
  }
}
