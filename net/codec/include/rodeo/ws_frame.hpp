#pragma once
// WebSocket framing (RFC 6455 §5) with permessage-deflate (RFC 7692): an incremental decoder that
// turns received bytes into messages and control frames, and the encoders for the other way.
// Pure code: no sockets, no actors.
//
// Receiving: feed whatever the socket gave, in any chunking, and take events until need_more.
//
//   rodeo::ws::decoder dec{{.max_frame_size = 1 << 20}};      // server role by default
//   std::span<char> in{buf, n};                                // unmasked in place
//   for (;;) {
//     auto ev = dec.next(in);
//     switch (ev.kind) {
//       case rodeo::ws::event_kind::need_more: break;          // all of `in` consumed
//       case rodeo::ws::event_kind::text:   /* ev.data: whole message, valid UTF-8 */ continue;
//       case rodeo::ws::event_kind::binary: /* ev.data */ continue;
//       case rodeo::ws::event_kind::ping:   /* answer frame(opcode::pong, ev.data) */ continue;
//       case rodeo::ws::event_kind::pong:   continue;
//       case rodeo::ws::event_kind::close:  /* ev.code, ev.data = reason */ break;
//       case rodeo::ws::event_kind::error:  /* send close(ev.code), then close the socket */ break;
//     }
//     break;
//   }
//
// Sending (server): the header goes in a small buffer, the payload is written as is (writev).
//
//   rodeo::ws::encoder enc;                                    // or enc{role, params, options}
//   auto out = enc.encode(rodeo::ws::opcode::text, "hello");  // out.header + out.payload
//
// Decisions where RFC 6455 leaves room (all fail the connection with 1002 unless noted):
// - Lengths not in the minimal encoding (§5.2 "the minimal number of bytes MUST be used") are
//   rejected, as Cowboy does; no known client sends them.
// - Close codes accepted from the peer: 1000-1003, 1007-1014 (1012-1014 are IANA-registered:
//   service restart, try again later, bad gateway) and 3000-4999. 0-999, 1004-1006, 1015 (never
//   sent on the wire) and the unassigned 1016-2999 are protocol errors. Autobahn's 7.7/7.9 cases
//   agree (it does not test 1012-1015).
// - Invalid UTF-8 in a text message or close reason fails with 1007 on the chunk where it becomes
//   invalid, even inside a fragment or a frame still arriving (Autobahn 6.4 "fail fast").
// - A frame longer than max_frame_size, or a message (after inflating) longer than
//   max_message_size, fails with 1009 as soon as it is known: at the frame header for sizes on the
//   wire, during inflation for compressed messages.
// - Data after a close frame is ignored (§5.5.1).
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "rodeo/ws_deflate.hpp"
#include "rodeo/ws_mask.hpp"
#include "rodeo/ws_utf8.hpp"

namespace rodeo::ws {

enum class opcode : uint8_t {
  continuation = 0x0,
  text = 0x1,
  binary = 0x2,
  close = 0x8,
  ping = 0x9,
  pong = 0xA,
};

/// Close codes (RFC 6455 §7.4.1, IANA WebSocket Close Code Number Registry).
namespace close_code {
inline constexpr uint16_t normal = 1000;
inline constexpr uint16_t going_away = 1001;
inline constexpr uint16_t protocol_error = 1002;
inline constexpr uint16_t unsupported_data = 1003;
/// Never on the wire: the peer's close frame had no code.
inline constexpr uint16_t no_status = 1005;
/// Never on the wire: the connection dropped without a close frame.
inline constexpr uint16_t abnormal = 1006;
inline constexpr uint16_t invalid_payload = 1007;
inline constexpr uint16_t policy_violation = 1008;
inline constexpr uint16_t message_too_big = 1009;
inline constexpr uint16_t mandatory_extension = 1010;
inline constexpr uint16_t internal_error = 1011;
inline constexpr uint16_t service_restart = 1012;
inline constexpr uint16_t try_again_later = 1013;
inline constexpr uint16_t bad_gateway = 1014;
}  // namespace close_code

/// True for a code a peer may send in a close frame (see the decisions above).
constexpr bool valid_close_code(uint16_t code) noexcept {
  return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) ||
         (code >= 3000 && code <= 4999);
}

/// Which end of the connection this codec is: a server requires masked frames and sends
/// unmasked ones; a client the reverse.
enum class role : uint8_t { server, client };

// --- Encoding ---

/// Largest frame header: 2 bytes, a 64-bit extended length and a masking key.
inline constexpr size_t max_header_size = 14;
/// Largest payload of a control frame.
inline constexpr size_t max_control_payload = 125;

/// Writes an unmasked (server) frame header into `out` (room for max_header_size bytes) and
/// returns its length.
size_t write_frame_header(char* out, opcode op, uint64_t payload_size, bool fin = true,
                          bool rsv1 = false) noexcept;
/// Writes a masked (client) frame header with `key` and returns its length.
size_t write_masked_frame_header(char* out, opcode op, uint64_t payload_size, mask_key key,
                                 bool fin = true, bool rsv1 = false) noexcept;

/// A whole unmasked frame, header and payload in one string (small frames, broadcasts).
std::string frame(opcode op, std::string_view payload, bool fin = true, bool rsv1 = false);
/// A whole masked frame (clients: tests and load generators).
std::string masked_frame(opcode op, std::string_view payload, mask_key key, bool fin = true,
                         bool rsv1 = false);

/// The payload of a close frame: the code in network order and the reason, cut to fit the
/// 125-byte limit on a code point boundary. Pass close_code::no_status for an empty payload.
std::string close_payload(uint16_t code, std::string_view reason = {});

/// Frames outgoing messages for one connection, compressing data messages when permessage-deflate
/// was agreed (and the message reaches deflate_options::compression_threshold). Server role
/// output is zero-copy for uncompressed payloads; client role masks into an internal buffer with a
/// fresh key from OpenSSL's RAND_bytes per frame.
///
/// Without context takeover in its direction the encoder keeps no zlib state of its own: the
/// encoders of a thread share one deflater per configuration (compress() is synchronous), so an
/// idle connection costs nothing for compression.
class encoder {
 public:
  /// What to write: header then payload. Both views stay valid until the next call on this
  /// encoder; `payload` is the caller's own data when it was sent unchanged.
  struct output {
    std::string_view header;
    std::string_view payload;
  };

  explicit encoder(role r = role::server);
  encoder(role r, const deflate_params& params, const deflate_options& opts = {});
  ~encoder();
  encoder(encoder&&) noexcept;
  encoder& operator=(encoder&&) noexcept;

  /// Frames one whole message or control frame (control payloads must be ≤ 125 bytes).
  output encode(opcode op, std::string_view payload);
  /// A close frame with `code` and `reason` (close_payload()).
  output encode_close(uint16_t code, std::string_view reason = {});

  bool compressing() const noexcept { return compress_; }
  /// Frees the output buffer (call when idle; views from encode() die).
  void shrink() noexcept;

 private:
  std::string_view compress(std::string_view message);

  std::unique_ptr<deflater> deflate_;  // with context takeover; else the thread's shared one
  std::string buf_;
  size_t threshold_ = 0;
  int level_ = 0, mem_level_ = 0, window_bits_ = 0;
  deflate_strategy strategy_ = deflate_strategy::default_strategy;
  bool compress_ = false;
  role role_;
  char header_[max_header_size];
};

// --- Decoding ---

struct decoder_options {
  role side = role::server;
  /// Largest frame payload accepted, as sent on the wire (→ 1009).
  uint64_t max_frame_size = uint64_t{1} << 20;
  /// Largest message accepted: the sum of its fragments, after inflating (→ 1009).
  uint64_t max_message_size = uint64_t{1} << 20;
  /// The agreed permessage-deflate parameters, if the extension is in use (RSV1 is then allowed
  /// on the first frame of a data message).
  std::optional<deflate_params> deflate;
};

enum class event_kind : uint8_t { need_more, text, binary, ping, pong, close, error };

struct event {
  event_kind kind = event_kind::need_more;
  /// close: the peer's code (close_code::no_status if its frame had none); error: the code the
  /// connection must be closed with (1002, 1007 or 1009).
  uint16_t code = 0;
  /// text/binary: the whole message; ping/pong: the payload; close: the reason (valid UTF-8);
  /// error: a short description for logs. Valid until the next call to decoder::next() and, when
  /// it points into the caller's input buffer, until that buffer is changed.
  std::string_view data;
};

/// Incremental frame parser and message assembler.
class decoder {
 public:
  explicit decoder(decoder_options opts = {});
  ~decoder();
  decoder(decoder&&) noexcept;
  decoder& operator=(decoder&&) noexcept;

  /// Consumes bytes from the front of `in` (unmasking them in place) and returns the next event.
  /// need_more is returned only once all of `in` has been consumed, so the caller may then reuse
  /// its buffer. An unfragmented, uncompressed message that lies whole in `in` is returned as a
  /// view into `in` without a copy; other messages are assembled in an internal buffer. After a
  /// close event further input is ignored; after an error event every call repeats the error.
  event next(std::span<char>& in);

  /// The data of a text/binary event as a string, moved out of the internal buffer when it lives
  /// there (no copy for large or fragmented messages), copied otherwise.
  std::string take(const event& ev);

  /// True between the first and the last frame of a fragmented message.
  bool in_message() const noexcept { return in_message_; }
  /// True between frames with no fragmented message in progress: a decoder without
  /// permessage-deflate holds nothing then, and may be destroyed and made anew.
  bool idle() const noexcept { return state_ == state::header && header_len_ == 0 && !in_message_; }
  /// Changes the limits (Cowboy's set_options max_frame_size); they apply from the next frame
  /// header, and to the inflated size of the message in progress from the next chunk.
  void set_max_sizes(uint64_t max_frame_size, uint64_t max_message_size) noexcept {
    opts_.max_frame_size = max_frame_size;
    opts_.max_message_size = max_message_size;
  }
  /// Frees the message buffer, and the inflater's zlib state when no context is kept between
  /// messages (call when idle, between messages; views from next() die).
  void shrink() noexcept;

 private:
  enum class state : uint8_t { header, payload, closed, failed };

  bool read_header(std::span<char>& in);
  bool check_start(uint8_t b0, uint8_t b1);
  bool start_frame(const uint8_t* h);
  event payload(std::span<char>& in);
  event end_control();
  event end_message();
  event fail(uint16_t code, const char* why);
  bool reject(uint16_t code, const char* why);  // fail() for the header checks

  decoder_options opts_;
  std::unique_ptr<inflater> inflate_;
  std::string msg_;         // the message being assembled
  utf8_validator utf8_;     // over msg_ (or the zero-copy payload) for text messages
  uint64_t remaining_ = 0;  // payload bytes of the current frame still to come
  uint64_t offset_ = 0;     // payload bytes of the current frame already consumed
  const char* error_ = nullptr;
  uint16_t error_code_ = 0;
  state state_ = state::header;
  opcode op_ = opcode::continuation;      // current frame
  opcode msg_op_ = opcode::continuation;  // current message: text or binary
  bool fin_ = false;
  bool in_message_ = false;
  bool compressed_ = false;
  uint8_t header_len_ = 0;
  mask_key key_{};
  char header_[max_header_size];
  char control_[max_control_payload];
};

}  // namespace rodeo::ws
