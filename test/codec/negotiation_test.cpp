#include "rodeo/negotiation.hpp"

#include <catch2/catch.hpp>

using namespace rodeo;
using negotiation::media_type;

namespace {

std::vector<media_type> types(std::initializer_list<const char*> xs) {
  std::vector<media_type> out;
  for (auto* x : xs) out.push_back(*media_type::parse(x));
  return out;
}

std::optional<negotiation::media_choice> choose(
    const char* accept, std::initializer_list<const char*> provided,
    const std::vector<std::string>* charsets = nullptr) {
  auto ranges = http_header::parse_accept(accept);
  REQUIRE(ranges);
  return negotiation::choose_media_type(negotiation::prioritize(*ranges), types(provided),
                                        [&] { return charsets; });
}

std::vector<http_header::quality_item> langs(const char* v) {
  return *http_header::parse_accept_language(v);
}

}  // namespace

TEST_CASE("media_type::parse: params, any params and the catch-all") {
  auto m = media_type::parse("text/html; charset=UTF-8");
  REQUIRE(m);
  CHECK(m->to_string() == "text/html;charset=utf-8");
  auto any = media_type::parse("text/html; *");
  REQUIRE(any);
  CHECK(any->any_params);
  CHECK(any->params.empty());
  CHECK(media_type::parse("*")->type == "*");
  CHECK_FALSE(media_type::parse("html"));
}

TEST_CASE("accept: q-values first, then the more specific range") {
  auto p = negotiation::prioritize(
      *http_header::parse_accept("*/*;q=0.5, text/*, text/html, text/html;level=1, image/png;q=0"));
  REQUIRE(p.size() == 4);
  CHECK(p[0].params.size() == 1);
  CHECK(p[1].subtype == "html");
  CHECK(p[2].subtype == "*");
  CHECK(p[3].type == "*");
}

TEST_CASE("media type negotiation as cowboy_rest") {
  CHECK(choose("application/json", {"text/plain", "application/json"})->index == 1);
  CHECK(choose("*/*", {"text/plain", "application/json"})->index == 0);
  CHECK(choose("application/*", {"text/plain", "application/json"})->index == 1);
  CHECK(choose("text/plain;q=0.1, application/json", {"text/plain", "application/json"})->index ==
        1);
  CHECK_FALSE(choose("image/png", {"text/plain"}));
  CHECK_FALSE(choose("text/plain;q=0", {"text/plain"}));
  // Parameters must match unless the provided type takes any.
  CHECK_FALSE(choose("text/plain;level=1", {"text/plain"}));
  auto any = choose("text/plain;level=1", {"text/plain; *"});
  REQUIRE(any);
  CHECK(any->chosen.to_string() == "text/plain;level=1");
  // A charset in a provided text type is negotiated with it.
  auto cs = choose("text/plain;charset=utf-8", {"text/plain;charset=utf-8"});
  REQUIRE(cs);
  CHECK(cs->charset == "utf-8");
  CHECK(cs->chosen.to_string() == "text/plain");
}

TEST_CASE("a text range's charset must be one the resource provides") {
  std::vector<std::string> cs{"utf-8"};
  CHECK(choose("text/plain;charset=utf-8", {"text/plain; *"}, &cs)->charset == "utf-8");
  CHECK_FALSE(choose("text/plain;charset=latin1", {"text/plain; *"}, &cs));
  // Without charsets_provided the charset is accepted but not echoed.
  auto none = choose("text/plain;charset=latin1", {"text/plain; *"});
  REQUIRE(none);
  CHECK_FALSE(none->charset);
}

TEST_CASE("language negotiation: exact, prefix, star and q=0") {
  std::vector<std::string> provided{"en", "fr-ca", "de"};
  CHECK(negotiation::choose_language(langs("fr"), provided) == "fr-ca");
  CHECK(negotiation::choose_language(langs("de;q=0.5, en"), provided) == "en");
  CHECK(negotiation::choose_language(langs("*"), provided) == "en");
  CHECK(negotiation::choose_language(langs("EN-us, de"), provided) == "de");
  CHECK_FALSE(negotiation::choose_language(langs("it, en;q=0"), provided));
}

TEST_CASE("charset negotiation: star, case and q=0") {
  std::vector<std::string> provided{"utf-8", "iso-8859-1"};
  auto cs = [](const char* v) {
    return *http_header::parse_accept_charset(v);
  };
  CHECK(negotiation::choose_charset(cs("ISO-8859-1"), provided) == "iso-8859-1");
  CHECK(negotiation::choose_charset(cs("*"), provided) == "utf-8");
  CHECK_FALSE(negotiation::choose_charset(cs("utf-8;q=0, koi8-r"), provided));
}

TEST_CASE("content_types_accepted matching ignores a multipart boundary") {
  auto req = [](const char* v) {
    return *http_header::parse_content_type(v);
  };
  CHECK(negotiation::matches_content_type(req("application/json"),
                                          *media_type::parse("application/json")));
  CHECK_FALSE(negotiation::matches_content_type(req("application/json; charset=utf-8"),
                                                *media_type::parse("application/json")));
  CHECK(negotiation::matches_content_type(req("application/json; charset=utf-8"),
                                          *media_type::parse("application/json; *")));
  CHECK(negotiation::matches_content_type(req("multipart/form-data; boundary=x"),
                                          *media_type::parse("multipart/form-data")));
  CHECK(negotiation::matches_content_type(req("image/png"), *media_type::parse("*")));
}
