#include <catch2/catch.hpp>

#include <zlib.h>

#include <random>
#include <string>
#include <vector>

#include "rodeo/ws_deflate.hpp"
#include "rodeo/ws_frame.hpp"
#include "ws_test_util.hpp"

using namespace rodeo::ws;
using ws_test::feed;
using ws_test::hex;
using ws_test::recorded;

namespace {

std::optional<deflate_negotiation> negotiate(std::vector<std::string_view> values,
                                             const deflate_options& opts = {}) {
  return negotiate_deflate(values, opts);
}

std::string inflate_all(inflater& inf, std::string_view compressed) {
  std::string out;
  REQUIRE(inf.decompress(compressed, out, 1 << 24) == inflater::status::ok);
  return out;
}

// Text that compresses well and has matches at all distances.
std::string sample_text(size_t size, unsigned seed) {
  static const char* words[] = {"permessage", "deflate", "WebSocket", "frame",  "Cowboy",
                                "rodeo",      "actor",   "κόσμε",     "window", "zlib"};
  std::mt19937 rng{seed};
  std::string s;
  while (s.size() < size) {
    s += words[rng() % 10];
    s += rng() % 7 == 0 ? '\n' : ' ';
    if (rng() % 50 == 0) s += std::to_string(rng());
  }
  // Cut on an ASCII byte so the text stays valid UTF-8.
  while (s.size() > size || (s.size() > 0 && (static_cast<uint8_t>(s.back()) & 0x80))) s.pop_back();
  return s;
}

// Raw DEFLATE of `data` ending with a final block (BFINAL = 1), as zlib's Z_FINISH writes it.
std::string deflate_final(std::string_view data) {
  z_stream z{};
  REQUIRE(deflateInit2(&z, 6, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) == Z_OK);
  std::string out(deflateBound(&z, data.size()) + 16, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  REQUIRE(deflate(&z, Z_FINISH) == Z_STREAM_END);
  out.resize(out.size() - z.avail_out);
  deflateEnd(&z);
  return out;
}

}  // namespace

// --- Negotiation ---

TEST_CASE("deflate: a plain permessage-deflate offer is accepted with default parameters") {
  auto n = negotiate({"permessage-deflate"});
  REQUIRE(n);
  CHECK(n->response == "permessage-deflate");
  CHECK(n->params == deflate_params{});
}

TEST_CASE("deflate: server_no_context_takeover in an offer is echoed and applied") {
  auto n = negotiate({"permessage-deflate; server_no_context_takeover"});
  REQUIRE(n);
  CHECK(n->response == "permessage-deflate; server_no_context_takeover");
  CHECK(n->params.server_no_context_takeover);
  CHECK_FALSE(n->params.client_no_context_takeover);
}

TEST_CASE("deflate: client_no_context_takeover in an offer is echoed so the inflater may reset") {
  auto n = negotiate({"permessage-deflate; client_no_context_takeover"});
  REQUIRE(n);
  CHECK(n->response == "permessage-deflate; client_no_context_takeover");
  CHECK(n->params.client_no_context_takeover);
}

TEST_CASE("deflate: server_max_window_bits is answered with the same or a smaller value") {
  for (int bits = 8; bits <= 15; ++bits) {
    auto n = negotiate({"permessage-deflate; server_max_window_bits=" + std::to_string(bits)});
    REQUIRE(n);
    CHECK(n->response == "permessage-deflate; server_max_window_bits=" + std::to_string(bits));
    CHECK(n->params.server_max_window_bits == bits);
  }
  auto capped =
      negotiate({"permessage-deflate; server_max_window_bits=12"}, {.server_max_window_bits = 10});
  REQUIRE(capped);
  CHECK(capped->response == "permessage-deflate; server_max_window_bits=10");
  // Without the parameter the server silently compresses with its own smaller window.
  auto silent = negotiate({"permessage-deflate"}, {.server_max_window_bits = 11});
  REQUIRE(silent);
  CHECK(silent->response == "permessage-deflate");
  CHECK(silent->params.server_max_window_bits == 11);
}

TEST_CASE("deflate: client_max_window_bits with or without a value bounds the client's window") {
  auto bare = negotiate({"permessage-deflate; client_max_window_bits"});
  REQUIRE(bare);
  CHECK(bare->response == "permessage-deflate; client_max_window_bits=15");
  CHECK(bare->params.client_max_window_bits == 15);
  auto asked =
      negotiate({"permessage-deflate; client_max_window_bits"}, {.client_max_window_bits = 10});
  REQUIRE(asked);
  CHECK(asked->response == "permessage-deflate; client_max_window_bits=10");
  CHECK(asked->params.client_max_window_bits == 10);
  auto valued = negotiate({"permessage-deflate; client_max_window_bits=9"});
  REQUIRE(valued);
  CHECK(valued->response == "permessage-deflate; client_max_window_bits=9");
  CHECK(valued->params.client_max_window_bits == 9);
  // Without the parameter the server cannot limit the client: it inflates with 15 bits.
  auto absent = negotiate({"permessage-deflate"}, {.client_max_window_bits = 9});
  REQUIRE(absent);
  CHECK(absent->params.client_max_window_bits == 15);
}

TEST_CASE("deflate: the server may require no context takeover in either direction") {
  auto n = negotiate({"permessage-deflate"},
                     {.server_context_takeover = false, .client_context_takeover = false});
  REQUIRE(n);
  CHECK(n->response ==
        "permessage-deflate; server_no_context_takeover; client_no_context_takeover");
  CHECK(n->params.server_no_context_takeover);
  CHECK(n->params.client_no_context_takeover);
}

TEST_CASE("deflate: Autobahn 13.x offers are accepted (server_max_window_bits=8 answered as 8)") {
  auto n =
      negotiate({"permessage-deflate; client_no_context_takeover; client_max_window_bits; "
                 "server_no_context_takeover; server_max_window_bits=8"});
  REQUIRE(n);
  CHECK(n->response ==
        "permessage-deflate; server_no_context_takeover; client_no_context_takeover; "
        "server_max_window_bits=8; client_max_window_bits=15");
  CHECK(n->params.server_max_window_bits == 8);
}

TEST_CASE("deflate: invalid window values decline the offer") {
  for (const char* v : {"7", "16", "08", "0", "-9", "9.0", "\"\"", "1O", "+9", "150"}) {
    INFO(v);
    CHECK_FALSE(negotiate({std::string("permessage-deflate; server_max_window_bits=") + v}));
    CHECK_FALSE(negotiate({std::string("permessage-deflate; client_max_window_bits=") + v}));
  }
  CHECK_FALSE(negotiate({"permessage-deflate; server_max_window_bits"}));  // value required
}

TEST_CASE("deflate: a quoted parameter value is accepted") {
  auto n = negotiate({"permessage-deflate; server_max_window_bits=\"10\""});
  REQUIRE(n);
  CHECK(n->params.server_max_window_bits == 10);
}

TEST_CASE("deflate: unknown parameters, values on flags and duplicates decline the offer") {
  CHECK_FALSE(negotiate({"permessage-deflate; unknown"}));
  CHECK_FALSE(negotiate({"permessage-deflate; server_no_context_takeover=1"}));
  CHECK_FALSE(negotiate({"permessage-deflate; client_no_context_takeover=true"}));
  CHECK_FALSE(
      negotiate({"permessage-deflate; server_no_context_takeover; server_no_context_takeover"}));
  CHECK_FALSE(
      negotiate({"permessage-deflate; client_no_context_takeover; client_no_context_takeover"}));
  CHECK_FALSE(
      negotiate({"permessage-deflate; server_max_window_bits=10; server_max_window_bits=10"}));
  CHECK_FALSE(negotiate({"permessage-deflate; client_max_window_bits; client_max_window_bits=10"}));
}

TEST_CASE("deflate: a declined offer falls back to the next one, across header lines") {
  auto n = negotiate({"x-webkit-deflate-frame, permessage-deflate; server_max_window_bits=7",
                      "permessage-deflate; foo, permessage-deflate; client_no_context_takeover",
                      "permessage-deflate"});
  REQUIRE(n);
  CHECK(n->response == "permessage-deflate; client_no_context_takeover");
  CHECK_FALSE(negotiate({"x-webkit-deflate-frame", "foo; bar=baz"}));
  CHECK_FALSE(negotiate({}));
}

TEST_CASE("deflate: a sec-websocket-extensions value that does not parse accepts nothing") {
  CHECK_FALSE(negotiate({"permessage-deflate;"}));
  CHECK_FALSE(negotiate({"permessage-deflate; =10"}));
  CHECK_FALSE(negotiate({"permessage-deflate server_no_context_takeover"}));
  CHECK_FALSE(negotiate({"permessage-deflate; server_max_window_bits=\"10"}));
  CHECK_FALSE(negotiate({"permessage-deflate", "@"}));
  CHECK(negotiate({" , permessage-deflate ;  client_max_window_bits ,, "}));
}

TEST_CASE("deflate: a client validates the server's answer") {
  auto p = parse_deflate_response(
      "permessage-deflate; server_no_context_takeover; client_max_window_bits=10; "
      "server_max_window_bits=12; client_no_context_takeover");
  REQUIRE(p);
  CHECK(p->server_no_context_takeover);
  CHECK(p->client_no_context_takeover);
  CHECK(p->server_max_window_bits == 12);
  CHECK(p->client_max_window_bits == 10);
  CHECK(parse_deflate_response("permessage-deflate") == deflate_params{});
  CHECK_FALSE(parse_deflate_response("permessage-deflate; client_max_window_bits"));
  CHECK_FALSE(parse_deflate_response("permessage-deflate; foo"));
  CHECK_FALSE(parse_deflate_response("permessage-deflate, permessage-deflate"));
  CHECK_FALSE(parse_deflate_response("x-other"));
}

// --- Codec ---

TEST_CASE("deflate: RFC 7692 §7.2.3.1 'Hello' compresses to f2 48 cd c9 c9 07 00") {
  deflater def{6, 8, 15, false};
  CHECK(def.compress("Hello") == hex({0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00}));
  inflater inf{15, false};
  CHECK(inflate_all(inf, hex({0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00})) == "Hello");
}

TEST_CASE("deflate: RFC 7692 §7.2.3.1 a compressed message in two fragments") {
  const auto wire = hex({0x41, 0x03, 0xf2, 0x48, 0xcd}) + hex({0x80, 0x04, 0xc9, 0xc9, 0x07, 0x00});
  decoder dec{{.side = role::client, .deflate = deflate_params{}}};
  CHECK(feed(dec, wire) == std::vector<recorded>{ws_test::text("Hello")});
  decoder bytewise{{.side = role::client, .deflate = deflate_params{}}};
  CHECK(ws_test::feed_bytewise(bytewise, wire) == std::vector<recorded>{ws_test::text("Hello")});
}

TEST_CASE("deflate: RFC 7692 §7.2.3.2 a second 'Hello' shares the sliding window: f2 00 11 00 00") {
  deflater def{6, 8, 15, false};
  CHECK(def.compress("Hello") == hex({0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00}));
  CHECK(def.compress("Hello") == hex({0xf2, 0x00, 0x11, 0x00, 0x00}));
  const auto wire = hex({0xc1, 0x07, 0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00}) +
                    hex({0xc1, 0x05, 0xf2, 0x00, 0x11, 0x00, 0x00});
  decoder dec{{.side = role::client, .deflate = deflate_params{}}};
  CHECK(feed(dec, wire) == std::vector<recorded>{ws_test::text("Hello"), ws_test::text("Hello")});
}

TEST_CASE("deflate: RFC 7692 §7.2.3.3 a DEFLATE block with no compression") {
  const auto wire =
      hex({0xc1, 0x0b, 0x00, 0x05, 0x00, 0xfa, 0xff, 0x48, 0x65, 0x6c, 0x6c, 0x6f, 0x00});
  decoder dec{{.side = role::client, .deflate = deflate_params{}}};
  CHECK(feed(dec, wire) == std::vector<recorded>{ws_test::text("Hello")});
}

TEST_CASE("deflate: RFC 7692 §7.2.3.4 a DEFLATE block with BFINAL set keeps the window") {
  const auto final_block = deflate_final("Hello");
  CHECK(final_block == hex({0xf3, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00}));
  inflater inf{15, false};
  CHECK(inflate_all(inf, final_block) == "Hello");
  // The next message refers back into the first one (distance 5).
  CHECK(inflate_all(inf, hex({0xf2, 0x00, 0x11, 0x00, 0x00})) == "Hello");
  // A final block followed by a flushed empty block in the same message.
  CHECK(inflate_all(inf, final_block + hex({0x00})) == "Hello");
  CHECK(inflate_all(inf, hex({0xf2, 0x00, 0x11, 0x00, 0x00})) == "Hello");
}

TEST_CASE("deflate: RFC 7692 §7.2.3.5 two DEFLATE blocks in one message") {
  const auto payload =
      hex({0xf2, 0x48, 0x05, 0x00, 0x00, 0x00, 0xff, 0xff, 0xca, 0xc9, 0xc9, 0x07, 0x00});
  inflater inf{15, false};
  CHECK(inflate_all(inf, payload) == "Hello");
}

TEST_CASE("deflate: no_context_takeover compresses and inflates each message alone") {
  deflater def{6, 8, 15, true};
  CHECK(def.compress("Hello") == hex({0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00}));
  CHECK(def.compress("Hello") == hex({0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00}));
  inflater inf{15, true};
  CHECK(inflate_all(inf, hex({0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00})) == "Hello");
  // Without context takeover a back-reference into the previous message is invalid data.
  std::string out;
  CHECK(inf.decompress(hex({0xf2, 0x00, 0x11, 0x00, 0x00}), out, 1000) ==
        inflater::status::bad_data);
}

TEST_CASE("deflate: an empty message compresses to 00 and inflates back to nothing") {
  deflater def{6, 8, 15, false};
  CHECK(def.compress("") == hex({0x00}));
  CHECK(def.compress("Hello").size() > 0);
  CHECK(def.compress("") == hex({0x00}));
  inflater inf{15, false};
  CHECK(inflate_all(inf, hex({0x00})).empty());
  // A compressed frame with no payload at all is tolerated as an empty message.
  CHECK(inflate_all(inf, "").empty());
  CHECK(inflate_all(inf, hex({0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00})) == "Hello");
}

TEST_CASE("deflate: a deflate bomb is cut off at the size limit and reported too big") {
  deflater def{9, 9, 15, false};
  const std::string zeros(16 << 20, '\0');
  const std::string bomb{def.compress(zeros)};
  CHECK(bomb.size() < 32 * 1024);
  inflater inf{15, false};
  std::string out;
  CHECK(inf.decompress(bomb, out, 1 << 20) == inflater::status::too_big);
  CHECK(out.size() <= (1 << 20) + 1);
  // Through the decoder: 1009, although the frame itself is small.
  decoder dec{{.deflate = deflate_params{}}};
  auto wire = masked_frame(opcode::binary, bomb, {1, 2, 3, 4}, true, true);
  auto evs = feed(dec, wire);
  REQUIRE(evs.size() == 1);
  CHECK(evs[0].kind == event_kind::error);
  CHECK(evs[0].code == close_code::message_too_big);
  // Exactly at the limit is fine.
  inflater exact{15, false};
  out.clear();
  CHECK(exact.decompress(def.compress(std::string(1000, 'a')), out, 1000) == inflater::status::ok);
  CHECK(out == std::string(1000, 'a'));
}

TEST_CASE("deflate: corrupt compressed data fails with 1007") {
  inflater inf{15, false};
  std::string out;
  CHECK(inf.decompress(hex({0xff, 0xff, 0xff, 0xff}), out, 1000) == inflater::status::bad_data);
  decoder dec{{.deflate = deflate_params{}}};
  auto wire = masked_frame(opcode::text, hex({0xff, 0xff, 0xff}), {1, 2, 3, 4}, true, true);
  auto evs = feed(dec, wire);
  REQUIRE(evs.size() == 1);
  CHECK(evs[0].code == close_code::invalid_payload);
}

TEST_CASE("deflate: a message cut short inside a DEFLATE block fails") {
  inflater inf{15, false};
  std::string out;
  // "Hello" without its end-of-block code and sync flush marker.
  CHECK(inf.decompress(hex({0xf2, 0x48, 0xcd, 0xc9}), out, 1000) == inflater::status::bad_data);
}

TEST_CASE("deflate: compressed text that inflates to invalid UTF-8 fails with 1007") {
  deflater def{6, 8, 15, false};
  const std::string bad{def.compress(hex({'o', 'k', 0xED, 0xA0, 0x80}))};
  decoder dec{{.deflate = deflate_params{}}};
  auto evs = feed(dec, masked_frame(opcode::text, bad, {9, 9, 9, 9}, true, true));
  REQUIRE(evs.size() == 1);
  CHECK(evs[0].code == close_code::invalid_payload);
}

TEST_CASE("deflate: server_max_window_bits=8 output inflates with a 256-byte window") {
  // zlib compresses with 9 bits; its matches never reach back more than 250 bytes.
  std::mt19937 rng{3};
  deflater def{9, 9, 8, false};
  inflater inf{8, false};
  for (int message = 0; message < 50; ++message) {
    std::string data;
    while (data.size() < 4000) {
      // Repeats at distances around and beyond 256 tempt the compressor.
      const size_t distance = 200 + rng() % 400;
      if (data.size() > distance && rng() % 2)
        data += data.substr(data.size() - distance, 10 + rng() % 30);
      else
        for (int i = 0; i < 20; ++i) data.push_back(static_cast<char>('a' + rng() % 4));
    }
    auto compressed = std::string{def.compress(data)};
    std::string out;
    REQUIRE(inf.decompress(compressed, out, 1 << 20) == inflater::status::ok);
    REQUIRE(out == data);
  }
}

TEST_CASE(
    "deflate: messages round-trip through encoder and decoder for every window and takeover") {
  for (int bits : {8, 9, 12, 15})
    for (bool no_takeover : {false, true}) {
      INFO("bits " << bits << " no_context_takeover " << no_takeover);
      const deflate_params params{no_takeover, no_takeover, bits, bits};
      encoder client_enc{role::client, params};
      decoder server_dec{{.side = role::server, .deflate = params}};
      encoder server_enc{role::server, params};
      decoder client_dec{{.side = role::client, .deflate = params}};
      CHECK(client_enc.compressing());
      std::string up, down;
      std::vector<recorded> expected;
      for (unsigned i = 0; i < 30; ++i) {
        const auto msg = sample_text(i * 97 % 5000, i);
        auto a = client_enc.encode(opcode::text, msg);
        up += std::string(a.header) + std::string(a.payload);
        auto b = server_enc.encode(opcode::text, msg);
        CHECK((static_cast<uint8_t>(b.header[0]) & 0x40) != 0);  // RSV1
        down += std::string(b.header) + std::string(b.payload);
        expected.push_back(ws_test::text(msg));
      }
      std::vector<size_t> cuts;
      for (size_t pos = 3; pos < up.size(); pos += 101) cuts.push_back(pos);
      CHECK(feed(server_dec, up, cuts) == expected);
      CHECK(feed(client_dec, down) == expected);
    }
}

TEST_CASE("deflate: compressed fragments with control frames in between reassemble") {
  deflater def{6, 8, 15, false};
  const auto msg = sample_text(3000, 5);
  const std::string compressed{def.compress(msg)};
  const mask_key k{5, 6, 7, 8};
  const size_t third = compressed.size() / 3;
  auto wire = masked_frame(opcode::text, compressed.substr(0, third), k, false, true) +
              masked_frame(opcode::ping, "x", k) +
              masked_frame(opcode::continuation, compressed.substr(third, third), k, false) +
              masked_frame(opcode::continuation, compressed.substr(2 * third), k, false) +
              masked_frame(opcode::continuation, "", k, true);
  decoder dec{{.deflate = deflate_params{}}};
  CHECK(ws_test::feed_bytewise(dec, wire) ==
        std::vector<recorded>{{event_kind::ping, 0, "x"}, ws_test::text(msg)});
}

TEST_CASE("deflate: compression_threshold leaves short messages uncompressed") {
  encoder enc{role::server, deflate_params{}, {.compression_threshold = 100}};
  auto small = enc.encode(opcode::text, "short");
  CHECK((static_cast<uint8_t>(small.header[0]) & 0x40) == 0);
  CHECK(small.payload == "short");
  const std::string long_msg(200, 'a');
  auto big = enc.encode(opcode::text, long_msg);
  CHECK((static_cast<uint8_t>(big.header[0]) & 0x40) != 0);
  CHECK(big.payload.size() < 200);
  // Both decode on a client with the same parameters.
  auto wire = frame(opcode::text, "short") + std::string(big.header) + std::string(big.payload);
  decoder dec{{.side = role::client, .deflate = deflate_params{}}};
  auto ping = enc.encode(opcode::ping, std::string(120, 'p'));
  CHECK((static_cast<uint8_t>(ping.header[0]) & 0x40) == 0);
  CHECK(feed(dec, wire) == std::vector<recorded>{ws_test::text("short"), ws_test::text(long_msg)});
}

TEST_CASE("deflate: encoders without context takeover share a deflater but keep their own output") {
  const deflate_params params{.server_no_context_takeover = true};
  encoder a{role::server, params}, b{role::server, params};
  const auto msg_a = sample_text(2000, 11), msg_b = sample_text(3000, 12);
  auto out_a = a.encode(opcode::text, msg_a);
  const std::string wire_a_before = std::string(out_a.header) + std::string(out_a.payload);
  auto out_b = b.encode(opcode::binary, msg_b);
  // a's views survive b's use of the shared deflater.
  CHECK(std::string(out_a.header) + std::string(out_a.payload) == wire_a_before);
  const std::string wire_b = std::string(out_b.header) + std::string(out_b.payload);
  decoder dec_a{{.side = role::client, .deflate = params}};
  decoder dec_b{{.side = role::client, .deflate = params}};
  auto again = a.encode(opcode::text, msg_a);
  const std::string wire_a2 = std::string(again.header) + std::string(again.payload);
  CHECK(wire_a2 == wire_a_before);  // no history: the same message compresses the same
  CHECK(feed(dec_a, wire_a_before + wire_a2) ==
        std::vector<recorded>{ws_test::text(msg_a), ws_test::text(msg_a)});
  CHECK(feed(dec_b, wire_b) == std::vector<recorded>{ws_test::binary(msg_b)});
  a.shrink();
  auto after = a.encode(opcode::text, "x");
  CHECK(after.payload.size() > 0);
}

TEST_CASE("deflate: shrink between messages keeps decoding right with and without takeover") {
  for (bool no_takeover : {false, true}) {
    INFO("no_context_takeover " << no_takeover);
    const deflate_params params{.client_no_context_takeover = no_takeover};
    encoder enc{role::client, params};
    decoder dec{{.deflate = params}};
    for (unsigned i = 0; i < 5; ++i) {
      const auto msg = sample_text(500 + i * 300, 20 + i % 2);  // repeats: references history
      auto out = enc.encode(opcode::text, msg);
      const std::string wire = std::string(out.header) + std::string(out.payload);
      CHECK(feed(dec, wire) == std::vector<recorded>{ws_test::text(msg)});
      dec.shrink();
    }
  }
}

TEST_CASE("deflate: every strategy round-trips, and the strategy reaches zlib") {
  const auto msg = sample_text(4000, 21);
  size_t default_size = 0, huffman_size = 0;
  for (auto strategy :
       {deflate_strategy::default_strategy, deflate_strategy::filtered,
        deflate_strategy::huffman_only, deflate_strategy::rle, deflate_strategy::fixed}) {
    encoder enc{role::server, deflate_params{}, {.strategy = strategy}};
    auto out = enc.encode(opcode::text, msg);
    const std::string wire = std::string(out.header) + std::string(out.payload);
    decoder dec{{.side = role::client, .deflate = deflate_params{}}};
    CHECK(feed(dec, wire) == std::vector<recorded>{ws_test::text(msg)});
    if (strategy == deflate_strategy::default_strategy) default_size = out.payload.size();
    if (strategy == deflate_strategy::huffman_only) huffman_size = out.payload.size();
  }
  // Huffman coding alone finds no repeated strings: text compresses much less.
  CHECK(huffman_size > default_size + default_size / 4);
}

TEST_CASE("deflate: the default options are level 1, mem_level 8, 15-bit windows, takeover on") {
  deflate_options o;
  CHECK(o.level == 1);
  CHECK(o.mem_level == 8);
  CHECK(o.strategy == deflate_strategy::default_strategy);
  CHECK(o.server_max_window_bits == 15);
  CHECK(o.client_max_window_bits == 15);
  CHECK(o.server_context_takeover);
  CHECK(o.client_context_takeover);
}
