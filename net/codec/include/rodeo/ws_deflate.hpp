#pragma once
// permessage-deflate (RFC 7692): negotiation of the `sec-websocket-extensions` header and the
// per-message DEFLATE codec (zlib, raw deflate).
//
//   // Handshake (server): pick the first acceptable offer and answer it.
//   rodeo::ws::deflate_options opts;                    // server policy
//   if (auto n = rodeo::ws::negotiate_deflate(values, opts)) {
//     response_headers.emplace_back("sec-websocket-extensions", n->response);
//     // n->params configures rodeo::ws::decoder (inflate) and rodeo::ws::encoder (deflate)
//   }
//
// zlib cannot deflate with an 8-bit window (256 bytes): deflateInit2 rejects windowBits -8 for raw
// deflate. When the agreed server_max_window_bits is 8 the server still answers 8 and compresses
// with windowBits 9, which is RFC-correct: zlib never emits a match distance beyond the window
// size minus MIN_LOOKAHEAD (2^9 - 262 = 250 bytes), so every back-reference fits the peer's
// 256-byte window. Cowboy does the same.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

struct z_stream_s;

namespace rodeo::ws {

/// zlib's compression strategies (Cowboy's deflate_opts strategy).
enum class deflate_strategy : uint8_t { default_strategy, filtered, huffman_only, rle, fixed };

/// Server policy for permessage-deflate (Cowboy's deflate_opts).
struct deflate_options {
  /// zlib compression level 0..9 for outgoing messages. 1, not zlib's 6: on the 1 KiB text
  /// messages of the deflate echo (context takeover) level 6 costs 5-6x the CPU of level 1 for
  /// output 26 % smaller (ratio 0.20 vs 0.27); bench/README.md has the measurements.
  int level = 1;
  /// zlib memLevel 1..9 for outgoing messages: 8 costs ~128 KiB per connection beside the window.
  int mem_level = 8;
  /// zlib strategy for outgoing messages.
  deflate_strategy strategy = deflate_strategy::default_strategy;
  /// Largest LZ77 window (bits, 8..15) the server compresses with; lower saves memory.
  int server_max_window_bits = 15;
  /// Largest window (bits, 8..15) the server asks clients to compress with, when the client's
  /// offer lets it (a client_max_window_bits parameter); it sizes the inflate window.
  int client_max_window_bits = 15;
  /// false: always answer server_no_context_takeover (compress each message alone; the deflate
  /// history is not kept between messages).
  bool server_context_takeover = true;
  /// false: always answer client_no_context_takeover (clients compress each message alone, so
  /// the server's inflater keeps no history between messages).
  bool client_context_takeover = true;
  /// Outgoing messages shorter than this are sent uncompressed (RSV1 is per message).
  size_t compression_threshold = 0;
};

/// The agreed parameters of one connection ("agreed parameters", RFC 7692 §7.1).
struct deflate_params {
  bool server_no_context_takeover = false;
  bool client_no_context_takeover = false;
  int server_max_window_bits = 15;
  int client_max_window_bits = 15;
  friend bool operator==(const deflate_params&, const deflate_params&) = default;
};

struct deflate_negotiation {
  deflate_params params;
  /// The `sec-websocket-extensions` response value, e.g.
  /// "permessage-deflate; server_no_context_takeover; client_max_window_bits=12".
  std::string response;
};

/// Server side: reads every `sec-websocket-extensions` header value (in order) and accepts the
/// first permessage-deflate offer whose parameters are all known, valid and not repeated; invalid
/// offers are skipped (RFC 7692 §5). Other extensions are ignored. A value that does not parse
/// as an extension list (RFC 6455 §9.1) makes the whole header unusable: no offer is accepted.
std::optional<deflate_negotiation> negotiate_deflate(std::span<const std::string_view> values,
                                                     const deflate_options& opts);

/// Client side: validates a server's `sec-websocket-extensions` answer to the offer
/// "permessage-deflate; client_max_window_bits". nullopt if the answer is not a valid
/// permessage-deflate response (the client must then fail the connection).
std::optional<deflate_params> parse_deflate_response(std::string_view value);

/// Compresses whole messages for one direction of one connection (or, without context
/// takeover, for all of a thread's connections: see encoder). The zlib stream is allocated on
/// first use, so a connection that never sends a compressed message pays nothing.
class deflater {
 public:
  /// window_bits 8..15 (8 is compressed with 9, see the note at the top of this file).
  deflater(int level, int mem_level, int window_bits, bool no_context_takeover,
           deflate_strategy strategy = deflate_strategy::default_strategy);
  ~deflater();
  deflater(const deflater&) = delete;
  deflater& operator=(const deflater&) = delete;

  /// Compresses one message (RFC 7692 §7.2.1: DEFLATE, sync flush, the trailing 00 00 ff ff
  /// removed). The result stays valid until the next call. Throws std::bad_alloc if zlib cannot
  /// allocate its state.
  std::string_view compress(std::string_view message);

 private:
  z_stream_s* z_ = nullptr;
  std::string out_;
  int level_, mem_level_, window_bits_;
  bool no_context_takeover_;
  deflate_strategy strategy_;
  bool used_ = false;
};

/// Decompresses the messages of one direction of one connection, chunk by chunk, with a hard cap
/// on the output so a small "deflate bomb" costs at most `limit` bytes before it is refused.
class inflater {
 public:
  enum class status { ok, too_big, bad_data };

  /// window_bits 8..15: the window the peer agreed to compress with.
  inflater(int window_bits, bool no_context_takeover);
  ~inflater();
  inflater(const inflater&) = delete;
  inflater& operator=(const inflater&) = delete;

  /// Inflates the next chunk of a compressed message, appending to `out`; too_big as soon as
  /// `out` would exceed `limit` bytes (at most limit + 1 bytes are ever written).
  status inflate(std::string_view chunk, std::string& out, size_t limit);
  /// Ends the message: inflates the 00 00 ff ff tail (RFC 7692 §7.2.2), checks that the data
  /// ended on a block boundary, and drops the history under no_context_takeover.
  status finish(std::string& out, size_t limit);
  /// A whole message: inflate() then finish().
  status decompress(std::string_view message, std::string& out, size_t limit);
  /// Between messages without context takeover: frees the zlib state (~40 KiB with a 15-bit
  /// window); it is allocated again by the next compressed message. Otherwise does nothing.
  void release() noexcept;

 private:
  status run(const unsigned char* in, size_t size, std::string& out, size_t limit);
  void reset_keeping_window();

  z_stream_s* z_ = nullptr;
  int window_bits_;
  bool no_context_takeover_;
  // The data so far ended a DEFLATE stream (a block with BFINAL set, RFC 7692 §7.2.3.4): the
  // appended tail must not be inflated as the start of a new stream.
  bool after_final_ = false;
  bool fed_ = false;  // the current message has compressed bytes
};

}  // namespace rodeo::ws
