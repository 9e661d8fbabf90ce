#include <catch2/catch.hpp>

#include <string>

#include "rodeo/ascii.hpp"

using namespace rodeo::ascii;

TEST_CASE("ascii: tchar and token (RFC 9110 5.6.2)") {
  CHECK(is_token("content-type"));
  CHECK(is_token("!#$%&'*+-.^_`|~09azAZ"));
  CHECK_FALSE(is_token(""));
  CHECK_FALSE(is_token("a b"));
  CHECK_FALSE(is_token("a:b"));
  CHECK_FALSE(is_token("a\"b"));
  CHECK_FALSE(is_token("\xc3\xa9"));
  for (char c : std::string{"()<>@,;:\\\"/[]?={} \t\x7f"}) CHECK_FALSE(is_tchar(c));
  CHECK_FALSE(is_tchar('\0'));
  static_assert(is_token("gzip"));
}

TEST_CASE("ascii: case folding touches only A-Z") {
  CHECK(lower('A') == 'a');
  CHECK(lower('Z') == 'z');
  CHECK(lower('@') == '@');
  CHECK(lower('[') == '[');
  CHECK(lower('\xc3') == '\xc3');
  CHECK(to_lower("Content-Type: \xc3\x89T\xc3\x89") == "content-type: \xc3\x89t\xc3\x89");
  std::string s = "KeeP-ALIVE";
  lowercase(s);
  CHECK(s == "keep-alive");
}

TEST_CASE("ascii: iequals compares case-insensitively, bytes outside A-Z exactly") {
  CHECK(iequals("Upgrade", "upgrade"));
  CHECK(iequals("", ""));
  CHECK_FALSE(iequals("upgrade", "upgrades"));
  CHECK_FALSE(iequals("@", "`"));  // 0x40 and 0x60 differ by 32 but are not letters
  CHECK_FALSE(iequals("\xc3\xa9", "\xc3\x89"));
  static_assert(iequals("WebSocket", "websocket"));
}
