// HTTP/1.1 over loopback: keep-alive, pipelining, bodies, 100-continue, HEAD, limits and errors,
// with raw sockets for exact bytes and curl for a real client.
#include <catch2/catch.hpp>

#include "net_support.hpp"
#include "rodeo/connection.hpp"

using namespace net_test;
using namespace std::chrono_literals;

namespace {

using delay_atom = caf::atom_constant<caf::atom("delay")>;

struct echo_h : rodeo::handler {
  std::string body;
  rodeo::handler_result init(rodeo::req& req) override {
    read(req);
    return rodeo::ok();
  }
  void read(rodeo::req& req) {
    req.read_body([this](rodeo::req& r, std::string data, rodeo::is_fin fin) {
      body += data;
      if (fin == rodeo::fin)
        r.reply(200, {{"content-type", "text/plain"}}, std::move(body));
      else
        read(r);
    });
  }
};

// Replies "<n>" after n milliseconds: pipelined requests with falling delays test the order.
struct delayed_h : rodeo::handler {
  rodeo::handler_result init(rodeo::req& req) override {
    auto ms = req.binding("ms")->as_int();
    req.self()->delayed_send(req.self(), std::chrono::milliseconds{ms}, delay_atom::value);
    return rodeo::loop();
  }
  rodeo::handler_result info(caf::message&, rodeo::req& req) override {
    req.reply(200, {}, req.binding("ms") ? std::to_string(req.binding("ms")->as_int()) : "");
    return rodeo::stop();
  }
};

struct stream_h : rodeo::handler {
  rodeo::handler_result init(rodeo::req& req) override {
    req.stream_reply(200, {{"content-type", "text/plain"}, {"trailer", "x-checksum"}});
    req.stream_body("hello ", rodeo::nofin);
    req.stream_body("world", rodeo::nofin);
    if (req.qs() == "trailers")
      req.stream_trailers({{"x-checksum", "42"}});
    else
      req.stream_body("", rodeo::fin);
    return rodeo::ok();
  }
};

rodeo::route_list routes() {
  return {
      {"_",
       {
           {"/",
            [](rodeo::req& req) {
              req.reply(200, {{"content-type", "text/plain"}}, "Hello world!");
            }},
           {"/echo", rodeo::handler_of<echo_h>()},
           {"/noreply",
            [](rodeo::req&) {
            }},
           {"/delay/:ms", {{"ms", {rodeo::constraint::int_()}}}, rodeo::handler_of<delayed_h>()},
           {"/stream", rodeo::handler_of<stream_h>()},
           {"/big",
            [](rodeo::req& req) {
              req.reply(200, {}, std::string(16 << 20, 'b'));
            }},
       }}};
}

std::string get(const std::string& path, const std::string& extra = "") {
  return "GET " + path + " HTTP/1.1\r\nHost: localhost\r\n" + extra + "\r\n";
}

}  // namespace

TEST_CASE("GET / answers 200 with date, server and content-length headers") {
  server srv;
  srv.start(routes());
  client c{srv.port};
  c.send(get("/"));
  auto r = c.read_response();
  REQUIRE(r);
  CHECK(r->status == 200);
  CHECK(r->body == "Hello world!");
  CHECK(r->header_or("content-length") == "12");
  CHECK(r->header_or("server") == "Rodeo");
  CHECK(r->header_or("date").size() == 29);
  CHECK(r->header_or("content-type") == "text/plain");
}

TEST_CASE("curl gets Hello world! and reuses its connection") {
  server srv;
  srv.start(routes());
  auto r = curl(srv.port, "", "/");
  CHECK(r.out.find("Hello world!") != std::string::npos);
  // Two transfers in one curl: the second opens no new connection (num_connects is 0).
  auto url = "http://127.0.0.1:" + std::to_string(srv.port) + "/";
  auto two = run("curl -s -o /dev/null -o /dev/null --max-time 10 -w '%{num_connects} ' " + url +
                 " " + url);
  CHECK(two.out == "1 0 ");
}

TEST_CASE("keep-alive: one connection serves several requests") {
  server srv;
  srv.start(routes());
  client c{srv.port};
  for (int i = 0; i < 5; ++i) {
    c.send(get("/"));
    auto r = c.read_response();
    REQUIRE(r);
    CHECK(r->status == 200);
    CHECK(r->header("connection") == nullptr);
  }
}

TEST_CASE("max_keepalive: the last allowed request is answered with connection: close") {
  server srv;
  srv.start(routes(), [](rodeo::protocol_options& p) { p.max_keepalive = 3; });
  client c{srv.port};
  for (int i = 1; i <= 3; ++i) {
    c.send(get("/"));
    auto r = c.read_response();
    REQUIRE(r);
    CHECK(r->header_or("connection") == (i == 3 ? "close" : ""));
  }
  CHECK(c.closed_by_peer());
}

TEST_CASE("connection: close is answered with connection: close, then the connection closes") {
  server srv;
  srv.start(routes());
  client c{srv.port};
  c.send(get("/", "Connection: close\r\n"));
  auto r = c.read_response();
  REQUIRE(r);
  CHECK(r->status == 200);
  CHECK(r->header_or("connection") == "close");
  CHECK(c.closed_by_peer());
}

TEST_CASE("HTTP/1.0 without keep-alive is closed after the response") {
  server srv;
  srv.start(routes());
  client c{srv.port};
  c.send("GET / HTTP/1.0\r\n\r\n");
  auto r = c.read_response();
  REQUIRE(r);
  CHECK(r->status == 200);
  CHECK(r->body == "Hello world!");
  CHECK(c.closed_by_peer());
}

TEST_CASE("HTTP/1.0 with keep-alive keeps the connection and says so") {
  server srv;
  srv.start(routes());
  client c{srv.port};
  for (int i = 0; i < 2; ++i) {
    c.send("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
    auto r = c.read_response();
    REQUIRE(r);
    CHECK(r->header_or("connection") == "keep-alive");
  }
}

TEST_CASE("pipelined requests are answered in order") {
  server srv;
  srv.start(routes());
  client c{srv.port};
  c.send(get("/delay/60") + get("/delay/30") + get("/delay/0") + get("/"));
  for (auto expected : {"60", "30", "0", "Hello world!"}) {
    auto r = c.read_response();
    REQUIRE(r);
    CHECK(r->body == expected);
  }
}

TEST_CASE("content-length request bodies are read") {
  server srv;
  srv.start(routes());
  auto r = curl(srv.port, "-X POST --data-binary 'some body bytes'", "/echo");
  CHECK(r.out == "some body bytes");
}

TEST_CASE("chunked request bodies are read, trailers accepted") {
  server srv;
  srv.start(routes());
  client c{srv.port};
  c.send(
      "POST /echo HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
      "5\r\nhello\r\n1;ext=x\r\n \r\n5\r\nworld\r\n0\r\nX-Sum: 1\r\n\r\n");
  auto r = c.read_response();
  REQUIRE(r);
  CHECK(r->body == "hello world");
  c.send(get("/"));
  auto again = c.read_response();
  REQUIRE(again);
  CHECK(again->body == "Hello world!");
}

TEST_CASE("a large request body arrives whole (read in pieces as the handler asks)") {
  server srv;
  srv.start(routes(), [](rodeo::protocol_options& p) { p.initial_stream_flow_size = 1000; });
  std::string body(3 << 20, 'x');
  for (size_t i = 0; i < body.size(); i += 997) body[i] = static_cast<char>('a' + i % 26);
  client c{srv.port};
  c.send("POST /echo HTTP/1.1\r\nHost: h\r\nContent-Length: " + std::to_string(body.size()) +
         "\r\n\r\n");
  std::thread sender{[&] {
    c.send(body);
  }};
  auto r = c.read_response(false, 20s);
  sender.join();
  REQUIRE(r);
  CHECK(r->body.size() == body.size());
  CHECK(r->body == body);
}

TEST_CASE("curl sends chunked bodies and waits for 100-continue") {
  server srv;
  srv.start(routes());
  auto chunked =
      curl(srv.port, "-X POST -H 'transfer-encoding: chunked' --data-binary 'in chunks'", "/echo");
  CHECK(chunked.out == "in chunks");
  std::string big(5000, 'z');
  // The received heads, as curl dumps them: the interim 100 comes before the final 200.
  auto heads = curl(
      srv.port, "-D - -o /dev/null -X POST -H 'expect: 100-continue' --data-binary '" + big + "'",
      "/echo");
  CHECK(heads.out.rfind("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n", 0) == 0);
  auto cont =
      curl(srv.port, "-X POST -H 'expect: 100-continue' --data-binary '" + big + "'", "/echo");
  CHECK(cont.out == big);
}

TEST_CASE("expect: 100-continue: 100 is sent when the handler reads the body") {
  server srv;
  srv.start(routes());
  client c{srv.port};
  c.send("POST /echo HTTP/1.1\r\nHost: h\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n");
  auto interim = c.read_response();
  REQUIRE(interim);
  CHECK(interim->status == 100);
  c.send("body");
  auto r = c.read_response();
  REQUIRE(r);
  CHECK(r->status == 200);
  CHECK(r->body == "body");
}

TEST_CASE("expect: 100-continue: no 100 when the handler answers without reading, then close") {
  server srv;
  srv.start(routes());
  client c{srv.port};
  c.send("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n");
  auto r = c.read_response();
  REQUIRE(r);
  CHECK(r->status == 200);
  CHECK(r->header_or("connection") == "close");
  CHECK(c.closed_by_peer());
}

TEST_CASE("an unread request body is skipped and the connection serves the next request") {
  server srv;
  srv.start(routes());
  client c{srv.port};
  c.send("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n\r\n0123456789" + get("/"));
  for (int i = 0; i < 2; ++i) {
    auto r = c.read_response();
    REQUIRE(r);
    CHECK(r->status == 200);
    CHECK(r->header("connection") == nullptr);
  }
}

TEST_CASE("HEAD gets the headers with the content-length, no body, and keeps the connection") {
  server srv;
  srv.start(routes());
  client c{srv.port};
  c.send("HEAD / HTTP/1.1\r\nHost: h\r\n\r\n");
  auto r = c.read_response(true);
  REQUIRE(r);
  CHECK(r->status == 200);
  CHECK(r->header_or("content-length") == "12");
  c.send(get("/"));
  auto after = c.read_response();
  REQUIRE(after);
  CHECK(after->body == "Hello world!");
}

TEST_CASE("a handler that sends no reply gets 204") {
  server srv;
  srv.start(routes());
  client c{srv.port};
  c.send(get("/noreply"));
  auto r = c.read_response();
  REQUIRE(r);
  CHECK(r->status == 204);
  CHECK(r->header("content-length") == nullptr);
}

TEST_CASE("no route is 404") {
  server srv;
  srv.start(routes());
  client c{srv.port};
  c.send(get("/nowhere"));
  auto r = c.read_response();
  REQUIRE(r);
  CHECK(r->status == 404);
}

TEST_CASE("a streamed response is chunked and ends with the last chunk") {
  server srv;
  srv.start(routes());
  client c{srv.port};
  c.send(get("/stream"));
  auto r = c.read_response();
  REQUIRE(r);
  CHECK(r->chunked);
  CHECK(r->body == "hello world");
  c.send(get("/"));
  CHECK(c.read_response());
}

TEST_CASE("stream_trailers sends trailers to a client that accepts them") {
  server srv;
  srv.start(routes());
  client c{srv.port};
  c.send(get("/stream?trailers", "TE: trailers\r\n"));
  auto r = c.read_response();
  REQUIRE(r);
  CHECK(r->body == "hello world");
  REQUIRE(c.trailers.size() == 1);
  CHECK(c.trailers[0].first == "x-checksum");
  CHECK(c.trailers[0].second == "42");
}

TEST_CASE("HTTP/1.0 streamed responses are delimited by closing the connection") {
  server srv;
  srv.start(routes());
  client c{srv.port};
  c.send("GET /stream HTTP/1.0\r\n\r\n");
  auto r = c.read_response();
  REQUIRE(r);
  CHECK_FALSE(r->chunked);
  CHECK(r->body == "hello world");
}

TEST_CASE("a large response is written whole through short writes") {
  server srv;
  srv.start(routes());
  client c{srv.port};
  c.send(get("/big"));
  auto r = c.read_response(false, 30s);
  REQUIRE(r);
  CHECK(r->body.size() == (16u << 20));
}

namespace {

// Sends raw bytes and expects `status`, then a close.
void expect_error(const std::string& bytes, int status,
                  std::function<void(rodeo::protocol_options&)> tweak = {}) {
  server srv;
  srv.start(routes(), std::move(tweak));
  client c{srv.port};
  c.send(bytes);
  auto r = c.read_response();
  REQUIRE(r);
  CHECK(r->status == status);
  CHECK(r->header_or("connection") == "close");
  CHECK(c.closed_by_peer());
}

}  // namespace

TEST_CASE("an unknown method is answered 501 and the connection closed") {
  expect_error("BREW / HTTP/1.1\r\nHost: h\r\n\r\n", 501);
}

TEST_CASE("a method longer than max_method_length is answered 501") {
  expect_error("OPTIONS / HTTP/1.1\r\nHost: h\r\n\r\n", 501,
               [](rodeo::protocol_options& p) { p.max_method_length = 4; });
}

TEST_CASE("a request line longer than max_request_line_length is answered 414") {
  expect_error(get("/" + std::string(9000, 'a')), 414);
}

TEST_CASE("a header name longer than max_header_name_length is answered 431") {
  expect_error(get("/", std::string(65, 'n') + ": v\r\n"), 431);
}

TEST_CASE("a header value longer than max_header_value_length is answered 431") {
  expect_error(get("/", "x: " + std::string(4097, 'v') + "\r\n"), 431);
}

TEST_CASE("more headers than max_headers is answered 431") {
  std::string hs;
  for (int i = 0; i < 10; ++i) hs += "x-" + std::to_string(i) + ": v\r\n";
  expect_error(get("/", hs), 431, [](rodeo::protocol_options& p) { p.max_headers = 5; });
}

TEST_CASE("a malformed request line is answered 400") {
  expect_error("GET /a b HTTP/1.1\r\nHost: h\r\n\r\n", 400);
}

TEST_CASE("an unknown transfer-encoding is answered 501") {
  expect_error("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip\r\n\r\n", 501);
}

TEST_CASE("CONNECT and TRACE are answered 501") {
  expect_error("CONNECT h:443 HTTP/1.1\r\nHost: h:443\r\n\r\n", 501);
  expect_error("TRACE / HTTP/1.1\r\nHost: h\r\n\r\n", 501);
}

TEST_CASE("HTTP/2.0 and unknown HTTP versions are answered 505") {
  expect_error("GET / HTTP/2.0\r\nHost: h\r\n\r\n", 505);
  expect_error("GET / HTTP/1.7\r\nHost: h\r\n\r\n", 505);
}

TEST_CASE("a missing, repeated or invalid host on HTTP/1.1 is answered 400") {
  expect_error("GET / HTTP/1.1\r\n\r\n", 400);
  expect_error("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400);
  expect_error("GET / HTTP/1.1\r\nHost: a:b:c\r\n\r\n", 400);
}

TEST_CASE("request smuggling patterns are answered 400 and the connection closed") {
  expect_error(
      "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nTransfer-Encoding: "
      "chunked\r\n\r\n0\r\n\r\n",
      400);
  expect_error("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\nx",
               400);
  expect_error("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nxy",
               400);
  expect_error("GET / HTTP/1.1\nHost: h\r\n\r\n", 400);
  expect_error("GET / HTTP/1.1\r\nHost: h\rX: y\r\n\r\n", 400);
  expect_error("GET / HTTP/1.1\r\nHost: h\r\nX: a\r\n folded\r\n\r\n", 400);
}

TEST_CASE("chunked framing is strict: every line of a chunked body must end in CRLF") {
  const std::string head = "POST /echo HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n";
  expect_error(head + "5\r\nhelloXX0\r\n\r\n", 400);           // chunk data not ended by CRLF
  expect_error(head + "5\rXhello\r\n0\r\n\r\n", 400);          // CR + any byte in a size line
  expect_error(head + "5\r\nhello\r\n0\rX\r\n", 400);          // ... in the last-chunk line
  expect_error(head + "5\r\nhello\r\n0\r\n\rX", 400);          // ... as the final CRLF
  expect_error(head + "5\r\nhello\r\n0\r\nA: b\rX\r\n", 400);  // ... after a trailer
  expect_error(head + "5\nhello\r\n0\r\n\r\n", 400);           // a bare LF
}

TEST_CASE("chunk extensions are bounded by max_chunk_extension_length, sizes by 63 bits") {
  const std::string head = "POST /echo HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n";
  expect_error(head + "5;" + std::string(200, 'x') + "\r\nhello\r\n0\r\n\r\n", 400);
  expect_error(head + "5;abcdefghij\r\nhello\r\n0\r\n\r\n", 400,
               [](rodeo::protocol_options& p) { p.max_chunk_extension_length = 8; });
  expect_error(head + "8000000000000000\r\nhello", 400);
  expect_error(head + "10000000000000005\r\nhello", 400);
  // Within the limits the same body is served and the connection stays open.
  server srv;
  srv.start(routes());
  client c{srv.port};
  c.send(head + "5;" + std::string(120, 'x') + "\r\nhello\r\n00000000000000000000\r\n\r\n");
  auto r = c.read_response();
  REQUIRE(r);
  CHECK(r->status == 200);
  CHECK(r->body == "hello");
  c.send(get("/"));
  REQUIRE(c.read_response());
}

TEST_CASE("HTTP/0.9-style request lines (no version) are answered 400") {
  expect_error("GET /\r\n\r\n", 400);
  expect_error("POST /echo\r\nHost: h\r\nContent-Length: 2\r\n\r\nhi", 400);
}

TEST_CASE("request_timeout: a partial request is answered 408 once the timeout passed") {
  server srv;
  srv.start(routes(), [](rodeo::protocol_options& p) { p.request_timeout = 200ms; });
  auto start = clock::now();
  client c{srv.port};
  c.send("GET / HTTP/1.1\r\nHost:");
  auto r = c.read_response();
  REQUIRE(r);
  CHECK(rodeo_test::in_timeout_window(clock::now() - start, 200ms));
  CHECK(r->status == 408);
  CHECK(r->header_or("connection") == "close");
  CHECK(c.closed_by_peer());
}

TEST_CASE("request_timeout: a connection that sent nothing is closed silently") {
  server srv;
  srv.start(routes(), [](rodeo::protocol_options& p) { p.request_timeout = 200ms; });
  auto start = clock::now();
  client c{srv.port};
  CHECK(c.closed_by_peer());
  CHECK(rodeo_test::in_timeout_window(clock::now() - start, 200ms));
  CHECK(c.buffered().empty());
}

TEST_CASE("request_timeout applies between keep-alive requests") {
  server srv;
  srv.start(routes(), [](rodeo::protocol_options& p) { p.request_timeout = 200ms; });
  client c{srv.port};
  auto start = clock::now();  // the server re-arms the timeout after this request's response
  c.send(get("/"));
  REQUIRE(c.read_response());
  CHECK(c.closed_by_peer());
  CHECK(rodeo_test::in_timeout_window(clock::now() - start, 200ms));
}

TEST_CASE("idle_timeout closes a connection on which nothing happens") {
  server srv;
  srv.start(routes(), [](rodeo::protocol_options& p) {
    p.idle_timeout = 200ms;
    p.request_timeout = 60s;
  });
  client c{srv.port};
  auto start = clock::now();  // the server's idle clock restarts when it reads these bytes
  c.send("GET / HTTP/1.1\r\nHost: h\r\n");
  CHECK(c.closed_by_peer());
  CHECK(rodeo_test::in_timeout_window(clock::now() - start, 200ms));
}

TEST_CASE("a client that resets the connection during a large response does not hurt the server") {
  server srv;
  srv.start(routes());
  for (int i = 0; i < 3; ++i) {
    client c{srv.port};
    c.send(get("/big"));
    REQUIRE(c.fill(5s));  // the response started
    linger l{1, 0};       // close with a reset
    setsockopt(c.fd(), SOL_SOCKET, SO_LINGER, &l, sizeof l);
    c.close();
  }
  CHECK(eventually([&] { return rodeo::connection_count(srv.node, "test") == 0u; }));
  client after{srv.port};
  after.send(get("/"));
  auto r = after.read_response();
  REQUIRE(r);
  CHECK(r->body == "Hello world!");
}

namespace {

// A protocol that takes the connection over after the 101 and echoes bytes back.
struct echo_protocol : rodeo::connection_upgrade {
  caf::behavior take_over(caf::event_based_actor* self, rodeo::protocol_handover h) override {
    auto st = std::make_shared<rodeo::protocol_handover>(std::move(h));
    self->attach_functor([st] { st->transport.reset(); });
    // The tail of the 101 first, then the bytes that came after the upgrade request.
    if (!st->input.empty()) st->output.push(std::move(st->input));
    st->output.flush(*st->transport);
    auto echo = [self, st] {
      st->transport->rearm_read();
      char buf[4096];
      for (;;) {
        auto r = st->transport->read(buf);
        if (r.what == rodeo::io_status::ok) {
          st->output.push(std::string{buf, r.bytes});
          st->output.flush(*st->transport);
          continue;
        }
        if (r.what != rodeo::io_status::would_block) self->quit();
        return;
      }
    };
    echo();
    return {[echo](rodeo::readable_atom) { echo(); },
            [](rodeo::writable_atom) {
            }};
  }
};

}  // namespace

TEST_CASE("switch_protocol: after the 101 the new protocol owns the connection") {
  server srv;
  srv.start({{"_", {{"/upgrade", [](rodeo::req& req) {
                       req.switch_protocol({{"connection", "upgrade"}, {"upgrade", "echo"}},
                                           std::make_shared<echo_protocol>());
                     }}}}});
  client c{srv.port};
  c.send("GET /upgrade HTTP/1.1\r\nHost: h\r\nConnection: upgrade\r\nUpgrade: echo\r\n\r\nearly ");
  auto r = c.read_response(true);
  REQUIRE(r);
  CHECK(r->status == 101);
  CHECK(r->header_or("upgrade") == "echo");
  c.send("bytes");
  CHECK(eventually([&] {
    c.fill(50ms);
    return c.buffered() == "early bytes";
  }));
  c.close();
  CHECK(eventually([&] { return rodeo::connection_count(srv.node, "test") == 0u; }));
}

namespace {

// A stream handler whose early_error marks the error responses the protocol sends.
class marking_h final : public rodeo::stream_handler_factory {
 public:
  std::unique_ptr<rodeo::stream_handler> make() const override {
    return std::make_unique<rodeo::stream_handler>();
  }
  void early_error(uint64_t, const rodeo::request* req, rodeo::cmd::response& resp) const override {
    // HTTP/1.1 passes Cowboy's partial request: the listener and peer, no method when the head
    // did not parse.
    resp.headers.set("x-early-error", !req                  ? "no request"
                                      : req->method.empty() ? "partial request from " + req->peer.ip
                                                            : "with request");
    resp.body = "explained";
  }
};

}  // namespace

TEST_CASE("stream handlers' early_error shapes the protocol's error responses") {
  server srv;
  srv.start(routes(), [](rodeo::protocol_options& p) {
    p.stream_handlers.insert(p.stream_handlers.begin(), std::make_shared<marking_h>());
  });
  client c{srv.port};
  c.send("GET / HTTP/1.1\r\n\r\n");
  auto r = c.read_response();
  REQUIRE(r);
  CHECK(r->status == 400);
  CHECK(r->header_or("x-early-error") == "partial request from 127.0.0.1");
  CHECK(r->body == "explained");
  CHECK(c.closed_by_peer());
}

TEST_CASE("send_timeout: a client that never reads a large response is closed after it") {
  server srv;
  srv.start(routes(), [](rodeo::protocol_options& p) { p.send_timeout = 300ms; });
  client c{srv.port, 4096};
  c.send(get("/big"));  // 16 MiB, never read
  REQUIRE(eventually([&] { return rodeo::connection_count(srv.node, "test") == 1u; }));
  auto start = std::chrono::steady_clock::now();
  REQUIRE(eventually([&] { return rodeo::connection_count(srv.node, "test") == 0u; }, 10s));
  auto took = std::chrono::steady_clock::now() - start;
  CHECK(took >= 250ms);  // not before the timeout (the count was seen a little after the write)
  CHECK(took < 3s);      // well before 10x it, and the 60 s idle timeout
}

TEST_CASE("send_timeout: a slow reader that keeps taking bytes is not cut") {
  server srv;
  srv.start(routes(), [](rodeo::protocol_options& p) { p.send_timeout = 500ms; });
  client c{srv.port, 4096};
  c.send(get("/big"));
  auto r = c.read_response(false, 60s);  // reads as fast as it can: progress all along
  REQUIRE(r);
  CHECK(r->body.size() == (16u << 20));
}

TEST_CASE("body_timeout: a request body that stops arriving is answered 408 and closed") {
  server srv;
  srv.start(routes(), [](rodeo::protocol_options& p) { p.body_timeout = 300ms; });
  client c{srv.port};
  auto start = std::chrono::steady_clock::now();
  c.send("POST /echo HTTP/1.1\r\nHost: h\r\nContent-Length: 100\r\n\r\n0123456789");
  auto r = c.read_response();
  auto took = std::chrono::steady_clock::now() - start;
  REQUIRE(r);
  CHECK(r->status == 408);
  CHECK(r->header_or("connection") == "close");
  CHECK(c.closed_by_peer());
  CHECK(took >= 300ms);
  CHECK(took < 3s);
}

TEST_CASE("body_timeout: a body that trickles in faster than the timeout is read whole") {
  server srv;
  srv.start(routes(), [](rodeo::protocol_options& p) { p.body_timeout = 1s; });
  client c{srv.port};
  c.send("POST /echo HTTP/1.1\r\nHost: h\r\nContent-Length: 6\r\n\r\n");
  for (char ch : std::string("abcdef")) {
    std::this_thread::sleep_for(200ms);  // the client's pacing, not a wait for the server
    c.send(std::string(1, ch));
  }
  auto r = c.read_response();
  REQUIRE(r);
  CHECK(r->status == 200);
  CHECK(r->body == "abcdef");
}
