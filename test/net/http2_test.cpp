// HTTP/2 served by the connection actor, with real clients over loopback: curl (prior knowledge,
// h2c upgrade with a body, ALPN h2 over TLS and its fallback), nghttp (100 concurrent streams on
// one connection), raw sockets for the timeouts; the same handlers as HTTP/1.1 (plain, loop,
// stream_body/SSE, read_body), crash isolation per stream, flow control both ways, and the
// two-step GOAWAY of a drain with a stream in flight.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include <caf/all.hpp>

#include "net_support.hpp"
#include "rodeo/tls_self_signed.hpp"
#include "tls_support.hpp"

using namespace net_test;

namespace {

struct version_h : rodeo::handler {
  rodeo::handler_result init(rodeo::req& req) override {
    req.reply(200, {{"content-type", "text/plain"}}, req.version() + " " + req.method());
    return rodeo::ok();
  }
};

// Reads the whole body; answers its size and the sum of its bytes.
struct echo_h : rodeo::handler {
  size_t total = 0;
  uint64_t sum = 0;
  void more(rodeo::req& req) {
    req.read_body([this](rodeo::req& r, std::string data, rodeo::is_fin fin) {
      total += data.size();
      for (unsigned char c : data) sum += c;
      if (fin == rodeo::fin)
        r.reply(200, {}, std::to_string(total) + " " + std::to_string(sum));
      else
        more(r);
    });
  }
  rodeo::handler_result init(rodeo::req& req) override {
    more(req);
    return rodeo::ok();
  }
};

using tick_atom = caf::atom_constant<caf::atom("tick")>;

// Server-sent events from a loop handler: three ticks, then the end.
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
    req.stream_events({.data = "tick " + std::to_string(n)}, n == 3 ? rodeo::fin : rodeo::nofin);
    if (n == 3) return rodeo::stop();
    req.self()->send(req.self(), tick_atom::value);
    return rodeo::ok();
  }
};

// An endless event stream (a tick every 50 ms) that ends when the listener drains.
struct forever_h : rodeo::handler {
  int n = 0;
  rodeo::handler_result init(rodeo::req& req) override {
    req.stream_reply(200, {{"content-type", "text/event-stream"}});
    req.self()->send(req.self(), tick_atom::value);
    return rodeo::loop();
  }
  rodeo::handler_result info(caf::message& msg, rodeo::req& req) override {
    if (!msg.match_elements<tick_atom>()) return rodeo::ok();  // drain_atom: the stream ends
    req.stream_events({.data = "tick " + std::to_string(++n)}, rodeo::nofin);
    req.self()->delayed_send(req.self(), std::chrono::milliseconds{50}, tick_atom::value);
    return rodeo::ok();
  }
};

// `pieces` pieces of 64 KiB through stream_body, each sent once the last was acknowledged;
// reports to the probe how long that took.
struct download_h : rodeo::handler {
  explicit download_h(caf::actor probe) : probe(std::move(probe)) {}
  caf::actor probe;
  static constexpr int pieces = 32;
  int sent = 0;
  std::chrono::steady_clock::time_point start;
  void next(rodeo::req& req) {
    ++sent;
    req.stream_body(std::string(65536, static_cast<char>('a' + sent % 26)),
                    sent == pieces ? rodeo::fin : rodeo::nofin, [this](rodeo::req& r) {
                      if (sent < pieces) return next(r);
                      auto held = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::steady_clock::now() - start);
                      caf::anon_send(probe, static_cast<int64_t>(held.count()));
                    });
  }
  rodeo::handler_result init(rodeo::req& req) override {
    req.stream_reply(200, {{"content-length", std::to_string(pieces * 65536)}});
    start = std::chrono::steady_clock::now();
    next(req);
    return rodeo::ok();
  }
};

// Waits until `n` requests are in flight at once, then answers them all: only concurrent
// streams can finish.
struct barrier_h : rodeo::handler {
  explicit barrier_h(caf::actor barrier) : barrier(std::move(barrier)) {}
  caf::actor barrier;
  rodeo::handler_result init(rodeo::req& req) override {
    caf::anon_send(barrier, req.handle());
    return rodeo::loop(rodeo::hibernate);
  }
  rodeo::handler_result info(caf::message& msg, rodeo::req& req) override {
    if (!msg.match_elements<rodeo::reply_atom>()) return rodeo::ok();
    req.reply(200, {}, "together");
    return rodeo::stop();
  }
};

caf::behavior barrier_actor(caf::event_based_actor* self, size_t n) {
  auto waiting = std::make_shared<std::vector<caf::actor>>();
  return {[=](caf::actor& a) {
    waiting->push_back(a);
    if (waiting->size() < n) return;
    for (auto& w : *waiting) self->send(w, rodeo::reply_atom::value);
    waiting->clear();
  }};
}

// Tells the probe it started, answers `done` on (reply_atom); stays through a drain.
struct slow_h : rodeo::handler {
  explicit slow_h(caf::actor probe) : probe(std::move(probe)) {}
  caf::actor probe;
  rodeo::handler_result init(rodeo::req& req) override {
    caf::anon_send(probe, req.handle());
    return rodeo::loop(rodeo::hibernate);
  }
  rodeo::handler_result info(caf::message& msg, rodeo::req& req) override {
    if (!msg.match_elements<rodeo::reply_atom>()) return rodeo::loop(rodeo::hibernate);
    req.reply(200, {}, "done");
    return rodeo::stop();
  }
};

rodeo::route_list routes(caf::actor probe = {}, caf::actor barrier = {}) {
  return {{"_",
           {{"/", rodeo::handler_of<version_h>()},
            {"/echo", rodeo::handler_of<echo_h>()},
            {"/sse", rodeo::handler_of<sse_h>()},
            {"/download", rodeo::handler_of<download_h>(probe)},
            {"/barrier", rodeo::handler_of<barrier_h>(barrier)},
            {"/slow", rodeo::handler_of<slow_h>(probe)},
            {"/forever", rodeo::handler_of<forever_h>()},
            {"/crash", [](rodeo::req&) -> rodeo::handler_result {
               throw std::runtime_error("boom");
             }}}}};
}

std::string h2c(uint16_t port, const std::string& args, const std::string& path) {
  return curl(port, "--http2-prior-knowledge " + args, path).out;
}

std::string file_of(const tls_test::temp_dir& dir, size_t size) {
  std::string body(size, '\0');
  for (size_t i = 0; i < size; ++i) body[i] = static_cast<char>(i * 7 + i / 251);
  return dir.file("body", body);
}

uint64_t sum_of(size_t size) {
  uint64_t sum = 0;
  for (size_t i = 0; i < size; ++i) sum += static_cast<unsigned char>(i * 7 + i / 251);
  return sum;
}

// Reads until the server closes; how long that took, or nullopt when it did not close in time.
std::optional<std::chrono::milliseconds> time_to_close(client& c, clock::time_point since,
                                                       std::chrono::milliseconds limit) {
  if (!c.closed_by_peer(limit)) return std::nullopt;
  return std::chrono::duration_cast<std::chrono::milliseconds>(clock::now() - since);
}

constexpr std::string_view preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
// An empty SETTINGS frame, and the ACK of the server's.
const std::string client_settings("\0\0\0\4\0\0\0\0\0", 9);
const std::string settings_ack("\0\0\0\4\1\0\0\0\0", 9);

}  // namespace

TEST_CASE("HTTP/2 with prior knowledge: the same handlers, a 1 MiB upload, SSE, HEAD") {
  server srv;
  srv.start(routes());
  CHECK(h2c(srv.port, "", "/") == "HTTP/2 GET");
  CHECK(curl(srv.port, "--http2-prior-knowledge -w '%{http_version}' -o /dev/null", "/").out ==
        "2");
  // The upload is 16 times the initial window: it goes through only as read_body reopens it.
  tls_test::temp_dir dir;
  size_t size = 1 << 20;
  CHECK(h2c(srv.port, "--data-binary @" + file_of(dir, size), "/echo") ==
        std::to_string(size) + " " + std::to_string(sum_of(size)));
  CHECK(h2c(srv.port, "", "/sse") == "data: tick 1\n\ndata: tick 2\n\ndata: tick 3\n\n");
  auto head = h2c(srv.port, "-I", "/");
  CHECK(head.find("HTTP/2 200") == 0);
  CHECK(head.find("content-length: 11") != std::string::npos);  // "HTTP/2 HEAD"
  CHECK(h2c(srv.port, "", "/nothing-here").empty());
  CHECK(h2c(srv.port, "-w '%{http_code}' -o /dev/null", "/nothing-here") == "404");
}

TEST_CASE("HTTP/2 h2c upgrade: 101, then stream 1 is the request, with its body") {
  server srv;
  srv.start(routes());
  auto r = curl(srv.port, "--http2 -w ' %{http_version}'", "/");
  CHECK(r.out == "HTTP/2 GET 2");
  tls_test::temp_dir dir;
  size_t size = 50000;  // below the initial window: read by HTTP/1.1, then served over HTTP/2
  CHECK(
      curl(srv.port, "--http2 -w ' %{http_version}' --data-binary @" + file_of(dir, size), "/echo")
          .out == std::to_string(size) + " " + std::to_string(sum_of(size)) + " 2");
  // A body too large to read before the 101: the Upgrade is ignored, HTTP/1.1 answers.
  size = 200000;
  CHECK(
      curl(srv.port, "--http2 -w ' %{http_version}' --data-binary @" + file_of(dir, size), "/echo")
          .out == std::to_string(size) + " " + std::to_string(sum_of(size)) + " 1.1");
  // The 101 itself, from a raw client.
  client c(srv.port);
  c.send(
      "GET / HTTP/1.1\r\nhost: x\r\nconnection: Upgrade, HTTP2-Settings\r\nupgrade: h2c\r\n"
      "http2-settings: AAMAAABkAAQAAP__\r\n\r\n");
  auto h = c.read_head(5s);
  CHECK(h.status == 101);
  REQUIRE(h.header("upgrade"));
  CHECK(*h.header("upgrade") == "h2c");
}

TEST_CASE("HTTP/2 protocols option: without http2 the preface is 505 and Upgrade is ignored") {
  server srv;
  srv.start(routes(),
            [](rodeo::protocol_options& p) { p.protocols = {rodeo::http_protocol::http}; });
  CHECK(curl(srv.port, "--http2 -w ' %{http_version}'", "/").out == "HTTP/1.1 GET 1.1");
  client c(srv.port);
  c.send(std::string(preface));
  auto h = c.read_head(5s);
  CHECK(h.status == 505);
}

TEST_CASE("HTTP/2 protocols option: with only http2 every connection is HTTP/2") {
  server srv;
  srv.start(routes(),
            [](rodeo::protocol_options& p) { p.protocols = {rodeo::http_protocol::http2}; });
  CHECK(h2c(srv.port, "", "/") == "HTTP/2 GET");
  // HTTP/1.1 gets a GOAWAY (it is not a preface) and the connection closes.
  client c(srv.port);
  c.send("GET / HTTP/1.1\r\nhost: x\r\n\r\n");
  CHECK(c.closed_by_peer(5s));
}

TEST_CASE("HTTP/2 over TLS by ALPN h2, and the fallback to http/1.1") {
  rodeo::node node;
  auto cert = rodeo::make_self_signed_certificate({"localhost", "127.0.0.1"});
  auto start = [&](const std::string& name, std::vector<rodeo::http_protocol> protocols) {
    rodeo::protocol_options proto;
    proto.protocols = std::move(protocols);
    proto.env.dispatch = std::make_shared<const rodeo::dispatch>(rodeo::compile(routes()));
    rodeo::tls_options tls;
    tls.certificate = cert;
    auto info = rodeo::start_tls(node, name, {.ip = "127.0.0.1", .port = 0}, tls, std::move(proto));
    REQUIRE(info);
    return "https://127.0.0.1:" + std::to_string(info->port);
  };
  auto both = start("both", {rodeo::http_protocol::http2, rodeo::http_protocol::http});
  auto out =
      run("curl -sk --max-time 10 --http2 -w ' %{http_version} %{scheme}' " + both + "/").out;
  CHECK(out == "HTTP/2 GET 2 HTTPS");
  tls_test::temp_dir dir;
  size_t size = 1 << 20;
  CHECK(run("curl -sk --max-time 10 --http2 --data-binary @" + file_of(dir, size) + " " + both +
            "/echo")
            .out == std::to_string(size) + " " + std::to_string(sum_of(size)));
  // A client that offers only http/1.1 gets it.
  CHECK(run("curl -sk --max-time 10 --http1.1 -w ' %{http_version}' " + both + "/").out ==
        "HTTP/1.1 GET 1.1");
  auto alpn = run("printf '' | timeout 10 openssl s_client -connect " + both.substr(8) +
                  " -alpn h2,http/1.1 2>&1")
                  .out;
  CHECK(alpn.find("ALPN protocol: h2") != std::string::npos);
  // Without http2 in protocols, h2 is not offered: curl falls back to HTTP/1.1.
  auto h1 = start("h1", {rodeo::http_protocol::http});
  CHECK(run("curl -sk --max-time 10 --http2 -w ' %{http_version}' " + h1 + "/").out ==
        "HTTP/1.1 GET 1.1");
}

TEST_CASE("HTTP/2: 100 concurrent streams on one connection (nghttp)") {
  server srv;
  auto barrier = srv.node.system().spawn(barrier_actor, size_t{100});
  srv.start(routes({}, barrier));
  auto r = run(
      "nghttp -n -s -t 10 -m 100 http://127.0.0.1:" + std::to_string(srv.port) + "/barrier 2>&1",
      30);
  CHECK(r.status == 0);
  // nghttp's statistics: one line per response; all 100 were answered together.
  size_t answered = 0;
  for (size_t at = 0; (at = r.out.find(" 200 ", at)) != std::string::npos; ++at) ++answered;
  CHECK(answered == 100);
}

TEST_CASE("HTTP/2: a crash answers 500 on its stream only, the connection goes on") {
  server srv;
  srv.start(routes());
  std::string base = "http://127.0.0.1:" + std::to_string(srv.port);
  // nghttp sends all four on one connection; its statistics list each stream's status.
  auto r = run("nghttp -n -s -t 10 " + base + "/crash?a " + base + "/?b " + base + "/crash?c " +
               base + "/?d 2>&1");
  CHECK(r.status == 0);
  auto count = [&](const std::string& what) {
    size_t n = 0;
    for (size_t at = 0; (at = r.out.find(what, at)) != std::string::npos; ++at) ++n;
    return n;
  };
  CHECK(count(" 500    0 /crash") == 2);
  CHECK(count(" 200   10 /?") == 2);
}

TEST_CASE("HTTP/2 flow control: a reader that opens no window holds stream_body back") {
  server srv;
  caf::scoped_actor probe{srv.node.system()};
  srv.start(routes(caf::actor{probe}), [](rodeo::protocol_options& p) {
    p.http2.max_stream_buffer_size = 65536;
    p.http2.max_connection_buffer_size = 131072;
  });
  // python3-h2 reads without acknowledging for 1 s (its windows stay closed after 64 KiB), then
  // acknowledges everything it reads.
  tls_test::temp_dir dir;
  auto script = dir.file("slow.py", R"(import socket, sys, time
import h2.config, h2.connection, h2.events
s = socket.create_connection(('127.0.0.1', int(sys.argv[1])))
s.settimeout(0.1)
c = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True))
c.initiate_connection()
c.send_headers(1, [(':method', 'GET'), (':path', '/download'), (':scheme', 'http'),
                   (':authority', 'x')], end_stream=True)
s.sendall(c.data_to_send())
got, pending, done, start = 0, [], False, time.time()
while not done and time.time() - start < 15:
    try:
        data = s.recv(65536)
    except socket.timeout:
        data = None
    if data == b'':
        break
    for e in c.receive_data(data or b''):
        if isinstance(e, h2.events.DataReceived):
            got += len(e.data)
            pending.append((e.flow_controlled_length, e.stream_id))
        elif isinstance(e, h2.events.StreamEnded):
            done = True
    if time.time() - start > 1.0:
        for n, sid in pending:
            c.acknowledge_received_data(n, sid)
        pending = []
    s.sendall(c.data_to_send())
print(got, 'done' if done else 'cut', end='')
)");
  auto r = run("/usr/bin/python3 " + script + " " + std::to_string(srv.port), 30);
  CHECK(r.out == std::to_string(download_h::pieces * 65536) + " done");
  int64_t held = -1;
  probe->receive([&](int64_t ms) { held = ms; }, caf::after(5s) >> [] {});
  CHECK(held >= 500);  // the handler waited for the reader's windows
  // A reader that keeps up: the same handler is not held back.
  server fast;
  caf::scoped_actor fprobe{fast.node.system()};
  fast.start(routes(caf::actor{fprobe}));
  CHECK(h2c(fast.port, "-o /dev/null -w '%{size_download}'", "/download") ==
        std::to_string(download_h::pieces * 65536));
  held = -1;
  fprobe->receive([&](int64_t ms) { held = ms; }, caf::after(5s) >> [] {});
  CHECK(held >= 0);
  CHECK(held < 500);
}

TEST_CASE("HTTP/2 drain: GOAWAY in two steps, the stream in flight finishes, then it closes") {
  server srv;
  caf::scoped_actor probe{srv.node.system()};
  srv.start(routes(caf::actor{probe}), [](rodeo::protocol_options& p) {
    p.http2.goaway_initial_timeout = std::chrono::milliseconds{200};
    p.http2.goaway_complete_timeout = std::chrono::milliseconds{3000};
  });
  auto out = std::async(std::launch::async, [&] { return h2c(srv.port, "", "/slow"); });
  caf::actor handler;
  probe->receive([&](caf::actor& a) { handler = a; }, caf::after(5s) >> [] {});
  REQUIRE(handler);
  auto drained = std::async(std::launch::async, [&] {
    return rodeo::drain_listener(srv.node, "test", std::chrono::milliseconds{5000});
  });
  std::this_thread::sleep_for(std::chrono::milliseconds{500});  // past the first GOAWAY step
  caf::anon_send(handler, rodeo::reply_atom::value);
  CHECK(out.get() == "done");
  CHECK(drained.get());
}

TEST_CASE("HTTP/2 preface_timeout and settings_timeout close the connection") {
  server srv;
  srv.start(routes(), [](rodeo::protocol_options& p) {
    p.http2.preface_timeout = std::chrono::milliseconds{300};
    p.http2.settings_timeout = std::chrono::milliseconds{300};
  });
  {
    // The magic, but never the SETTINGS frame that completes the preface.
    client c(srv.port);
    auto t0 = clock::now();
    c.send(std::string(preface));
    auto closed = time_to_close(c, t0, 5s);
    REQUIRE(closed);
    CHECK(*closed >= std::chrono::milliseconds{300});
  }
  {
    // A full preface, but our SETTINGS are never acknowledged: GOAWAY SETTINGS_TIMEOUT (0x4).
    client c(srv.port);
    auto t0 = clock::now();
    c.send(std::string(preface) + client_settings);
    auto closed = time_to_close(c, t0, 5s);
    REQUIRE(closed);
    CHECK(*closed >= std::chrono::milliseconds{300});
    auto& got = c.buffered();
    CHECK(got.find(std::string("\0\0\0\4", 4)) != std::string::npos);  // the GOAWAY's error code
  }
  {
    // Acknowledged: the connection stays open past both timeouts.
    client c(srv.port);
    c.send(std::string(preface) + client_settings + settings_ack);
    CHECK_FALSE(c.closed_by_peer(1s));
  }
}

TEST_CASE("HTTP/2 idle_timeout closes a connection with nothing received") {
  server srv;
  srv.start(routes(), [](rodeo::protocol_options& p) {
    p.http2.idle_timeout = std::chrono::milliseconds{400};
  });
  client c(srv.port);
  auto t0 = clock::now();
  c.send(std::string(preface) + client_settings + settings_ack);
  auto closed = time_to_close(c, t0, 5s);
  REQUIRE(closed);
  CHECK(*closed >= std::chrono::milliseconds{400});
}

TEST_CASE("HTTP/2 hostile peers (python3-h2): rapid reset and a PING flood end in GOAWAY") {
  server srv;
  caf::scoped_actor probe{srv.node.system()};
  srv.start(routes(caf::actor{probe}), [](rodeo::protocol_options& p) {
    p.http2.max_cancel_stream_rate = {5, std::chrono::milliseconds{10000}};
    p.http2.max_received_frame_rate = {200, std::chrono::milliseconds{10000}};
  });
  tls_test::temp_dir dir;
  // Prints the GOAWAY's error code the server sent, then whether the connection closed.
  auto script = dir.file("hostile.py", R"(import socket, sys, time
import h2.config, h2.connection, h2.events
s = socket.create_connection(('127.0.0.1', int(sys.argv[1])))
s.settimeout(5)
c = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True))
c.initiate_connection()
if sys.argv[2] == 'reset':
    for i in range(10):
        sid = c.get_next_available_stream_id()
        c.send_headers(sid, [(':method', 'GET'), (':path', '/slow'), (':scheme', 'http'),
                             (':authority', 'x')], end_stream=True)
        c.reset_stream(sid)
else:
    for i in range(300):
        c.ping(b'12345678')
s.sendall(c.data_to_send())
code, closed = None, False
try:
    while True:
        data = s.recv(65536)
        if not data:
            closed = True
            break
        for e in c.receive_data(data):
            if isinstance(e, h2.events.ConnectionTerminated):
                code = int(e.error_code)
        s.sendall(c.data_to_send())
except (ConnectionResetError, BrokenPipeError):
    closed = True
except socket.timeout:
    pass
print(code, 'closed' if closed else 'open', end='')
)");
  auto py = "/usr/bin/python3 " + script + " " + std::to_string(srv.port);
  CHECK(run(py + " reset", 20).out == "11 closed");  // ENHANCE_YOUR_CALM
  CHECK(run(py + " ping", 20).out == "11 closed");
  // The server goes on serving.
  CHECK(h2c(srv.port, "", "/") == "HTTP/2 GET");
}

TEST_CASE("HTTP/2 drain: an endless SSE stream hears drain_atom and ends cleanly") {
  server srv;
  srv.start(routes(), [](rodeo::protocol_options& p) {
    p.http2.goaway_initial_timeout = std::chrono::milliseconds{100};
  });
  auto out = std::async(std::launch::async,
                        [&] { return curl(srv.port, "--http2-prior-knowledge", "/forever"); });
  CHECK(eventually([&] { return rodeo::connection_count(srv.node, "test") == 1; }, 5s));
  std::this_thread::sleep_for(std::chrono::milliseconds{300});
  CHECK(rodeo::drain_listener(srv.node, "test", std::chrono::milliseconds{5000}));
  auto r = out.get();
  CHECK(r.status == 0);  // the stream ended with END_STREAM, not a reset or a cut
  CHECK(r.out.starts_with("data: tick 1\n\n"));
}
