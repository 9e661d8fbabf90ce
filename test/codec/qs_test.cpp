// Query strings, checked against cow_qs's tests, and Cowboy's match_qs.
#include <catch2/catch.hpp>

#include <random>
#include <string>

#include "rodeo/qs.hpp"

using rodeo::constraint;
using rodeo::value;
using rodeo::qs::pair;
using rodeo::qs::vals;

namespace {
pair flag(std::string name) {
  return pair{std::move(name), std::nullopt};
}
pair kv(std::string name, std::string v) {
  return pair{std::move(name), std::move(v)};
}
}  // namespace

TEST_CASE("qs: parse keeps keys in order, bare keys are true, '+' is a space") {
  using rodeo::qs::parse;
  CHECK(parse("") == vals{});
  CHECK(parse("&") == vals{});
  CHECK(parse("a") == vals{flag("a")});
  CHECK(parse("a&") == vals{flag("a")});
  CHECK(parse("&a") == vals{flag("a")});
  CHECK(parse("a&b") == vals{flag("a"), flag("b")});
  CHECK(parse("a&&b") == vals{flag("a"), flag("b")});
  CHECK(parse("a&b&") == vals{flag("a"), flag("b")});
  CHECK(parse("a=") == vals{kv("a", "")});
  CHECK(parse("a=b") == vals{kv("a", "b")});
  CHECK(parse("a=&b=") == vals{kv("a", ""), kv("b", "")});
  CHECK(parse("a=b&c&d=e") == vals{kv("a", "b"), flag("c"), kv("d", "e")});
  CHECK(parse("a=b=c&d=e=f&g=h=i") == vals{kv("a", "b=c"), kv("d", "e=f"), kv("g", "h=i")});
  CHECK(parse("+") == vals{flag(" ")});
  CHECK(parse("+=+") == vals{kv(" ", " ")});
  CHECK(parse("a+b=c+d") == vals{kv("a b", "c d")});
  CHECK(parse("+a+=+b+&+c+=+d+") == vals{kv(" a ", " b "), kv(" c ", " d ")});
  CHECK(parse("a%20b=c%20d") == vals{kv("a b", "c d")});
  CHECK(parse("%25%26%3D=%25%26%3D&_-.=.-_") == vals{kv("%&=", "%&="), kv("_-.", ".-_")});
  CHECK(parse("for=extend%2Franch") == vals{kv("for", "extend/ranch")});
  CHECK(parse("a=1&a=2") == vals{kv("a", "1"), kv("a", "2")});
}

TEST_CASE("qs: parse rejects an empty key before '=' and bad escapes") {
  using rodeo::qs::parse;
  CHECK_FALSE(parse("="));
  CHECK_FALSE(parse("=b"));
  CHECK_FALSE(parse("a=1&=b"));
  CHECK_FALSE(parse("a=%zz"));
  CHECK_FALSE(parse("a%2=b"));
  CHECK_FALSE(parse("a=%"));
}

TEST_CASE("qs: parse stops at max_keys (100 by default)") {
  std::string hundred;
  for (int i = 1; i <= 100; ++i) hundred += (i > 1 ? "&a" : "a") + std::to_string(i) + "=b";
  auto r = rodeo::qs::parse(hundred);
  REQUIRE(r);
  CHECK(r->size() == 100);
  CHECK_FALSE(rodeo::qs::parse(hundred + "&a101=b"));
  CHECK(rodeo::qs::parse(hundred + "&a101=b", 101));
  CHECK_FALSE(rodeo::qs::parse("a&b&c", 2));
}

TEST_CASE("qs: build writes bare keys and form-encodes") {
  using rodeo::qs::build;
  CHECK(build({}) == "");
  CHECK(build({flag("a")}) == "a");
  CHECK(build({flag("a"), flag("b")}) == "a&b");
  CHECK(build({kv("a", "")}) == "a=");
  CHECK(build({kv("a", "b"), flag("c"), kv("d", "e")}) == "a=b&c&d=e");
  CHECK(build({kv("a", "b=c"), kv("d", "e=f"), kv("g", "h=i")}) == "a=b%3Dc&d=e%3Df&g=h%3Di");
  CHECK(build({flag(" ")}) == "+");
  CHECK(build({kv(" a ", " b "), kv(" c ", " d ")}) == "+a+=+b+&+c+=+d+");
  CHECK(build({kv("%&=", "%&="), kv("_-.", ".-_")}) == "%25%26%3D=%25%26%3D&_-.=.-_");
  CHECK(build({kv("for", "extend/ranch")}) == "for=extend%2Franch");
}

TEST_CASE("qs: parse(build(x)) == x and build(parse(s)) == s for cowlib's samples") {
  for (std::string s : {"+", "hl=en&q=erlang+cowboy",
                        "direction=desc&for=extend%2Franch&sort=updated&state=open"}) {
    auto p = rodeo::qs::parse(s);
    REQUIRE(p);
    CHECK(rodeo::qs::build(*p) == s);
  }
  std::mt19937 rng{3};
  for (int i = 0; i < 1000; ++i) {
    vals v;
    for (auto n = rng() % 5; n > 0; --n) {
      std::string name(1 + rng() % 6, '\0'), value(rng() % 6, '\0');
      for (auto& c : name) c = static_cast<char>(rng() % 256);
      for (auto& c : value) c = static_cast<char>(rng() % 256);
      v.push_back(rng() % 3 ? kv(name, value) : flag(name));
    }
    CHECK(rodeo::qs::parse(rodeo::qs::build(v)) == v);
  }
}

TEST_CASE("qs: urldecode and urlencode (form rules)") {
  using namespace rodeo::qs;
  CHECK(urldecode("%20") == " ");
  CHECK(urldecode("+") == " ");
  CHECK(urldecode("%00") == std::string(1, '\0'));
  CHECK(urldecode("%fF") == "\xff");
  CHECK(urldecode("123") == "123");
  CHECK(urldecode("a b") == "a b");  // any byte but '%' passes, as in cowlib
  CHECK_FALSE(urldecode("%i5"));
  CHECK_FALSE(urldecode("%5"));
  CHECK(urlencode(std::string_view{"\xff\0", 2}) == "%FF%00");
  CHECK(urlencode("\xff ") == "%FF+");
  CHECK(urlencode(" ") == "+");
  CHECK(urlencode("aBc123") == "aBc123");
  CHECK(urlencode(".-_") == ".-_");
  CHECK(urlencode("~") == "%7E");
  for (std::string s : {"+", "nothingnothingnothingnothing", "Small fast modular HTTP server",
                        "Small, fast, modular HTTP server.", "\xe3\x83\x84\xe3\x82\xa4"})
    CHECK(urldecode(urlencode(s)) == s);
}

TEST_CASE("qs: match gives every field, with constraints and defaults") {
  auto qs = *rodeo::qs::parse("id=42&name=bob&debug&extra=1");
  auto r = rodeo::qs::match(qs, {
                                    {"id", {constraint::int_()}},
                                    {"name", {constraint::nonempty()}},
                                    {"debug"},
                                    {"lang", {}, value{"en"}},
                                });
  REQUIRE(r);
  CHECK(r.values.at("id") == value{42});
  CHECK(r.values.at("name") == value{"bob"});
  CHECK(r.values.at("debug") == value{true});
  CHECK(r.values.at("lang") == value{"en"});
  CHECK_FALSE(r.values.contains("extra"));
}

TEST_CASE("qs: match fails naming a missing field without default") {
  auto qs = *rodeo::qs::parse("a=1");
  auto r = rodeo::qs::match(qs, {{"a"}, {"b"}});
  REQUIRE_FALSE(r);
  CHECK(r.error->what == rodeo::qs::match_error::kind::missing);
  CHECK(r.error->field == "b");
}

TEST_CASE("qs: match fails naming the field whose constraint failed, with its reason") {
  auto qs = *rodeo::qs::parse("n=abc&e=");
  auto r = rodeo::qs::match(qs, {{"n", {constraint::int_()}}});
  REQUIRE_FALSE(r);
  CHECK(r.error->what == rodeo::qs::match_error::kind::invalid);
  CHECK(r.error->field == "n");
  CHECK(r.error->reason == "not_an_integer");
  auto e = rodeo::qs::match(qs, {{"e", {constraint::nonempty()}}});
  REQUIRE_FALSE(e);
  CHECK(e.error->reason == "empty");
  // A bare key is `true`, which is not an integer.
  auto flagged = rodeo::qs::match(*rodeo::qs::parse("n"), {{"n", {constraint::int_()}}});
  CHECK_FALSE(flagged);
}

TEST_CASE("qs: match turns a repeated key into a list, each element constrained") {
  auto qs = *rodeo::qs::parse("x=1&y=a&x=2&x=3");
  auto r = rodeo::qs::match(qs, {{"x", {constraint::int_()}}});
  REQUIRE(r);
  REQUIRE(r.values.at("x").is_list());
  CHECK(r.values.at("x").as_list() == std::vector<value>{1, 2, 3});
  auto bad = rodeo::qs::match(*rodeo::qs::parse("x=1&x=no"), {{"x", {constraint::int_()}}});
  CHECK_FALSE(bad);
}

TEST_CASE("qs: parse takes arbitrary bytes without crashing") {
  std::mt19937 rng{11};
  static constexpr char chars[] = "=&%+a1F\0\xff";
  for (int i = 0; i < 20000; ++i) {
    std::string s(rng() % 20, '\0');
    for (auto& c : s) c = chars[rng() % (sizeof chars - 1)];
    auto r = rodeo::qs::parse(s);
    if (r)
      for (auto& p : *r) CHECK_FALSE((p.name.empty() && p.value));
  }
}
