// Differential: the UTF-8 DFA (whole and streamed in pieces) against a reference decoder written
// from RFC 3629 §4 (shortest form, no surrogates, at most U+10FFFF).
#include <string_view>

#include "fuzz.hpp"
#include "rodeo/ws_utf8.hpp"

namespace {

// 1: valid; 0: invalid; -1: valid so far but ends inside a sequence.
int reference(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    auto b = static_cast<unsigned char>(s[i]);
    size_t n;
    uint32_t cp;
    if (b < 0x80) {
      ++i;
      continue;
    } else if (b >= 0xc2 && b <= 0xdf) {
      n = 1, cp = b & 0x1f;
    } else if (b >= 0xe0 && b <= 0xef) {
      n = 2, cp = b & 0x0f;
    } else if (b >= 0xf0 && b <= 0xf4) {
      n = 3, cp = b & 0x07;
    } else {
      return 0;
    }
    for (size_t k = 1; k <= n; ++k) {
      if (i + k >= s.size()) {
        // Truncated: still valid so far only if what is there could start a valid sequence.
        uint32_t min = n == 1 ? 0x80 : n == 2 ? 0x800 : 0x10000;
        uint32_t lo = cp, hi = cp;
        for (size_t j = k; j <= n; ++j) lo <<= 6, hi = (hi << 6) | 0x3f;
        if (hi < min || lo > 0x10ffff || (lo >= 0xd800 && hi <= 0xdfff)) return 0;
        return -1;
      }
      auto c = static_cast<unsigned char>(s[i + k]);
      if ((c & 0xc0) != 0x80) return 0;
      cp = (cp << 6) | (c & 0x3f);
      // Reject as soon as the prefix can only lead to overlong, surrogate or too-large forms.
      uint32_t lo = cp, hi = cp;
      for (size_t j = k + 1; j <= n; ++j) lo <<= 6, hi = (hi << 6) | 0x3f;
      uint32_t min = n == 1 ? 0x80 : n == 2 ? 0x800 : 0x10000;
      if (hi < min || lo > 0x10ffff || (lo >= 0xd800 && hi <= 0xdfff)) return 0;
    }
    i += n + 1;
  }
  return 1;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  size_t piece = 1 + data[0] % 8;
  std::string_view s{reinterpret_cast<const char*>(data) + 1, size - 1};
  int ref = reference(s);
  FUZZ_CHECK(rodeo::ws::valid_utf8(s) == (ref == 1));
  rodeo::ws::utf8_validator v;
  bool ok = true;
  for (size_t at = 0; at < s.size() && ok; at += piece) ok = v.feed(s.substr(at, piece));
  // The streaming validator fails as soon as no continuation can make the text valid.
  FUZZ_CHECK(ok == (ref != 0));
  FUZZ_CHECK(v.failed() == (ref == 0));
  FUZZ_CHECK(v.complete() == (ref == 1));
  return 0;
}
