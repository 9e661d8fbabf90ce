#pragma once
// HTTP dates (RFC 9110 §5.6.7): fast IMF-fixdate formatting, a per-second cache for the `date`
// header, and parsing of the three accepted forms.

#include <cstddef>
#include <ctime>
#include <optional>
#include <string>
#include <string_view>

namespace rodeo::http_date {

// "Sun, 06 Nov 1994 08:49:37 GMT" is always this long.
inline constexpr std::size_t imf_fixdate_size = 29;

// Writes exactly imf_fixdate_size bytes at out (no terminator). Years 0-9999.
void format_to(std::time_t t, char* out);
std::string format(std::time_t t);
// "Sun, 06-Nov-1994 08:49:37 GMT": the cookie `Expires` form cowlib writes (cow_date:rfc2109).
std::string format_rfc2109(std::time_t t);

// The current date in IMF-fixdate, reformatted at most once per second per thread. The view
// stays readable for the thread's life; its bytes change on a later call in another second.
std::string_view now();

// Parses IMF-fixdate, rfc850-date ("Sunday, 06-Nov-94 08:49:37 GMT"; two-digit years resolved
// per RFC 9110: more than 50 years ahead means the previous century) and asctime-date
// ("Sun Nov  6 08:49:37 1994"). Fields are range-checked; the weekday is not cross-checked.
std::optional<std::time_t> parse(std::string_view s);

// Gregorian calendar conversion without the C library's time zone state.
struct civil {
  int year, month, day;  // month 1-12, day 1-31
  int hour, minute, second;
  int weekday;  // 0 = Sunday
};
civil to_civil(std::time_t t);
std::time_t from_civil(int year, int month, int day, int hour, int minute, int second);

}  // namespace rodeo::http_date
