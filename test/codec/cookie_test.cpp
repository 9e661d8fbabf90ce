// Cookies, checked against cow_cookie's tests.
#include <catch2/catch.hpp>

#include <limits>
#include <random>
#include <string>

#include "rodeo/cookie.hpp"

using pairs = std::vector<std::pair<std::string_view, std::string_view>>;

TEST_CASE("cookie: parse splits name=value pairs on semicolons") {
  CHECK(rodeo::cookie::parse("name=value; name2=value2") ==
        pairs{{"name", "value"}, {"name2", "value2"}});
  CHECK(rodeo::cookie::parse("") == pairs{});
  CHECK(rodeo::cookie::parse("foo=;bar=") == pairs{{"foo", ""}, {"bar", ""}});
}

TEST_CASE("cookie: parse is lenient about values like cowlib (spaces, commas, quotes)") {
  CHECK(rodeo::cookie::parse("foo=Thu Jul 11 2013 15:38:43 GMT+0400 (MSK)") ==
        pairs{{"foo", "Thu Jul 11 2013 15:38:43 GMT+0400 (MSK)"}});
  CHECK(rodeo::cookie::parse("__utmz=64249653.1400019557.703.13.utmcsr=bluesky|utmcct=/a,0,0.s; "
                             "__utmc=64249653") ==
        pairs{{"__utmz", "64249653.1400019557.703.13.utmcsr=bluesky|utmcct=/a,0,0.s"},
              {"__utmc", "64249653"}});
  CHECK(rodeo::cookie::parse("foo=\\x") == pairs{{"foo", "\\x"}});
  CHECK(rodeo::cookie::parse("foo=\\\";;bar=good ") == pairs{{"foo", "\\\""}, {"bar", "good"}});
  CHECK(rodeo::cookie::parse("foo=\"\\\";bar=good") == pairs{{"foo", "\"\\\""}, {"bar", "good"}});
  CHECK(rodeo::cookie::parse("foo=bar , baz=wibble ") == pairs{{"foo", "bar , baz=wibble"}});
}

TEST_CASE("cookie: parse treats a pair without '=' as a value with an empty name") {
  CHECK(rodeo::cookie::parse("foo") == pairs{{"", "foo"}});
  CHECK(rodeo::cookie::parse("foo ") == pairs{{"", "foo"}});
  CHECK(rodeo::cookie::parse("foo;") == pairs{{"", "foo"}});
  CHECK(rodeo::cookie::parse("bar;foo=1") == pairs{{"", "bar"}, {"foo", "1"}});
}

TEST_CASE("cookie: parse rejects an empty name, ',' in a name and control whitespace") {
  CHECK_FALSE(rodeo::cookie::parse("="));
  CHECK_FALSE(rodeo::cookie::parse("a=1; =2"));
  CHECK_FALSE(rodeo::cookie::parse("a,b=1"));
  CHECK_FALSE(rodeo::cookie::parse("a\tb=1"));
  CHECK_FALSE(rodeo::cookie::parse("a=1\r\n"));
  CHECK_FALSE(rodeo::cookie::parse("a=b\vc"));
  CHECK_FALSE(rodeo::cookie::parse("a=b\fc"));
}

TEST_CASE("cookie: build joins pairs, bare values without '='") {
  using rodeo::cookie::build;
  CHECK(build({}) == "");
  CHECK(build({{"a", "b"}}) == "a=b");
  CHECK(build({{"a", "b"}, {"c", "d"}}) == "a=b; c=d");
  CHECK(build({{"", "b"}, {"c", "d"}}) == "b; c=d");
  CHECK(build({{"a", "b"}, {"", "d"}}) == "a=b; d");
}

TEST_CASE("cookie: setcookie writes attributes in cowlib's order") {
  using rodeo::cookie::opts;
  using rodeo::cookie::setcookie;
  using ss = rodeo::cookie::same_site;
  opts o1;
  o1.http_only = true;
  o1.domain = "acme.com";
  CHECK(setcookie("Customer", "WILE_E_COYOTE", o1) ==
        "Customer=WILE_E_COYOTE; Domain=acme.com; HttpOnly");
  opts o2;
  o2.path = "/acme";
  CHECK(setcookie("Customer", "WILE_E_COYOTE", o2) == "Customer=WILE_E_COYOTE; Path=/acme");
  opts o3;
  o3.secure = true;
  CHECK(setcookie("Customer", "WILE_E_COYOTE", o3) == "Customer=WILE_E_COYOTE; Secure");
  CHECK(setcookie("Customer", "WILE_E_COYOTE") == "Customer=WILE_E_COYOTE");
  for (auto [s, text] :
       {std::pair{ss::none, "; SameSite=None"}, std::pair{ss::lax, "; SameSite=Lax"},
        std::pair{ss::strict, "; SameSite=Strict"}}) {
    opts o;
    o.same_site = s;
    CHECK(setcookie("Customer", "WILE_E_COYOTE", o) ==
          std::string{"Customer=WILE_E_COYOTE"} + text);
  }
  opts all{.max_age = 0,
           .domain = "d",
           .path = "/",
           .secure = true,
           .http_only = true,
           .same_site = ss::lax};
  CHECK(setcookie("a", "b", all) ==
        "a=b; Domain=d; HttpOnly; Expires=Thu, 01-Jan-1970 00:00:01 GMT; Max-Age=0; Path=/; "
        "SameSite=Lax; Secure");
}

TEST_CASE("cookie: setcookie max_age writes Expires from the clock and Max-Age") {
  rodeo::cookie::opts o;
  o.max_age = 111;
  o.secure = true;
  // 1994-11-06 08:49:37 UTC
  CHECK(rodeo::cookie::setcookie("Customer", "WILE_E_COYOTE", o, 784111777) ==
        "Customer=WILE_E_COYOTE; Expires=Sun, 06-Nov-1994 08:51:28 GMT; Max-Age=111; Secure");
  o.max_age = 86417;
  o.secure = false;
  CHECK(rodeo::cookie::setcookie("C", "W", o, 784111777) ==
        "C=W; Expires=Mon, 07-Nov-1994 08:49:54 GMT; Max-Age=86417");
  o.max_age = -111;
  CHECK_FALSE(rodeo::cookie::setcookie("C", "W", o));
  o.max_age = INT64_MAX;
  auto far = rodeo::cookie::setcookie("C", "W", o, 784111777);
  REQUIRE(far);
  CHECK(far->find("Expires=Fri, 31-Dec-9999 23:59:59 GMT") != std::string::npos);
}

TEST_CASE("cookie: setcookie rejects names and values that would break the header") {
  using rodeo::cookie::setcookie;
  CHECK_FALSE(setcookie("Na=me", "Value"));
  CHECK_FALSE(setcookie("Name;", "Value"));
  CHECK_FALSE(setcookie("\r\name", "Value"));
  CHECK_FALSE(setcookie("Name", "Value;"));
  CHECK_FALSE(setcookie("Name", "\value"));
  CHECK_FALSE(setcookie("Name", "a,b"));
  CHECK_FALSE(setcookie("Name", "a b"));
  CHECK_FALSE(setcookie("Name", std::string_view{"a\0b", 3}));
  rodeo::cookie::opts o;
  o.path = "/a\r\nSet-Cookie: x=y";
  CHECK_FALSE(setcookie("Name", "v", o));
  rodeo::cookie::opts d;
  d.domain = "a; Secure";
  CHECK_FALSE(setcookie("Name", "v", d));
}

TEST_CASE("cookie: a set-cookie pair parses back through the cookie header") {
  std::mt19937 rng{5};
  static constexpr char chars[] = "abcXYZ019!#$%&'()*+-./:<>?@[]^_`{|}~\"\\";
  for (int i = 0; i < 2000; ++i) {
    std::string name(1 + rng() % 8, 'a'), value(rng() % 8, 'a');
    for (auto& c : name) c = chars[rng() % (sizeof chars - 1)];
    for (auto& c : value) c = chars[rng() % (sizeof chars - 1)];
    auto sc = rodeo::cookie::setcookie(name, value);
    REQUIRE(sc);
    auto parsed = rodeo::cookie::parse(*sc);
    REQUIRE(parsed);
    REQUIRE(parsed->size() == 1);
    CHECK((*parsed)[0].first == name);
    CHECK((*parsed)[0].second == value);
  }
}

TEST_CASE("cookie: parse takes arbitrary bytes without crashing") {
  std::mt19937 rng{9};
  static constexpr char chars[] = "=;, \ta\r\n\"\0\xff";
  for (int i = 0; i < 20000; ++i) {
    std::string s(rng() % 20, '\0');
    for (auto& c : s) c = chars[rng() % (sizeof chars - 1)];
    if (auto r = rodeo::cookie::parse(s))
      for (auto& [n, v] : *r) CHECK(n.find(';') == std::string_view::npos);
  }
}

TEST_CASE("cookie: filter keeps the named pairs as they were, invalid ones included") {
  using rodeo::cookie::filter;
  CHECK(filter("a=1; b=2; c=3", {"a", "c"}) == "a=1; c=3");
  CHECK(filter("a=1; b=2; c=3", {"b"}) == " b=2");
  CHECK(filter("a=1; b=2", {"z"}).empty());
  CHECK(filter("", {"a"}).empty());
  // parse() refuses a TAB or a ',' in a name; filtering the pair out makes the header parse.
  std::string bad = "good=1; b,ad=x; \tevil=\t; other=2";
  CHECK_FALSE(rodeo::cookie::parse(bad));
  auto kept = filter(bad, {"good", "other"});
  CHECK(kept == "good=1; other=2");
  CHECK(rodeo::cookie::parse(kept) == pairs{{"good", "1"}, {"other", "2"}});
  // Names are compared whole and case-sensitively; a pair without '=' is named by all of it.
  CHECK(filter("ab=1; A=2; a=3", {"a"}) == " a=3");
  CHECK(filter("flag; a=1", {"flag"}) == "flag");
  CHECK(filter("\t a=1", {"a"}) == "\t a=1");
}

TEST_CASE("cookie: setcookie expires writes an absolute Expires unless max_age is given") {
  using rodeo::cookie::setcookie;
  rodeo::cookie::opts o;
  o.expires = 784111777;  // 1994-11-06 08:49:37 UTC
  CHECK(setcookie("C", "W", o, 0) == "C=W; Expires=Sun, 06-Nov-1994 08:49:37 GMT");
  o.max_age = 111;
  CHECK(setcookie("C", "W", o, 784111777) ==
        "C=W; Expires=Sun, 06-Nov-1994 08:51:28 GMT; Max-Age=111");
  o.max_age.reset();
  o.expires = 0;
  CHECK(setcookie("C", "W", o) == "C=W; Expires=Thu, 01-Jan-1970 00:00:00 GMT");
  o.expires = -1;
  CHECK_FALSE(setcookie("C", "W", o));
  o.expires = std::numeric_limits<std::time_t>::max();
  CHECK(setcookie("C", "W", o) == "C=W; Expires=Fri, 31-Dec-9999 23:59:59 GMT");
}
