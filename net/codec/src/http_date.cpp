#include "rodeo/http_date.hpp"

#include <climits>
#include <cstdint>
#include <cstring>

namespace rodeo::http_date {

namespace {

constexpr const char* short_days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
constexpr const char* long_days[] = {"Sunday",   "Monday", "Tuesday", "Wednesday",
                                     "Thursday", "Friday", "Saturday"};
constexpr const char* months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                  "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

// Howard Hinnant's days_from_civil / civil_from_days (proleptic Gregorian, 1970-01-01 = 0).
constexpr std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

constexpr bool is_leap(int y) {
  return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

constexpr int days_in_month(int y, int m) {
  constexpr int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && is_leap(y) ? 29 : days[m - 1];
}

inline void put2(char* p, int v) {
  p[0] = static_cast<char>('0' + v / 10);
  p[1] = static_cast<char>('0' + v % 10);
}
inline void put4(char* p, int v) {
  put2(p, v / 100);
  put2(p + 2, v % 100);
}

std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  std::int64_t q = a / b;
  return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

// Parsing helpers over a cursor; each returns false on mismatch.
struct cursor {
  std::string_view s;
  std::size_t i = 0;
  bool lit(std::string_view l) {
    if (s.substr(i, l.size()) != l) return false;
    i += l.size();
    return true;
  }
  bool digits(int n, int& out) {
    if (i + static_cast<std::size_t>(n) > s.size()) return false;
    int v = 0;
    for (int k = 0; k < n; ++k) {
      char c = s[i + k];
      if (c < '0' || c > '9') return false;
      v = v * 10 + (c - '0');
    }
    out = v;
    i += static_cast<std::size_t>(n);
    return true;
  }
  bool month(int& out) {
    for (int m = 0; m < 12; ++m)
      if (s.substr(i, 3) == months[m]) {
        out = m + 1;
        i += 3;
        return true;
      }
    return false;
  }
  bool day_name(const char* const* names) {
    for (int d = 0; d < 7; ++d)
      if (lit(names[d])) return true;
    return false;
  }
  // time-of-day = hour ":" minute ":" second
  bool time(int& h, int& m, int& sec) {
    return digits(2, h) && lit(":") && digits(2, m) && lit(":") && digits(2, sec);
  }
  bool end() const { return i == s.size(); }
};

std::optional<std::time_t> make(int y, int mo, int d, int h, int mi, int s) {
  if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo)) return std::nullopt;
  // RFC 9110 allows a leap second (60).
  if (h > 23 || mi > 59 || s > 60) return std::nullopt;
  return from_civil(y, mo, d, h, mi, s);
}

}  // namespace

civil to_civil(std::time_t t) {
  std::int64_t secs = t;
  std::int64_t z = floor_div(secs, 86400);
  auto sod = static_cast<int>(secs - z * 86400);
  civil c{};
  c.hour = sod / 3600;
  c.minute = sod % 3600 / 60;
  c.second = sod % 60;
  c.weekday = static_cast<int>(z >= -4 ? (z + 4) % 7 : (z + 5) % 7 + 6);
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  c.day = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  c.month = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  c.year = static_cast<int>(static_cast<std::int64_t>(yoe) + era * 400 + (c.month <= 2));
  return c;
}

std::time_t from_civil(int year, int month, int day, int hour, int minute, int second) {
  auto days = days_from_civil(year, static_cast<unsigned>(month), static_cast<unsigned>(day));
  return static_cast<std::time_t>(days * 86400 + hour * 3600 + minute * 60 + second);
}

void format_to(std::time_t t, char* out) {
  auto c = to_civil(t);
  int year = c.year < 0 ? 0 : c.year > 9999 ? 9999 : c.year;
  std::memcpy(out, short_days[c.weekday], 3);
  out[3] = ',';
  out[4] = ' ';
  put2(out + 5, c.day);
  out[7] = ' ';
  std::memcpy(out + 8, months[c.month - 1], 3);
  out[11] = ' ';
  put4(out + 12, year);
  out[16] = ' ';
  put2(out + 17, c.hour);
  out[19] = ':';
  put2(out + 20, c.minute);
  out[22] = ':';
  put2(out + 23, c.second);
  std::memcpy(out + 25, " GMT", 4);
}

std::string format(std::time_t t) {
  std::string s(imf_fixdate_size, '\0');
  format_to(t, s.data());
  return s;
}

std::string format_rfc2109(std::time_t t) {
  std::string s = format(t);
  s[7] = '-';
  s[11] = '-';
  return s;
}

std::string_view now() {
  struct cache {
    std::time_t second = LLONG_MIN;
    char text[imf_fixdate_size];
  };
  thread_local cache c;
  std::time_t t = std::time(nullptr);
  if (t != c.second) {
    format_to(t, c.text);
    c.second = t;
  }
  return {c.text, imf_fixdate_size};
}

std::optional<std::time_t> parse(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  int y, mo, d, h, mi, sec;
  {
    // IMF-fixdate: Sun, 06 Nov 1994 08:49:37 GMT
    cursor c{s};
    if (c.day_name(short_days) && c.lit(", ") && c.digits(2, d) && c.lit(" ") && c.month(mo) &&
        c.lit(" ") && c.digits(4, y) && c.lit(" ") && c.time(h, mi, sec) && c.lit(" GMT") &&
        c.end())
      return make(y, mo, d, h, mi, sec);
  }
  {
    // rfc850-date: Sunday, 06-Nov-94 08:49:37 GMT
    cursor c{s};
    int yy;
    if (c.day_name(long_days) && c.lit(", ") && c.digits(2, d) && c.lit("-") && c.month(mo) &&
        c.lit("-") && c.digits(2, yy) && c.lit(" ") && c.time(h, mi, sec) && c.lit(" GMT") &&
        c.end()) {
      int this_year = to_civil(std::time(nullptr)).year;
      y = this_year - this_year % 100 + yy;
      if (y > this_year + 50) y -= 100;
      return make(y, mo, d, h, mi, sec);
    }
  }
  {
    // asctime-date: Sun Nov  6 08:49:37 1994
    cursor c{s};
    if (c.day_name(short_days) && c.lit(" ") && c.month(mo) && c.lit(" ")) {
      bool day_ok = false;
      if (c.lit(" ")) {
        day_ok = c.digits(1, d);
      } else {
        day_ok = c.digits(2, d);
      }
      if (day_ok && c.lit(" ") && c.time(h, mi, sec) && c.lit(" ") && c.digits(4, y) && c.end())
        return make(y, mo, d, h, mi, sec);
    }
  }
  return std::nullopt;
}

}  // namespace rodeo::http_date
