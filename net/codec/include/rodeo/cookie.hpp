#pragma once
// Cookies (RFC 6265) as cow_cookie: the request `cookie:` header, and `set-cookie` values.

#include <cstdint>
#include <ctime>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace rodeo::cookie {

// Parses a `cookie:` header leniently like cowlib: pairs split on ';' (',' and blanks between
// pairs skipped), values may hold spaces, commas and quotes, trailing spaces trimmed, a pair
// without '=' is a value with an empty name. nullopt on an empty name before '=', ',' in a name,
// or a TAB/CR/LF/VT/FF. Views point into `header`.
std::optional<std::vector<std::pair<std::string_view, std::string_view>>> parse(
    std::string_view header);

// cowboy_req:filter_cookies/2 on a `cookie:` header: keeps the ';'-separated pairs whose name is
// in `names`, joined by ';' as they were (spacing kept). A name is whatever precedes '=' after
// leading spaces and tabs, valid or not, so a pair parse() would refuse can be filtered out.
std::string filter(std::string_view header, const std::vector<std::string>& names);

// Builds a `cookie:` header (the client side): "a=b; c=d".
std::string build(const std::vector<std::pair<std::string, std::string>>& cookies);

enum class same_site { default_, none, lax, strict };

struct opts {
  std::optional<std::int64_t> max_age;  // seconds, >= 0; 0 deletes (with an Expires in 1970)
  // An absolute Expires (seconds since 1970, >= 0) for a cookie without max_age; with max_age,
  // the Expires max_age writes wins (browsers also prefer Max-Age). Not in cowlib.
  std::optional<std::time_t> expires;
  std::string domain;
  std::string path;
  bool secure = false;
  bool http_only = false;
  rodeo::cookie::same_site same_site = same_site::default_;
};

// The `set-cookie` value, attributes in cowlib's order (Domain, HttpOnly, Expires/Max-Age, Path,
// SameSite, Secure). nullopt when the name has one of "=,; \t\r\n\v\f" or a control byte, the
// value has one of ",; \t\r\n\v\f" or a control byte, max_age or expires < 0, or domain/path hold
// ';' or control bytes. `now` is the clock used for Expires.
std::optional<std::string> setcookie(std::string_view name, std::string_view value,
                                     const opts& o = {}, std::time_t now = std::time(nullptr));

}  // namespace rodeo::cookie
