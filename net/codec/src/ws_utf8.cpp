#include "rodeo/ws_utf8.hpp"

#include <array>
#include <cstring>

namespace rodeo::ws {
namespace {

// The automaton follows the well-formed byte sequences of Unicode Table 3-7. Each state is a bit
// offset (a multiple of 6) so that a transition is one load and one shift: the 64-bit row of a
// byte holds, at offset S, the state that follows S on that byte.
enum state : uint8_t {
  accept = utf8_validator::accept_state,
  reject = utf8_validator::reject_state,
  tail1 = 12,     // one continuation byte (80..BF) left
  tail2 = 18,     // two left
  tail3 = 24,     // three left
  after_e0 = 30,  // next must be A0..BF (no overlong 3-byte forms)
  after_ed = 36,  // next must be 80..9F (no surrogates)
  after_f0 = 42,  // next must be 90..BF (no overlong 4-byte forms)
  after_f4 = 48,  // next must be 80..8F (nothing above U+10FFFF)
};
constexpr std::array<state, 9> all_states{accept,   reject,   tail1,    tail2,   tail3,
                                          after_e0, after_ed, after_f0, after_f4};

constexpr state next_state(state s, unsigned b) {
  const bool cont = b >= 0x80 && b <= 0xBF;
  switch (s) {
    case accept:
      if (b < 0x80) return accept;
      if (b >= 0xC2 && b <= 0xDF) return tail1;
      if (b == 0xE0) return after_e0;
      if (b == 0xED) return after_ed;
      if (b >= 0xE1 && b <= 0xEF) return tail2;
      if (b == 0xF0) return after_f0;
      if (b >= 0xF1 && b <= 0xF3) return tail3;
      if (b == 0xF4) return after_f4;
      return reject;  // 80..C1 as a lead byte, F5..FF
    case tail1:
      return cont ? accept : reject;
    case tail2:
      return cont ? tail1 : reject;
    case tail3:
      return cont ? tail2 : reject;
    case after_e0:
      return b >= 0xA0 && b <= 0xBF ? tail1 : reject;
    case after_ed:
      return b >= 0x80 && b <= 0x9F ? tail1 : reject;
    case after_f0:
      return b >= 0x90 && b <= 0xBF ? tail2 : reject;
    case after_f4:
      return b >= 0x80 && b <= 0x8F ? tail2 : reject;
    case reject:
      break;
  }
  return reject;
}

constexpr std::array<uint64_t, 256> make_rows() {
  std::array<uint64_t, 256> rows{};
  for (unsigned b = 0; b < 256; ++b)
    for (state s : all_states) rows[b] |= uint64_t{next_state(s, b)} << s;
  return rows;
}

constexpr std::array<uint64_t, 256> rows = make_rows();

constexpr uint64_t high_bits = 0x8080808080808080ull;

inline uint64_t load64(const unsigned char* p) noexcept {
  uint64_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

}  // namespace

bool utf8_validator::feed(const char* data, size_t size) noexcept {
  auto* p = reinterpret_cast<const unsigned char*>(data);
  const auto* end = p + size;
  uint64_t s = state_;
  while (p < end) {
    if (s == accept) {
      while (end - p >= 16 && ((load64(p) | load64(p + 8)) & high_bits) == 0) p += 16;
      if (p == end) break;
    }
    // Up to eight bytes through the DFA with no branch per byte. A shift count is taken mod 64
    // by the hardware, so the `& 63` inside the loop costs nothing; reject is absorbing, so
    // checking once per block is enough.
    const auto* stop = end - p > 8 ? p + 8 : end;
    while (p < stop) s = rows[*p++] >> (s & 63);
    s &= 63;
    if (s == reject) break;
  }
  state_ = static_cast<uint8_t>(s);
  return s != reject;
}

bool valid_utf8(std::string_view text) noexcept {
  utf8_validator v;
  return v.feed(text) && v.complete();
}

}  // namespace rodeo::ws
