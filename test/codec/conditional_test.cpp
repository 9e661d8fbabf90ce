#include "rodeo/conditional.hpp"

#include <catch2/catch.hpp>

#include "rodeo/http_date.hpp"

using namespace rodeo;
using conditional::outcome;

namespace {

const std::time_t modified = 784111777;  // Sun, 06 Nov 1994 08:49:37 GMT
const std::time_t now = 1700000000;

outcome eval(headers h, const char* method = "GET", bool exists = true,
             std::optional<http_header::etag> tag = http_header::etag{false, "v1"}) {
  conditional::validators v{[=] { return tag; },
                            [] {
                              return std::optional{modified};
                            }};
  return conditional::evaluate(h, method, exists, v, now);
}

std::string date(std::time_t t) {
  return http_date::format(t);
}

}  // namespace

TEST_CASE("entity-tag comparison: strong and weak (RFC 9110 §8.8.3.2)") {
  http_header::etag w1{true, "1"}, s1{false, "1"}, w2{true, "2"};
  CHECK_FALSE(conditional::strong_match(w1, w1));
  CHECK_FALSE(conditional::strong_match(w1, s1));
  CHECK(conditional::strong_match(s1, s1));
  CHECK(conditional::weak_match(w1, w1));
  CHECK(conditional::weak_match(w1, s1));
  CHECK_FALSE(conditional::weak_match(w1, w2));
  CHECK(conditional::format(w1) == "W/\"1\"");
  CHECK(conditional::format(s1) == "\"1\"");
}

TEST_CASE("If-Match: strong comparison, star, missing resource") {
  CHECK(eval({{"if-match", "\"v1\""}}) == outcome::proceed);
  CHECK(eval({{"if-match", "\"v0\", \"v1\""}}) == outcome::proceed);
  CHECK(eval({{"if-match", "\"v2\""}}) == outcome::precondition_failed);
  CHECK(eval({{"if-match", "W/\"v1\""}}) == outcome::precondition_failed);
  CHECK(eval({{"if-match", "\"v1\""}}, "GET", true, http_header::etag{true, "v1"}) ==
        outcome::precondition_failed);
  CHECK(eval({{"if-match", "*"}}) == outcome::proceed);
  CHECK(eval({{"if-match", "*"}}, "PUT", false) == outcome::precondition_failed);
  CHECK(eval({{"if-match", "\"v1\""}}, "GET", true, std::nullopt) == outcome::precondition_failed);
}

TEST_CASE("If-Unmodified-Since, and only without If-Match") {
  CHECK(eval({{"if-unmodified-since", date(modified)}}) == outcome::proceed);
  CHECK(eval({{"if-unmodified-since", date(modified - 1)}}) == outcome::precondition_failed);
  CHECK(eval({{"if-unmodified-since", "garbage"}}) == outcome::proceed);
  CHECK(eval({{"if-match", "\"v1\""}, {"if-unmodified-since", date(modified - 1)}}) ==
        outcome::proceed);
}

TEST_CASE("If-None-Match: weak comparison, 304 for GET/HEAD, 412 otherwise") {
  CHECK(eval({{"if-none-match", "\"v1\""}}) == outcome::not_modified);
  CHECK(eval({{"if-none-match", "W/\"v1\""}}, "HEAD") == outcome::not_modified);
  CHECK(eval({{"if-none-match", "\"v2\""}}) == outcome::proceed);
  CHECK(eval({{"if-none-match", "\"v1\""}}, "PUT") == outcome::precondition_failed);
  CHECK(eval({{"if-none-match", "*"}}, "PUT") == outcome::precondition_failed);
  CHECK(eval({{"if-none-match", "*"}}, "PUT", false) == outcome::proceed);
  CHECK(eval({{"if-none-match", "\"v1\""}}, "GET", true, std::nullopt) == outcome::proceed);
}

TEST_CASE("If-Modified-Since: GET/HEAD only, ignored under If-None-Match or in the future") {
  CHECK(eval({{"if-modified-since", date(modified)}}) == outcome::not_modified);
  CHECK(eval({{"if-modified-since", date(modified - 1)}}) == outcome::proceed);
  CHECK(eval({{"if-modified-since", date(modified)}}, "POST") == outcome::proceed);
  CHECK(eval({{"if-modified-since", date(now + 3600)}}) == outcome::proceed);
  CHECK(eval({{"if-none-match", "\"v2\""}, {"if-modified-since", date(modified)}}) ==
        outcome::proceed);
  CHECK(eval({{"if-modified-since", date(modified)}}, "GET", false) == outcome::proceed);
}

TEST_CASE("If-Range: strong entity-tag or the exact Last-Modified") {
  conditional::validators v{[] {
                              return std::optional{http_header::etag{false, "v1"}};
                            },
                            [] {
                              return std::optional{modified};
                            }};
  CHECK(conditional::if_range({{"range", "bytes=0-1"}}, v));
  CHECK(conditional::if_range({{"range", "bytes=0-1"}, {"if-range", "\"v1\""}}, v));
  CHECK_FALSE(conditional::if_range({{"range", "bytes=0-1"}, {"if-range", "\"v2\""}}, v));
  CHECK_FALSE(conditional::if_range({{"range", "bytes=0-1"}, {"if-range", "W/\"v1\""}}, v));
  CHECK(conditional::if_range({{"range", "bytes=0-1"}, {"if-range", date(modified)}}, v));
  CHECK_FALSE(conditional::if_range({{"range", "bytes=0-1"}, {"if-range", date(modified + 1)}}, v));
}
