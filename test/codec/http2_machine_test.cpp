// http2_machine against nghttp2's client session and hand-made frames: requests and responses,
// trailers, 1xx, HEAD, flow control tied to consumption, send buffers, limits and DoS guards,
// :authority/host checks, two-step GOAWAY, h2c upgrade, extended CONNECT (RFC 8441).
#include <catch2/catch.hpp>

#include "http2_test_client.hpp"

using namespace h2_test;
using rodeo::http2_error;

namespace {

// HPACK integer with an N-bit prefix (RFC 7541 5.1).
std::string hpack_int(uint8_t first, int bits, size_t v) {
  std::string out;
  size_t max = (1u << bits) - 1;
  if (v < max) return out += static_cast<char>(first | v), out;
  out += static_cast<char>(first | max);
  for (v -= max; v >= 128; v /= 128) out += static_cast<char>(0x80 | (v % 128));
  return out += static_cast<char>(v), out;
}
// A literal field with a literal name; `indexing` adds it to the dynamic table.
std::string hpack_literal(std::string_view name, std::string_view value, bool indexing = false) {
  std::string out(1, indexing ? '\x40' : '\x00');
  out += hpack_int(0, 7, name.size());
  out += name;
  out += hpack_int(0, 7, value.size());
  return out += value, out;
}
std::string request_block(std::string_view path = "/") {
  return hpack_literal(":method", "GET") + hpack_literal(":scheme", "https") +
         hpack_literal(":authority", "example.com") + hpack_literal(":path", path);
}

rodeo::http2_options small_rates() {
  rodeo::http2_options o;
  o.max_received_frame_rate = {200, std::chrono::milliseconds{10000}};
  return o;
}

}  // namespace

TEST_CASE("a GET becomes a request, the response comes back with a body and trailers") {
  recorder app;
  rodeo::http2_machine m({}, app);
  client c;
  auto id = c.request({{":method", "GET"},
                       {":scheme", "https"},
                       {":authority", "Example.com:8443"},
                       {":path", "/a/b?x=1&y"},
                       {"cookie", "a=1"},
                       {"cookie", "b=2"},
                       {"accept", "*/*"}});
  c.pump(m);
  REQUIRE(app.streams.count(id));
  auto& r = app.streams[id].req;
  CHECK(r.method == "GET");
  CHECK(r.version == "HTTP/2");
  CHECK(r.scheme == "https");
  CHECK(r.host == "example.com");
  CHECK(r.port == 8443);
  CHECK(r.path == "/a/b");
  CHECK(r.qs == "x=1&y");
  CHECK(r.streamid == static_cast<uint64_t>(id));
  CHECK_FALSE(r.has_body);
  CHECK(*r.headers.find("cookie") == "a=1; b=2");
  CHECK(*r.headers.find("host") == "Example.com:8443");
  CHECK(app.streams[id].fin);
  CHECK(m.preface_received());

  m.submit_response(id, 200, {{"content-type", "text/plain"}, {"connection", "keep-alive"}},
                    rodeo::nofin);
  m.submit_data(id, "hello ", rodeo::nofin);
  m.submit_data(id, "world", rodeo::nofin);
  m.submit_trailers(id, {{"grpc-status", "0"}});
  c.pump(m);
  auto& resp = c.responses[id];
  CHECK(*resp.header(":status") == "200");
  CHECK(*resp.header("content-type") == "text/plain");
  CHECK(resp.header("connection") == nullptr);  // connection-specific fields are left out
  CHECK(*resp.header("grpc-status") == "0");
  CHECK(resp.body == "hello world");
  CHECK(resp.closed);
  CHECK(resp.error == 0);
  CHECK(app.streams[id].closed);
  CHECK(app.streams[id].error == http2_error::no_error);
  CHECK(m.open_streams() == 0);
  CHECK(m.settings_acked());
}

TEST_CASE("a request body and its trailers reach the application, 1xx goes before the response") {
  recorder app;
  rodeo::http2_machine m({}, app);
  client c;
  std::string body = "field=value";
  auto id = c.request({{":method", "POST"},
                       {":scheme", "http"},
                       {":authority", "h"},
                       {":path", "/p"},
                       {"content-length", "11"}},
                      &body);
  c.pump(m);
  CHECK(app.streams[id].req.has_body);
  CHECK(app.streams[id].req.body_length == 11u);
  CHECK(app.streams[id].req.port == 80);
  CHECK(app.streams[id].body == body);
  CHECK(app.streams[id].fin);
  m.consume(id, body.size());
  m.submit_inform(id, 103, {{"link", "</style.css>; rel=preload"}});
  m.submit_response(id, 204, {}, rodeo::fin);
  c.pump(m);
  auto& h = c.responses[id].headers;
  REQUIRE(h.size() == 3);
  CHECK(h[0] == std::pair<std::string, std::string>{":status", "103"});
  CHECK(h[2] == std::pair<std::string, std::string>{":status", "204"});
  CHECK(c.responses[id].closed);
}

TEST_CASE("request trailers end the body") {
  recorder app;
  rodeo::http2_machine m({}, app);
  client c;
  c.pump(m);
  std::string raw = frame(1, 0x4, 1,
                          hpack_literal(":method", "POST") + hpack_literal(":scheme", "http") +
                              hpack_literal(":authority", "h") + hpack_literal(":path", "/"));
  raw += frame(0, 0, 1, "abc");
  raw += frame(1, 0x5, 1, hpack_literal("x-checksum", "42"));
  REQUIRE(m.recv(raw));
  CHECK(app.streams[1].body == "abc");
  CHECK(*app.streams[1].trailers.find("x-checksum") == "42");
}

TEST_CASE("a HEAD response has its headers and never a body") {
  recorder app;
  rodeo::http2_machine m({}, app);
  client c;
  auto id = c.request(client::get("/", "HEAD"));
  c.pump(m);
  m.submit_response(id, 200, {{"content-length", "5"}}, rodeo::nofin);
  m.submit_data(id, "hello", rodeo::fin);
  c.pump(m);
  CHECK(*c.responses[id].header("content-length") == "5");
  CHECK(c.responses[id].body.empty());
  CHECK(c.responses[id].closed);
  for (auto [type, sid] : c.frames) CHECK_FALSE((type == NGHTTP2_DATA && sid == uint32_t(id)));
}

TEST_CASE("the receive window reopens only as the application consumes (1 MiB upload)") {
  recorder app;
  rodeo::http2_machine m({}, app);
  client c;
  std::string body(1 << 20, 'u');
  auto id = c.request(
      {{":method", "PUT"}, {":scheme", "http"}, {":authority", "h"}, {":path", "/"}}, &body);
  c.pump(m);
  CHECK(app.streams[id].body.size() == 65535);  // the initial window, then nothing
  CHECK_FALSE(app.streams[id].fin);
  size_t consumed = 0;
  for (int i = 0; i < 1000 && !app.streams[id].fin; ++i) {
    size_t now = app.streams[id].body.size() - consumed;
    m.consume(id, now);
    consumed += now;
    c.pump(m);
  }
  CHECK(app.streams[id].body == body);
  CHECK(app.streams[id].fin);
}

TEST_CASE("a slow reader leaves the response in the send buffer, which is counted") {
  recorder app;
  rodeo::http2_machine m({}, app);
  client c(false);  // the client never opens its window
  auto id = c.request(client::get("/big"));
  c.pump(m);
  m.submit_response(id, 200, {}, rodeo::nofin);
  m.submit_data(id, std::string(1 << 20, 'd'), rodeo::nofin);
  c.pump(m);
  CHECK(c.responses[id].body.size() == 65535);
  CHECK(m.stream_buffer_size(id) == (1u << 20) - 65535);
  CHECK(m.connection_buffer_size() == (1u << 20) - 65535);
  nghttp2_session_consume(c.session, id, c.responses[id].body.size());
  c.pump(m);
  CHECK(c.responses[id].body.size() == 2 * 65535);
  CHECK(m.connection_buffer_size() == (1u << 20) - 2 * 65535);
  m.reset_stream(id, http2_error::cancel);
  c.pump(m);
  CHECK(m.connection_buffer_size() == 0);  // a closed stream's buffer is released
}

TEST_CASE("streams beyond max_concurrent_streams are refused (nghttp2: GOAWAY once acknowledged)") {
  recorder app;
  rodeo::http2_options o;
  o.max_concurrent_streams = 3;
  rodeo::http2_machine m(o, app);
  std::string raw = preface;
  for (uint32_t id = 1; id <= 9; id += 2) raw += frame(1, 0x4, id, request_block());
  std::string out;
  REQUIRE(m.recv(raw));
  m.send(out);
  raw_reader r;
  r.read(out);
  CHECK(app.streams.size() == 3);
  CHECK(r.resets[7] == NGHTTP2_REFUSED_STREAM);
  CHECK(r.resets[9] == NGHTTP2_REFUSED_STREAM);
  CHECK(r.resets.size() == 2);

  SECTION("after the SETTINGS ack, one stream too many is a connection PROTOCOL_ERROR") {
    m.recv(frame(4, 0x1, 0, "") + frame(1, 0x4, 11, request_block()));
    out.clear();
    m.send(out);
    CHECK(m.error() == http2_error::protocol_error);
    CHECK(m.want_close());
  }
}

TEST_CASE("a peer's RST_STREAM closes the stream with its code") {
  recorder app;
  rodeo::http2_machine m({}, app);
  client c;
  auto id = c.request(client::get("/"));
  c.pump(m);
  nghttp2_submit_rst_stream(c.session, NGHTTP2_FLAG_NONE, id, NGHTTP2_CANCEL);
  c.pump(m);
  CHECK(app.streams[id].closed);
  CHECK(app.streams[id].error == http2_error::cancel);
  m.submit_response(id, 200, {}, rodeo::fin);  // too late: ignored
  c.pump(m);
}

TEST_CASE(":authority and host must agree, limits give 400 and 431 on that stream only") {
  recorder app;
  rodeo::http2_options o;
  o.max_headers = 5;
  o.max_authority_length = 20;
  rodeo::http2_machine m(o, app);
  client c;
  auto mismatch = c.request({{":method", "GET"},
                             {":scheme", "https"},
                             {":authority", "a.test"},
                             {":path", "/"},
                             {"host", "b.test"}});
  auto same = c.request({{":method", "GET"},
                         {":scheme", "https"},
                         {":authority", "a.test"},
                         {":path", "/"},
                         {"host", "a.test"}});
  auto host_only =
      c.request({{":method", "GET"}, {":scheme", "https"}, {":path", "/"}, {"host", "h.test:81"}});
  auto long_authority = c.request({{":method", "GET"},
                                   {":scheme", "https"},
                                   {":authority", std::string(21, 'a')},
                                   {":path", "/"}});
  auto bad_authority = c.request(
      {{":method", "GET"}, {":scheme", "https"}, {":authority", "a.test:99999"}, {":path", "/"}});
  std::vector<std::pair<std::string, std::string>> many = client::get("/");
  for (int i = 0; i < 6; ++i) many.emplace_back("x-h" + std::to_string(i), "v");
  auto too_many = c.request(many);
  c.pump(m);
  CHECK(c.responses[mismatch].error == NGHTTP2_PROTOCOL_ERROR);
  CHECK_FALSE(app.streams.count(mismatch));
  CHECK(app.streams.count(same));
  CHECK(app.streams[host_only].req.host == "h.test");
  CHECK(app.streams[host_only].req.port == 81);
  CHECK(*c.responses[long_authority].header(":status") == "400");
  CHECK(*c.responses[bad_authority].header(":status") == "400");
  CHECK(*c.responses[too_many].header(":status") == "431");
  CHECK(app.streams.size() == 2);
  CHECK(m.error() == http2_error::no_error);
}

TEST_CASE(
    "an HPACK bomb (a small block decoding to a huge list) gets 431, the table stays in sync") {
  recorder app;
  rodeo::http2_machine m({}, app);
  REQUIRE(m.recv(preface));
  std::string block = request_block() + hpack_literal("x-big", std::string(4000, 'b'), true);
  for (int i = 0; i < 20; ++i) block += '\xbe';  // index 62: the 4 KB entry, 1 byte each
  REQUIRE(block.size() < 4200);
  REQUIRE(m.recv(frame(1, 0x5, 1, block)));
  REQUIRE(m.recv(frame(1, 0x5, 3, request_block("/next") + '\xbe')));  // uses the table again
  std::string out;
  m.send(out);
  raw_reader r;
  r.read(out);
  REQUIRE(r.header(1, ":status"));
  CHECK(*r.header(1, ":status") == "431");
  CHECK_FALSE(app.streams.count(1));
  REQUIRE(app.streams.count(3));
  CHECK(app.streams[3].req.path == "/next");
  CHECK(app.streams[3].req.headers.find("x-big")->size() == 4000);
  CHECK(m.error() == http2_error::no_error);
}

TEST_CASE("a CONTINUATION flood is a GOAWAY ENHANCE_YOUR_CALM") {
  recorder app;
  rodeo::http2_machine m({}, app);
  client c;
  c.pump(m);
  std::string junk = hpack_literal("x-a", std::string(16000, 'a'));
  bool ok = m.recv(frame(1, 0x1, 1, request_block() + junk));  // no END_HEADERS
  ok = ok && m.recv(frame(9, 0, 1, junk));
  ok = ok && m.recv(frame(9, 0, 1, junk));
  CHECK_FALSE(ok);
  CHECK(m.error() == http2_error::enhance_your_calm);
  c.pump(m);
  CHECK(c.goaway_error == NGHTTP2_ENHANCE_YOUR_CALM);
  CHECK(c.goaway_debug == "header block too large (max_fragmented_header_block_size)");
  CHECK(m.want_close());
}

TEST_CASE("rapid reset: more cancelled streams than max_cancel_stream_rate is a GOAWAY") {
  recorder app;
  rodeo::http2_options o;
  o.max_cancel_stream_rate = {50, std::chrono::milliseconds{10000}};
  rodeo::http2_machine m(o, app);
  std::string raw = preface;
  for (uint32_t id = 1; id < 120; id += 2)
    raw += frame(1, 0x4, id, request_block()) + frame(3, 0, id, std::string("\0\0\0\x08", 4));
  CHECK_FALSE(m.recv(raw));
  CHECK(m.error() == http2_error::enhance_your_calm);
  CHECK(m.error_reason() == "too many streams cancelled (max_cancel_stream_rate)");
  CHECK(app.streams.size() == 51);
  CHECK(app.streams[1].error == http2_error::cancel);
  std::string out;
  m.send(out);
  raw_reader r;
  r.read(out);
  REQUIRE(r.frames.back().type == NGHTTP2_GOAWAY);
  CHECK(r.u32(r.frames.back().payload, 4) == NGHTTP2_ENHANCE_YOUR_CALM);
  CHECK(m.want_close());
}

TEST_CASE("PING, SETTINGS and empty DATA floods hit max_received_frame_rate") {
  for (int kind = 0; kind < 3; ++kind) {
    recorder app;
    rodeo::http2_machine m(small_rates(), app);
    client c;
    c.pump(m);
    std::string flood;
    if (kind == 2) flood = frame(1, 0x4, 1, request_block());
    for (int i = 0; i < 300; ++i) {
      if (kind == 0) flood += frame(6, 0, 0, std::string(8, 'p'));
      if (kind == 1) flood += frame(4, 0, 0, "");
      if (kind == 2) flood += frame(0, 0, 1, "");
    }
    CHECK_FALSE(m.recv(flood));
    CHECK(m.error() == http2_error::enhance_your_calm);
    CHECK(m.error_reason() == "frame flood (max_received_frame_rate)");
  }
}

TEST_CASE("too many stream errors caused by the peer hit max_reset_stream_rate") {
  recorder app;
  rodeo::http2_machine m({}, app);  // 10 per 10 s
  client c;
  c.pump(m);
  std::string bad;
  for (uint32_t id = 1; id < 30; id += 2)  // an uppercase field name is malformed
    bad += frame(1, 0x5, id, request_block() + hpack_literal("X-Upper", "v"));
  CHECK_FALSE(m.recv(bad));
  CHECK(m.error() == http2_error::enhance_your_calm);
  CHECK(m.error_reason() == "too many stream errors (max_reset_stream_rate)");
}

TEST_CASE("a bad connection preface is a GOAWAY PROTOCOL_ERROR") {
  recorder app;
  rodeo::http2_machine m({}, app);
  CHECK_FALSE(m.recv("GET / HTTP/1.1\r\nhost: x\r\n\r\n"));
  CHECK(m.error() == http2_error::protocol_error);
  CHECK(m.error_reason() == "invalid connection preface");
  std::string out;
  m.send(out);
  CHECK(out.find(std::string("\x00\x00\x00\x00\x01", 5)) != std::string::npos);  // GOAWAY code 1
  CHECK(m.want_close());
}

TEST_CASE("protocol errors nghttp2 detects end the connection after the GOAWAY is sent") {
  recorder app;
  rodeo::http2_machine m({}, app);
  CHECK(m.recv(preface));
  CHECK(m.recv(frame(6, 0, 1, std::string(8, 'p'))));  // PING on a stream
  std::string out;
  m.send(out);
  CHECK(m.error() == http2_error::protocol_error);
  CHECK(m.want_close());
}

TEST_CASE("two-step GOAWAY: streams in flight finish, later ones are not processed") {
  recorder app;
  rodeo::http2_machine m({}, app);
  raw_reader r;
  std::string out;
  auto exchange = [&](const std::string& in) {
    m.recv(in);
    out.clear();
    m.send(out);
    r.read(out);
  };
  auto last_goaway = [&] {
    for (auto it = r.frames.rbegin(); it != r.frames.rend(); ++it)
      if (it->type == NGHTTP2_GOAWAY) return r.u32(it->payload, 0);
    return 0u;
  };
  exchange(preface + frame(1, 0x5, 1, request_block("/slow")));
  m.goaway_initial();
  exchange("");
  CHECK(last_goaway() == (1u << 31) - 1);
  exchange(frame(1, 0x5, 3, request_block("/also")));  // still accepted after the notice
  CHECK(app.streams.count(3));
  m.goaway_final();
  exchange("");
  CHECK(last_goaway() == 3);
  exchange(frame(1, 0x5, 5, request_block("/late")));
  CHECK_FALSE(app.streams.count(5));
  CHECK_FALSE(m.want_close());  // streams 1 and 3 are still in flight
  m.submit_response(1, 200, {}, rodeo::nofin);
  m.submit_data(1, "done", rodeo::fin);
  m.submit_response(3, 204, {}, rodeo::fin);
  exchange("");
  CHECK(*r.header(1, ":status") == "200");
  CHECK(*r.header(3, ":status") == "204");
  CHECK(m.open_streams() == 0);
  CHECK(m.want_close());
}

TEST_CASE("h2c upgrade: stream 1 is the HTTP/1.1 request, answered over HTTP/2") {
  recorder app;
  nghttp2_settings_entry iv[] = {{NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, 10}};
  uint8_t payload[16];
  auto n = nghttp2_pack_settings_payload(payload, sizeof payload, iv, 1);
  REQUIRE(n > 0);
  std::string_view settings(reinterpret_cast<const char*>(payload), static_cast<size_t>(n));
  rodeo::http2_machine m({}, app, settings, false);
  client c;
  REQUIRE(nghttp2_session_upgrade2(c.session, payload, static_cast<size_t>(n), 0, nullptr) == 0);
  m.submit_response(1, 200, {{"content-type", "text/plain"}}, rodeo::nofin);
  m.submit_data(1, "upgraded", rodeo::fin);
  c.pump(m);
  CHECK(*c.responses[1].header(":status") == "200");
  CHECK(c.responses[1].body == "upgraded");
  CHECK(c.responses[1].closed);

  SECTION("bad HTTP2-Settings") {
    rodeo::http2_machine bad({}, app, "abc", false);  // not a multiple of 6 bytes
    CHECK(bad.error() == http2_error::protocol_error);
  }
}

TEST_CASE("extended CONNECT (RFC 8441) passes :protocol only when enable_connect_protocol") {
  auto connect = std::vector<std::pair<std::string, std::string>>{
      {":method", "CONNECT"},        {":protocol", "websocket"}, {":scheme", "https"},
      {":authority", "example.com"}, {":path", "/chat"},         {"sec-websocket-version", "13"}};
  {
    recorder app;
    rodeo::http2_options o;
    o.enable_connect_protocol = true;
    rodeo::http2_machine m(o, app);
    client c;
    c.pump(m);  // the client learns SETTINGS_ENABLE_CONNECT_PROTOCOL
    auto id = c.request(connect);
    c.pump(m);
    REQUIRE(app.streams.count(id));
    CHECK(app.streams[id].protocol == "websocket");
    CHECK(app.streams[id].req.method == "CONNECT");
    CHECK(app.streams[id].req.path == "/chat");
  }
  {
    recorder app;
    rodeo::http2_machine m({}, app);
    client c;
    c.pump(m);
    std::string raw =
        frame(1, 0x4, 1,
              hpack_literal(":method", "CONNECT") + hpack_literal(":protocol", "websocket") +
                  hpack_literal(":scheme", "https") + hpack_literal(":authority", "e") +
                  hpack_literal(":path", "/"));
    m.recv(raw);
    c.pump(m);
    CHECK_FALSE(app.streams.count(1));
  }
}

TEST_CASE("a new stream id below a previous one is a connection PROTOCOL_ERROR (RFC 9113 5.1.1)") {
  recorder app;
  rodeo::http2_machine m({}, app);
  CHECK(m.recv(preface + frame(1, 0x5, 5, request_block())));
  CHECK_FALSE(m.recv(frame(1, 0x5, 3, request_block())));
  CHECK(m.error() == http2_error::protocol_error);
  CHECK(app.streams.size() == 1);
}
