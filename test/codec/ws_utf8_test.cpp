#include <catch2/catch.hpp>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "rodeo/ws_utf8.hpp"

using rodeo::ws::utf8_validator;
using rodeo::ws::valid_utf8;

namespace {

std::string bytes(std::initializer_list<int> list) {
  std::string s;
  for (int b : list) s.push_back(static_cast<char>(b));
  return s;
}

// A straightforward decoder, the reference for the DFA: true if s is complete, valid UTF-8.
bool reference_valid(const std::string& s) {
  size_t i = 0;
  while (i < s.size()) {
    const auto b = static_cast<uint8_t>(s[i]);
    int len;
    uint32_t cp;
    if (b < 0x80) {
      ++i;
      continue;
    } else if ((b & 0xE0) == 0xC0) {
      len = 2;
      cp = b & 0x1F;
    } else if ((b & 0xF0) == 0xE0) {
      len = 3;
      cp = b & 0x0F;
    } else if ((b & 0xF8) == 0xF0) {
      len = 4;
      cp = b & 0x07;
    } else {
      return false;
    }
    if (i + len > s.size()) return false;
    for (int k = 1; k < len; ++k) {
      const auto c = static_cast<uint8_t>(s[i + k]);
      if ((c & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (c & 0x3F);
    }
    static constexpr uint32_t min_for_len[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < min_for_len[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += len;
  }
  return true;
}

bool split_valid(const std::string& s, size_t cut) {
  utf8_validator v;
  return v.feed(s.substr(0, cut)) && v.feed(s.substr(cut)) && v.complete();
}

// Markus Kuhn's UTF-8 decoder capability and stress test, the sequences Autobahn 6.x sends.
const std::vector<std::string>& valid_vectors() {
  static const std::vector<std::string> v = {
      "",
      "Hello-µ@ßöäüàá-UTF-8!!",
      bytes({0xCE, 0xBA, 0xE1, 0xBD, 0xB9, 0xCF, 0x83, 0xCE, 0xBC, 0xCE, 0xB5}),  // κόσμε
      bytes({0x00}),                                                              // U+0000
      bytes({0xC2, 0x80}),                                                        // U+0080
      bytes({0xE0, 0xA0, 0x80}),                                                  // U+0800
      bytes({0xF0, 0x90, 0x80, 0x80}),                                            // U+10000
      bytes({0x7F}),                                                              // U+007F
      bytes({0xDF, 0xBF}),                                                        // U+07FF
      bytes({0xEF, 0xBF, 0xBF}),                                                  // U+FFFF
      bytes({0xF4, 0x8F, 0xBF, 0xBF}),                                            // U+10FFFF
      bytes({0xED, 0x9F, 0xBF}),                                                  // U+D7FF
      bytes({0xEE, 0x80, 0x80}),                                                  // U+E000
      bytes({0xEF, 0xBF, 0xBD}),                                                  // U+FFFD
      bytes({0xEF, 0xBF, 0xBE}),                                                  // U+FFFE
      bytes({0xF0, 0x9F, 0x98, 0x80, 0x41}),                                      // emoji, A
  };
  return v;
}

const std::vector<std::string>& invalid_vectors() {
  static const std::vector<std::string> v = {
      bytes({0x80}),  // lone continuation bytes
      bytes({0xBF}),
      bytes({0x80, 0xBF, 0x80}),
      bytes({0xC0, 0x20}),  // lonely start characters
      bytes({0xE0, 0x20}),
      bytes({0xF0, 0x20}),
      bytes({0xC2}),  // last byte missing
      bytes({0xE0, 0xA0}),
      bytes({0xF0, 0x90, 0x80}),
      bytes({0xDF}),
      bytes({0xEF, 0xBF}),
      bytes({0xF4, 0x8F, 0xBF}),
      bytes({0xFE}),  // impossible bytes
      bytes({0xFF}),
      bytes({0xFE, 0xFE, 0xFF, 0xFF}),
      bytes({0xF8, 0x88, 0x80, 0x80, 0x80}),  // 5- and 6-byte forms
      bytes({0xFC, 0x84, 0x80, 0x80, 0x80, 0x80}),
      bytes({0xC0, 0xAF}),  // overlong '/'
      bytes({0xE0, 0x80, 0xAF}),
      bytes({0xF0, 0x80, 0x80, 0xAF}),
      bytes({0xC1, 0xBF}),  // maximum overlongs
      bytes({0xE0, 0x9F, 0xBF}),
      bytes({0xF0, 0x8F, 0xBF, 0xBF}),
      bytes({0xC0, 0x80}),  // overlong NUL
      bytes({0xE0, 0x80, 0x80}),
      bytes({0xF0, 0x80, 0x80, 0x80}),
      bytes({0xED, 0xA0, 0x80}),  // single surrogates
      bytes({0xED, 0xAD, 0xBF}),
      bytes({0xED, 0xAE, 0x80}),
      bytes({0xED, 0xAF, 0xBF}),
      bytes({0xED, 0xB0, 0x80}),
      bytes({0xED, 0xBE, 0x80}),
      bytes({0xED, 0xBF, 0xBF}),
      bytes({0xED, 0xA0, 0x80, 0xED, 0xB0, 0x80}),  // surrogate pair
      bytes({0xF4, 0x90, 0x80, 0x80}),              // U+110000
      bytes({0xF5, 0x80, 0x80, 0x80}),
      bytes({0xCE, 0xBA, 0xE1, 0xBD, 0xB9, 0xCF, 0x83, 0xCE, 0xBC, 0xCE, 0xB5,
             0xED, 0xA0, 0x80, 0x65, 0x64, 0x69, 0x74, 0x65, 0x64}),  // Autobahn 6.4.x: κόσμε +
                                                                      // U+D800
  };
  return v;
}

}  // namespace

TEST_CASE("utf8: Markus Kuhn's valid sequences are accepted, whole and split at every byte") {
  for (const auto& s : valid_vectors()) {
    INFO("vector of " << s.size() << " bytes");
    CHECK(valid_utf8(s));
    CHECK(reference_valid(s));
    for (size_t cut = 0; cut <= s.size(); ++cut) CHECK(split_valid(s, cut));
  }
}

TEST_CASE(
    "utf8: overlongs, surrogates, beyond U+10FFFF and truncations are rejected at every split") {
  for (const auto& s : invalid_vectors()) {
    INFO("vector of " << s.size() << " bytes");
    CHECK_FALSE(valid_utf8(s));
    CHECK_FALSE(reference_valid(s));
    for (size_t cut = 0; cut <= s.size(); ++cut) CHECK_FALSE(split_valid(s, cut));
  }
}

TEST_CASE("utf8: an incomplete code point is not an error until the input ends") {
  utf8_validator v;
  CHECK(v.feed(bytes({0xE2, 0x82})));  // first two bytes of U+20AC
  CHECK_FALSE(v.complete());
  CHECK_FALSE(v.failed());
  CHECK(v.feed(bytes({0xAC})));
  CHECK(v.complete());
}

TEST_CASE("utf8: invalid input fails on the byte where it becomes invalid and stays failed") {
  // κόσμε then ED A0 80: the A0 (index 12) makes it invalid; everything before is a valid prefix.
  const auto s = invalid_vectors().back();
  utf8_validator v;
  size_t failed_at = s.size();
  for (size_t i = 0; i < s.size(); ++i)
    if (!v.feed(s.substr(i, 1))) {
      failed_at = i;
      break;
    }
  CHECK(failed_at == 12);
  CHECK(v.failed());
  CHECK_FALSE(v.feed("plain ascii"));
  v.reset();
  CHECK(v.feed("plain ascii"));
  CHECK(v.complete());
}

TEST_CASE("utf8: the ASCII fast path finds a bad byte at any position in long input") {
  for (size_t len = 1; len <= 70; ++len)
    for (size_t pos = 0; pos < len; ++pos) {
      std::string s(len, 'a');
      s[pos] = static_cast<char>(0xFF);
      INFO("len " << len << " pos " << pos);
      REQUIRE_FALSE(valid_utf8(s));
      s[pos] = static_cast<char>(0xC3);  // a lead byte needing a continuation
      if (pos + 1 < len) s[pos + 1] = static_cast<char>(0xA9);  // é
      REQUIRE(valid_utf8(s) == (pos + 1 < len));
    }
}

TEST_CASE("utf8: the DFA agrees with a reference decoder on every 1-, 2- and 3-byte sequence") {
  std::string s;
  for (int a = 0; a < 256; ++a) {
    s.assign(1, static_cast<char>(a));
    REQUIRE(valid_utf8(s) == reference_valid(s));
    for (int b = 0; b < 256; ++b) {
      s.assign({static_cast<char>(a), static_cast<char>(b)});
      REQUIRE(valid_utf8(s) == reference_valid(s));
      if (a < 0xC0) continue;  // a valid 3-byte sequence starts with a lead byte
      for (int c = 0; c < 256; ++c) {
        s.assign({static_cast<char>(a), static_cast<char>(b), static_cast<char>(c)});
        REQUIRE(valid_utf8(s) == reference_valid(s));
      }
    }
  }
}

TEST_CASE("utf8: the DFA agrees with a reference decoder on random 4-byte sequences and text") {
  std::mt19937 rng{42};
  std::string s;
  for (int i = 0; i < 1'000'000; ++i) {
    const auto r = rng();
    s.assign({static_cast<char>(0xF0 | (r & 0x07)), static_cast<char>(r >> 8),
              static_cast<char>(r >> 16), static_cast<char>(r >> 24)});
    REQUIRE(valid_utf8(s) == reference_valid(s));
  }
  // Random mixes of valid code points and occasional garbage, split at random points.
  std::uniform_int_distribution<uint32_t> cp_dist(0, 0x10FFFF);
  for (int i = 0; i < 2000; ++i) {
    s.clear();
    for (int k = 0; k < 40; ++k) {
      uint32_t cp = rng() % 3 == 0 ? rng() % 128 : cp_dist(rng);
      if (cp >= 0xD800 && cp <= 0xDFFF) cp = 'x';
      if (cp < 0x80) {
        s.push_back(static_cast<char>(cp));
      } else if (cp < 0x800) {
        s.push_back(static_cast<char>(0xC0 | (cp >> 6)));
        s.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
      } else if (cp < 0x10000) {
        s.push_back(static_cast<char>(0xE0 | (cp >> 12)));
        s.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
        s.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
      } else {
        s.push_back(static_cast<char>(0xF0 | (cp >> 18)));
        s.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
        s.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
        s.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
      }
    }
    if (i % 2) s[rng() % s.size()] = static_cast<char>(rng());
    const bool expected = reference_valid(s);
    REQUIRE(valid_utf8(s) == expected);
    REQUIRE(split_valid(s, rng() % (s.size() + 1)) == expected);
  }
}
