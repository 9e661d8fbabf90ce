#include <catch2/catch.hpp>

#include <ctime>
#include <random>
#include <string>

#include "rodeo/http_date.hpp"

using namespace rodeo::http_date;

TEST_CASE("http_date: format writes IMF-fixdate") {
  CHECK(format(784111777) == "Sun, 06 Nov 1994 08:49:37 GMT");
  CHECK(format(0) == "Thu, 01 Jan 1970 00:00:00 GMT");
  CHECK(format(951782400) == "Tue, 29 Feb 2000 00:00:00 GMT");
  CHECK(format(253402300799) == "Fri, 31 Dec 9999 23:59:59 GMT");
  CHECK(format(-1) == "Wed, 31 Dec 1969 23:59:59 GMT");
  CHECK(format(4107542400) == "Mon, 01 Mar 2100 00:00:00 GMT");
  CHECK(format_rfc2109(784111777) == "Sun, 06-Nov-1994 08:49:37 GMT");
}

TEST_CASE("http_date: format agrees with gmtime over a wide range") {
  std::mt19937_64 rng{17};
  for (int i = 0; i < 20000; ++i) {
    auto t = static_cast<std::time_t>(rng() % 253402300800LL);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char expected[64];
    std::strftime(expected, sizeof expected, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    REQUIRE(format(t) == expected);
  }
}

TEST_CASE("http_date: parse(format(t)) == t") {
  std::mt19937_64 rng{19};
  for (int i = 0; i < 20000; ++i) {
    auto t = static_cast<std::time_t>(rng() % 253402300800LL);
    REQUIRE(parse(format(t)) == t);
  }
}

TEST_CASE("http_date: parse accepts the three RFC 9110 forms") {
  CHECK(parse("Sun, 06 Nov 1994 08:49:37 GMT") == 784111777);
  CHECK(parse("Sunday, 06-Nov-94 08:49:37 GMT") == 784111777);
  CHECK(parse("Sun Nov  6 08:49:37 1994") == 784111777);
  CHECK(parse("Sun Nov 16 08:49:37 1994") == 784111777 + 10 * 86400);
  CHECK(parse("  Sun, 06 Nov 1994 08:49:37 GMT ") == 784111777);
  CHECK(parse("Tue, 29 Feb 2000 00:00:00 GMT") == 951782400);
  CHECK(parse("Sat, 31 Dec 2016 23:59:60 GMT") == from_civil(2016, 12, 31, 23, 59, 60));
}

TEST_CASE("http_date: rfc850 two-digit years more than 50 years ahead are last century") {
  int year = to_civil(std::time(nullptr)).year;
  auto yy = [](int y) {
    std::string s = std::to_string(y % 100);
    return s.size() == 1 ? "0" + s : s;
  };
  auto year_of = [&](int y) {
    auto t = parse("Monday, 01-Jan-" + yy(y) + " 00:00:00 GMT");
    REQUIRE(t);
    return to_civil(*t).year;
  };
  CHECK(year_of(year) == year);
  CHECK(year_of(year + 50) == year + 50);
  CHECK(year_of(year + 51) == year + 51 - 100);
  CHECK(year_of(year - 49) == year - 49);
}

TEST_CASE("http_date: parse rejects malformed and out-of-range dates") {
  CHECK_FALSE(parse(""));
  CHECK_FALSE(parse("Sun, 06 Nov 1994 08:49:37 UTC"));
  CHECK_FALSE(parse("Sun, 6 Nov 1994 08:49:37 GMT"));
  CHECK_FALSE(parse("sun, 06 Nov 1994 08:49:37 GMT"));
  CHECK_FALSE(parse("Sun, 06 nov 1994 08:49:37 GMT"));
  CHECK_FALSE(parse("Sun, 06 Nov 94 08:49:37 GMT"));
  CHECK_FALSE(parse("Sun, 06 Nov 1994 08:49 GMT"));
  CHECK_FALSE(parse("Sun, 06 Nov 1994 24:00:00 GMT"));
  CHECK_FALSE(parse("Sun, 06 Nov 1994 08:60:00 GMT"));
  CHECK_FALSE(parse("Sun, 06 Nov 1994 08:49:61 GMT"));
  CHECK_FALSE(parse("Sun, 31 Nov 1994 08:49:37 GMT"));
  CHECK_FALSE(parse("Thu, 29 Feb 2001 08:49:37 GMT"));
  CHECK_FALSE(parse("Sun, 00 Nov 1994 08:49:37 GMT"));
  CHECK_FALSE(parse("Sun, 06 Nov 1994 08:49:37 GMTx"));
  CHECK_FALSE(parse("Sun Nov 6 08:49:37 1994"));
  CHECK_FALSE(parse("Sun, 06-Nov-94 08:49:37 GMT"));
}

TEST_CASE("http_date: now() is today's IMF-fixdate and parses back to the clock") {
  auto before = std::time(nullptr);
  auto n = now();
  auto after = std::time(nullptr);
  REQUIRE(n.size() == imf_fixdate_size);
  auto t = parse(n);
  REQUIRE(t);
  CHECK(*t >= before);
  CHECK(*t <= after);
  CHECK(now() == format(*parse(now())));
}

TEST_CASE("http_date: civil conversion round trips and gives weekdays") {
  auto c = to_civil(784111777);
  CHECK(c.year == 1994);
  CHECK(c.month == 11);
  CHECK(c.day == 6);
  CHECK(c.hour == 8);
  CHECK(c.minute == 49);
  CHECK(c.second == 37);
  CHECK(c.weekday == 0);
  CHECK(from_civil(1970, 1, 1, 0, 0, 0) == 0);
  CHECK(to_civil(-86400).weekday == 3);
}

TEST_CASE("http_date: parse takes arbitrary bytes without crashing") {
  std::mt19937 rng{23};
  static constexpr char chars[] = "SunNovGMT, -:0123456789 \0\xff";
  for (int i = 0; i < 20000; ++i) {
    std::string s(rng() % 32, '\0');
    for (auto& c : s) c = chars[rng() % (sizeof chars - 1)];
    if (auto t = parse(s)) CHECK(*t >= from_civil(0, 1, 1, 0, 0, 0));
  }
}
