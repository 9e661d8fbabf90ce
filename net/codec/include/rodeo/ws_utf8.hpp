#pragma once
// Incremental UTF-8 validation for WebSocket text messages and close reasons (RFC 6455 §8.1,
// RFC 3629). A message may arrive split anywhere, even inside a code point, so the validator keeps
// its state between chunks and reports invalid input on the chunk where it becomes invalid (the
// connection is failed with 1007 at once, not at the end of the message).
//
//   rodeo::ws::utf8_validator v;
//   if (!v.feed(chunk1) || !v.feed(chunk2) || !v.complete()) { /* close with 1007 */ }
//
// Rejects overlong forms, UTF-16 surrogates (U+D800..U+DFFF), code points above U+10FFFF and
// truncated sequences. ASCII runs are checked 16 bytes at a time; other bytes go through a
// shift-based DFA (one table load and one shift per byte, eight bytes per branch).
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace rodeo::ws {

class utf8_validator {
 public:
  /// Feeds the next chunk. Returns false as soon as the input so far cannot be UTF-8; once false,
  /// it stays false until reset().
  bool feed(const char* data, size_t size) noexcept;
  bool feed(std::string_view chunk) noexcept { return feed(chunk.data(), chunk.size()); }

  /// True when everything fed so far is valid and ends on a code point boundary.
  bool complete() const noexcept { return state_ == accept_state; }
  /// True once the input is known to be invalid.
  bool failed() const noexcept { return state_ == reject_state; }
  void reset() noexcept { state_ = accept_state; }

  /// DFA states are bit offsets into the per-byte transition rows (see ws_utf8.cpp).
  static constexpr uint8_t accept_state = 0;
  static constexpr uint8_t reject_state = 6;

 private:
  uint8_t state_ = accept_state;
};

/// True if `text` is complete, valid UTF-8.
bool valid_utf8(std::string_view text) noexcept;

}  // namespace rodeo::ws
