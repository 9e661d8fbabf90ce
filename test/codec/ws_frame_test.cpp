#include <catch2/catch.hpp>

#include <random>
#include <string>
#include <vector>

#include "rodeo/ws_frame.hpp"
#include "ws_test_util.hpp"

using namespace rodeo::ws;
using ws_test::feed;
using ws_test::feed_bytewise;
using ws_test::hex;
using ws_test::recorded;

namespace {

const mask_key key{0x37, 0xfa, 0x21, 0x3d};

decoder server() {
  return decoder{};
}
decoder client() {
  return decoder{{.side = role::client}};
}

// A masked client frame (what a server receives).
std::string cf(opcode op, std::string_view payload, bool fin = true, bool rsv1 = false) {
  return masked_frame(op, payload, key, fin, rsv1);
}

// A raw masked frame header byte pair plus key, for frames the encoders refuse to build.
std::string raw(int b0, std::string_view payload) {
  std::string s = cf(opcode::binary, payload);
  s[0] = static_cast<char>(b0);
  return s;
}

uint16_t error_code(const std::vector<recorded>& evs) {
  return !evs.empty() && evs.back().kind == event_kind::error ? evs.back().code : 0;
}

uint16_t server_error(const std::string& wire) {
  auto dec = server();
  return error_code(feed(dec, wire));
}

recorded close_event(uint16_t code, std::string reason = {}) {
  return {event_kind::close, code, std::move(reason)};
}

}  // namespace

TEST_CASE("frame: RFC 6455 §5.7 a single-frame unmasked text message") {
  const auto wire = hex({0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f});
  CHECK(frame(opcode::text, "Hello") == wire);
  auto dec = client();
  CHECK(feed(dec, wire) == std::vector<recorded>{ws_test::text("Hello")});
}

TEST_CASE("frame: RFC 6455 §5.7 a single-frame masked text message") {
  const auto wire = hex({0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58});
  CHECK(masked_frame(opcode::text, "Hello", key) == wire);
  auto dec = server();
  CHECK(feed(dec, wire) == std::vector<recorded>{ws_test::text("Hello")});
}

TEST_CASE("frame: RFC 6455 §5.7 a fragmented unmasked text message") {
  const auto first = hex({0x01, 0x03, 0x48, 0x65, 0x6c});
  const auto second = hex({0x80, 0x02, 0x6c, 0x6f});
  CHECK(frame(opcode::text, "Hel", false) == first);
  CHECK(frame(opcode::continuation, "lo") == second);
  auto dec = client();
  CHECK(feed(dec, first + second) == std::vector<recorded>{ws_test::text("Hello")});
}

TEST_CASE("frame: RFC 6455 §5.7 an unmasked ping and a masked pong") {
  const auto ping = hex({0x89, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f});
  const auto pong = hex({0x8a, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58});
  CHECK(frame(opcode::ping, "Hello") == ping);
  CHECK(masked_frame(opcode::pong, "Hello", key) == pong);
  auto c = client();
  CHECK(feed(c, ping) == std::vector<recorded>{{event_kind::ping, 0, "Hello"}});
  auto s = server();
  CHECK(feed(s, pong) == std::vector<recorded>{{event_kind::pong, 0, "Hello"}});
}

TEST_CASE("frame: RFC 6455 §5.7 256 bytes and 64 KiB use the 16- and 64-bit lengths") {
  const std::string small(256, 'x'), large(65536, 'y');
  const auto f256 = frame(opcode::binary, small);
  const auto f64k = frame(opcode::binary, large);
  CHECK(f256.substr(0, 4) == hex({0x82, 0x7E, 0x01, 0x00}));
  CHECK(f256.size() == 4 + 256);
  CHECK(f64k.substr(0, 10) == hex({0x82, 0x7F, 0, 0, 0, 0, 0, 1, 0, 0}));
  CHECK(f64k.size() == 10 + 65536);
  auto dec = client();
  CHECK(feed(dec, f256 + f64k) ==
        std::vector<recorded>{ws_test::binary(small), ws_test::binary(large)});
  char header[max_header_size];
  CHECK(write_frame_header(header, opcode::binary, 125) == 2);
  CHECK(write_frame_header(header, opcode::binary, 65535) == 4);
  CHECK(write_masked_frame_header(header, opcode::binary, 65535, key) == 8);
  CHECK(write_masked_frame_header(header, opcode::binary, 65536, key) == 14);
}

TEST_CASE(
    "frame: feeding one byte at a time or in random chunks gives the same events as one chunk") {
  std::mt19937 rng{1};
  std::string big(70000, '\0');
  for (auto& c : big) c = static_cast<char>(rng());
  const std::string wire =
      cf(opcode::text, "") + cf(opcode::text, "κόσμε") + cf(opcode::binary, big) +
      cf(opcode::text, "frag", false) + cf(opcode::ping, "p1") +
      cf(opcode::continuation, std::string(300, 'm'), false) + cf(opcode::pong, "") +
      cf(opcode::continuation, "end") + cf(opcode::binary, std::string(126, 'b')) +
      cf(opcode::close, close_payload(1000, "bye"));
  const std::vector<recorded> expected = {
      ws_test::text(""),
      ws_test::text("κόσμε"),
      ws_test::binary(big),
      {event_kind::ping, 0, "p1"},
      {event_kind::pong, 0, ""},
      ws_test::text("frag" + std::string(300, 'm') + "end"),
      ws_test::binary(std::string(126, 'b')),
      close_event(1000, "bye"),
  };
  auto whole = server();
  CHECK(feed(whole, wire) == expected);
  auto bytewise = server();
  CHECK(feed_bytewise(bytewise, wire) == expected);
  for (int round = 0; round < 20; ++round) {
    std::vector<size_t> cuts;
    for (size_t pos = rng() % 20; pos < wire.size(); pos += 1 + rng() % (round < 10 ? 16 : 5000))
      cuts.push_back(pos);
    auto dec = server();
    CHECK(feed(dec, wire, cuts) == expected);
  }
}

TEST_CASE("frame: an unfragmented message whole in the input is handed out without a copy") {
  auto wire = cf(opcode::binary, "zero-copy") + cf(opcode::text, "second");
  auto dec = server();
  std::span<char> in{wire.data(), wire.size()};
  auto ev = dec.next(in);
  REQUIRE(ev.kind == event_kind::binary);
  CHECK(ev.data == "zero-copy");
  CHECK(ev.data.data() >= wire.data());
  CHECK(ev.data.data() + ev.data.size() <= wire.data() + wire.size());
  ev = dec.next(in);
  CHECK(ev.kind == event_kind::text);
  CHECK(ev.data == "second");
  CHECK(dec.next(in).kind == event_kind::need_more);
  CHECK(in.empty());
}

TEST_CASE("frame: take moves an assembled message out of the decoder") {
  auto wire = cf(opcode::binary, "part one, ", false) + cf(opcode::continuation, "part two");
  auto dec = server();
  std::span<char> in{wire.data(), wire.size()};
  auto ev = dec.next(in);
  REQUIRE(ev.kind == event_kind::binary);
  const auto* before = ev.data.data();
  auto s = dec.take(ev);
  CHECK(s == "part one, part two");
  CHECK(s.data() == before);
  // The decoder goes on normally after its buffer was taken.
  auto more = cf(opcode::text, "a", false) + cf(opcode::continuation, "b");
  CHECK(feed(dec, more) == std::vector<recorded>{ws_test::text("ab")});
}

TEST_CASE("frame: control frames may be interleaved with the fragments of a message") {
  auto wire = cf(opcode::binary, "1", false) + cf(opcode::ping, "a") +
              cf(opcode::continuation, "2", false) + cf(opcode::pong, "b") + cf(opcode::ping, "c") +
              cf(opcode::continuation, "3");
  auto dec = server();
  CHECK(feed_bytewise(dec, wire) == std::vector<recorded>{{event_kind::ping, 0, "a"},
                                                          {event_kind::pong, 0, "b"},
                                                          {event_kind::ping, 0, "c"},
                                                          ws_test::binary("123")});
  CHECK_FALSE(dec.in_message());
}

TEST_CASE("frame: empty messages and empty fragments are valid") {
  auto wire = cf(opcode::binary, "") + cf(opcode::text, "", false) +
              cf(opcode::continuation, "", false) + cf(opcode::continuation, "x") +
              cf(opcode::ping, "");
  auto dec = server();
  CHECK(feed(dec, wire) ==
        std::vector<recorded>{ws_test::binary(""), ws_test::text("x"), {event_kind::ping, 0, ""}});
}

TEST_CASE("frame: an unmasked frame from a client fails with 1002") {
  CHECK(server_error(frame(opcode::text, "Hello")) == close_code::protocol_error);
}

TEST_CASE("frame: a masked frame from a server fails with 1002") {
  auto dec = client();
  CHECK(error_code(feed(dec, cf(opcode::text, "Hello"))) == close_code::protocol_error);
}

TEST_CASE("frame: reserved bits set without a negotiated extension fail with 1002") {
  CHECK(server_error(raw(0x80 | 0x40 | 0x1, "x")) == close_code::protocol_error);  // RSV1
  CHECK(server_error(raw(0x80 | 0x20 | 0x1, "x")) == close_code::protocol_error);  // RSV2
  CHECK(server_error(raw(0x80 | 0x10 | 0x1, "x")) == close_code::protocol_error);  // RSV3
  CHECK(server_error(raw(0x80 | 0x70 | 0x9, "")) == close_code::protocol_error);
}

TEST_CASE(
    "frame: RSV1 is allowed only on the first frame of a data message with permessage-deflate") {
  const decoder_options with_deflate{.deflate = deflate_params{}};
  auto rsv1_continuation =
      cf(opcode::text, "", false, true) + cf(opcode::continuation, "", true, true);
  decoder a{with_deflate};
  auto evs = feed(a, rsv1_continuation);
  CHECK(evs.size() == 1);
  CHECK(error_code(evs) == close_code::protocol_error);
  decoder b{with_deflate};
  CHECK(error_code(feed(b, raw(0x80 | 0x40 | 0x9, ""))) == close_code::protocol_error);
  decoder c{with_deflate};
  CHECK(error_code(feed(c, raw(0x80 | 0x20 | 0x2, "x"))) == close_code::protocol_error);
}

TEST_CASE("frame: reserved opcodes fail with 1002") {
  for (int op : {3, 4, 5, 6, 7, 0xB, 0xC, 0xD, 0xE, 0xF}) {
    INFO("opcode " << op);
    CHECK(server_error(raw(0x80 | op, "")) == close_code::protocol_error);
    CHECK(server_error(raw(0x80 | op, "payload")) == close_code::protocol_error);
  }
}

TEST_CASE("frame: control frames over 125 bytes or fragmented fail with 1002") {
  CHECK(server_error(raw(0x89, std::string(126, 'p'))) == close_code::protocol_error);
  CHECK(server_error(raw(0x88, std::string(2, '\x03') + std::string(124, 'r'))) ==
        close_code::protocol_error);
  CHECK(server_error(raw(0x09, "ping")) == close_code::protocol_error);
  CHECK(server_error(raw(0x08, close_payload(1000))) == close_code::protocol_error);
  CHECK(server_error(raw(0x0A, "")) == close_code::protocol_error);
  // 125 bytes is the limit, not beyond it.
  auto dec = server();
  CHECK(feed(dec, cf(opcode::ping, std::string(125, 'p'))) ==
        std::vector<recorded>{{event_kind::ping, 0, std::string(125, 'p')}});
}

TEST_CASE("frame: a continuation frame with no message started fails with 1002") {
  CHECK(server_error(cf(opcode::continuation, "orphan")) == close_code::protocol_error);
  CHECK(server_error(cf(opcode::text, "done") + cf(opcode::continuation, "late")) ==
        close_code::protocol_error);
}

TEST_CASE("frame: a new data frame while a fragmented message is open fails with 1002") {
  CHECK(server_error(cf(opcode::text, "a", false) + cf(opcode::text, "b")) ==
        close_code::protocol_error);
  CHECK(server_error(cf(opcode::binary, "a", false) + cf(opcode::ping, "") +
                     cf(opcode::binary, "b")) == close_code::protocol_error);
}

TEST_CASE("frame: lengths not in their minimal encoding fail with 1002") {
  // 5 bytes with a 16-bit length, then 1000 bytes with a 64-bit length.
  auto sixteen = hex({0x82, 0xFE, 0x00, 0x05, 0x37, 0xfa, 0x21, 0x3d}) + std::string(5, 'x');
  CHECK(server_error(sixteen) == close_code::protocol_error);
  auto sixty_four = hex({0x82, 0xFF, 0, 0, 0, 0, 0, 0, 0x03, 0xE8, 0x37, 0xfa, 0x21, 0x3d}) +
                    std::string(1000, 'x');
  CHECK(server_error(sixty_four) == close_code::protocol_error);
  auto at_limit = hex({0x82, 0xFE, 0x00, 0x7E, 0x37, 0xfa, 0x21, 0x3d}) + std::string(126, 'x');
  CHECK(server_error(at_limit) == 0);
}

TEST_CASE("frame: a 64-bit length with the most significant bit set fails with 1002") {
  auto wire = hex({0x82, 0xFF, 0x80, 0, 0, 0, 0, 0, 0, 0x10, 0x37, 0xfa, 0x21, 0x3d});
  CHECK(server_error(wire) == close_code::protocol_error);
}

TEST_CASE("frame: a frame over max_frame_size fails with 1009 at its header") {
  decoder dec{{.max_frame_size = 1000}};
  // Only the header: the decoder refuses before any payload arrives.
  auto header = cf(opcode::binary, std::string(1001, 'x')).substr(0, 8);
  CHECK(error_code(feed(dec, header)) == close_code::message_too_big);
  decoder ok{{.max_frame_size = 1000}};
  CHECK(feed(ok, cf(opcode::binary, std::string(1000, 'x'))).size() == 1);
  // The default is 1 MiB.
  auto big = server();
  auto big_header = cf(opcode::binary, std::string((1 << 20) + 1, 'x')).substr(0, 14);
  CHECK(error_code(feed(big, big_header)) == close_code::message_too_big);
}

TEST_CASE("frame: a fragmented message over max_message_size fails with 1009") {
  decoder dec{{.max_frame_size = 100, .max_message_size = 250}};
  auto wire = cf(opcode::text, std::string(100, 'a'), false) +
              cf(opcode::continuation, std::string(100, 'b'), false) +
              cf(opcode::continuation, std::string(51, 'c'));
  CHECK(error_code(feed(dec, wire)) == close_code::message_too_big);
  decoder fits{{.max_frame_size = 100, .max_message_size = 250}};
  auto exact = cf(opcode::text, std::string(100, 'a'), false) +
               cf(opcode::continuation, std::string(100, 'b'), false) +
               cf(opcode::continuation, std::string(50, 'c'));
  CHECK(feed(fits, exact).size() == 1);
}

TEST_CASE("frame: a close frame with a 1-byte payload fails with 1002") {
  CHECK(server_error(cf(opcode::close, "\x03")) == close_code::protocol_error);
}

TEST_CASE("frame: close codes 1000-1003, 1007-1014 and 3000-4999 are accepted") {
  for (int code : {1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000,
                   3999, 4000, 4999}) {
    INFO("code " << code);
    CHECK(valid_close_code(static_cast<uint16_t>(code)));
    auto dec = server();
    CHECK(feed(dec, cf(opcode::close, close_payload(static_cast<uint16_t>(code), "why"))) ==
          std::vector<recorded>{close_event(static_cast<uint16_t>(code), "why")});
  }
}

TEST_CASE("frame: close codes 0-999, 1004-1006, 1015-2999 and over 4999 fail with 1002") {
  for (int code : {0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535}) {
    INFO("code " << code);
    CHECK_FALSE(valid_close_code(static_cast<uint16_t>(code)));
    std::string payload{static_cast<char>(code >> 8), static_cast<char>(code & 0xFF)};
    CHECK(server_error(cf(opcode::close, payload)) == close_code::protocol_error);
  }
}

TEST_CASE("frame: a close frame without payload reports 1005 (no status code)") {
  auto dec = server();
  CHECK(feed(dec, cf(opcode::close, "")) ==
        std::vector<recorded>{close_event(close_code::no_status)});
}

TEST_CASE("frame: a close reason that is not UTF-8 fails with 1007") {
  auto payload = close_payload(1000) + hex({0xCE, 0xBA, 0xED, 0xA0, 0x80});
  CHECK(server_error(cf(opcode::close, payload)) == close_code::invalid_payload);
}

TEST_CASE("frame: input after a close frame is ignored") {
  auto wire = cf(opcode::close, close_payload(1001)) + cf(opcode::text, "ignored") + "garbage";
  auto dec = server();
  CHECK(feed(dec, wire) == std::vector<recorded>{close_event(1001)});
  CHECK(feed(dec, cf(opcode::text, "later")).empty());
}

TEST_CASE("frame: a text message that is not UTF-8 fails with 1007") {
  CHECK(server_error(cf(opcode::text, hex({0xC0, 0xAF}))) == close_code::invalid_payload);
  CHECK(server_error(cf(opcode::text, hex({0x61, 0xED, 0xA0, 0x80}))) ==
        close_code::invalid_payload);
  // Binary messages are not checked.
  CHECK(server_error(cf(opcode::binary, hex({0xC0, 0xAF}))) == 0);
}

TEST_CASE("frame: invalid UTF-8 fails fast, on the fragment or chunk where it becomes invalid") {
  // Autobahn 6.4.1: the second of three fragments is invalid; the third is never needed.
  const auto bad = hex(
      {0xCE, 0xBA, 0xE1, 0xBD, 0xB9, 0xCF, 0x83, 0xCE, 0xBC, 0xCE, 0xB5, 0xF4, 0x90, 0x80, 0x80});
  auto dec = server();
  auto evs = feed(dec, cf(opcode::text, bad.substr(0, 11), false) +
                           cf(opcode::continuation, bad.substr(11), false));
  CHECK(error_code(evs) == close_code::invalid_payload);
  // Autobahn 6.4.3: one frame whose payload is still arriving fails once its bad bytes arrive.
  auto frame_bytes = cf(opcode::text, bad + "edited");
  const size_t header = frame_bytes.size() - bad.size() - 6;
  decoder partial = server();
  auto first = feed(partial, frame_bytes.substr(0, header + 11));
  CHECK(first.empty());
  decoder chunked = server();
  evs = feed(chunked, frame_bytes.substr(0, header + 13), {header + 11});
  CHECK(error_code(evs) == close_code::invalid_payload);
}

TEST_CASE("frame: a text message ending inside a code point fails with 1007") {
  auto wire = cf(opcode::text, hex({0x61, 0xE2, 0x82}), false) + cf(opcode::continuation, "");
  CHECK(server_error(wire) == close_code::invalid_payload);
  CHECK(server_error(cf(opcode::text, hex({0xE2, 0x82}))) == close_code::invalid_payload);
}

TEST_CASE("frame: a code point split across fragments is valid") {
  auto wire = cf(opcode::text, hex({0xE2}), false) + cf(opcode::continuation, hex({0x82}), false) +
              cf(opcode::continuation, hex({0xAC}));
  auto dec = server();
  CHECK(feed(dec, wire) == std::vector<recorded>{ws_test::text(hex({0xE2, 0x82, 0xAC}))});
}

TEST_CASE("frame: errors are sticky and consume all input") {
  auto dec = server();
  std::string wire = cf(opcode::continuation, "x") + cf(opcode::text, "valid");
  std::span<char> in{wire.data(), wire.size()};
  auto ev = dec.next(in);
  CHECK(ev.kind == event_kind::error);
  CHECK(ev.code == close_code::protocol_error);
  CHECK_FALSE(ev.data.empty());
  CHECK(in.empty());
  std::string more = cf(opcode::text, "again");
  std::span<char> in2{more.data(), more.size()};
  CHECK(dec.next(in2).code == close_code::protocol_error);
  CHECK(in2.empty());
}

TEST_CASE("frame: close_payload puts the code first and cuts the reason on a code point boundary") {
  CHECK(close_payload(1000, "ok") == hex({0x03, 0xE8, 'o', 'k'}));
  CHECK(close_payload(close_code::no_status).empty());
  std::string reason;
  for (int i = 0; i < 70; ++i) reason += "é";  // 140 bytes
  auto p = close_payload(4000, reason);
  CHECK(p.size() == 2 + 122);
  CHECK(valid_utf8(p.substr(2)));
  CHECK(close_payload(4000, std::string(200, 'a')).size() == max_control_payload);
}

TEST_CASE("frame: a server encoder writes the header apart and leaves the payload untouched") {
  encoder enc;
  const std::string msg(300, 'z');
  auto out = enc.encode(opcode::text, msg);
  CHECK(out.payload.data() == msg.data());
  CHECK(out.header == hex({0x81, 0x7E, 0x01, 0x2C}));
  CHECK(std::string(out.header) + std::string(out.payload) == frame(opcode::text, msg));
  auto close = enc.encode_close(1000, "bye");
  CHECK(std::string(close.header) + std::string(close.payload) ==
        frame(opcode::close, close_payload(1000, "bye")));
  CHECK_FALSE(enc.compressing());
}

TEST_CASE("frame: a client encoder's masked frames decode on a server") {
  encoder enc{role::client};
  auto dec = server();
  std::string wire;
  for (auto [op, payload] : {std::pair{opcode::text, std::string("hello")},
                             std::pair{opcode::binary, std::string(70000, 'b')},
                             std::pair{opcode::ping, std::string("p")}}) {
    auto out = enc.encode(op, payload);
    CHECK((static_cast<uint8_t>(out.header[1]) & 0x80) != 0);
    wire += std::string(out.header) + std::string(out.payload);
  }
  auto close = enc.encode_close(1001, "going");
  wire += std::string(close.header) + std::string(close.payload);
  CHECK(feed(dec, wire) == std::vector<recorded>{ws_test::text("hello"),
                                                 ws_test::binary(std::string(70000, 'b')),
                                                 {event_kind::ping, 0, "p"},
                                                 close_event(1001, "going")});
}

TEST_CASE("frame: encoding a control frame over 125 bytes throws") {
  encoder enc;
  CHECK_THROWS_AS(enc.encode(opcode::ping, std::string(126, 'x')), std::length_error);
  CHECK_NOTHROW(enc.encode(opcode::ping, std::string(125, 'x')));
}
