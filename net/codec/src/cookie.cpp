#include "rodeo/cookie.hpp"

#include <algorithm>

#include "rodeo/http_date.hpp"

namespace rodeo::cookie {

namespace {

std::string_view trim_trailing_spaces(std::string_view s) {
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return s;
}

// Bytes cowlib refuses inside a cookie name or value of the `cookie:` header.
bool is_forbidden(char c) {
  return c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

bool is_ctl(char c) {
  return static_cast<unsigned char>(c) < 0x20 || c == 0x7f;
}

bool valid_setcookie_name(std::string_view s) {
  for (char c : s)
    if (c == '=' || c == ',' || c == ';' || c == ' ' || is_ctl(c)) return false;
  return true;
}

bool valid_setcookie_value(std::string_view s) {
  for (char c : s)
    if (c == ',' || c == ';' || c == ' ' || is_ctl(c)) return false;
  return true;
}

bool valid_attribute(std::string_view s) {
  for (char c : s)
    if (c == ';' || is_ctl(c)) return false;
  return true;
}

}  // namespace

std::optional<std::vector<std::pair<std::string_view, std::string_view>>> parse(
    std::string_view h) {
  std::vector<std::pair<std::string_view, std::string_view>> out;
  std::size_t i = 0;
  const std::size_t n = h.size();
  while (i < n) {
    char c = h[i];
    if (c == ' ' || c == '\t' || c == ',' || c == ';') {
      ++i;
      continue;
    }
    // A name runs to '=' or ';' (a pair without '=' is a bare value).
    std::size_t start = i;
    while (i < n && h[i] != '=' && h[i] != ';') {
      if (h[i] == ',' || is_forbidden(h[i])) return std::nullopt;
      ++i;
    }
    auto name = h.substr(start, i - start);
    if (i == n || h[i] == ';') {
      out.emplace_back(std::string_view{}, trim_trailing_spaces(name));
      continue;
    }
    if (name.empty()) return std::nullopt;
    ++i;  // '='
    std::size_t vstart = i;
    while (i < n && h[i] != ';') {
      if (is_forbidden(h[i])) return std::nullopt;
      ++i;
    }
    out.emplace_back(name, trim_trailing_spaces(h.substr(vstart, i - vstart)));
  }
  return out;
}

std::string filter(std::string_view header, const std::vector<std::string>& names) {
  std::string out;
  bool first = true;
  for (;;) {
    auto semi = header.find(';');
    auto pair = header.substr(0, semi);
    auto name = pair.substr(std::min(pair.size(), pair.find_first_not_of(" \t")));
    name = name.substr(0, name.find('='));
    for (auto& n : names)
      if (n == name) {
        if (!first) out += ';';
        out.append(pair);
        first = false;
        break;
      }
    if (semi == std::string_view::npos) return out;
    header.remove_prefix(semi + 1);
  }
}

std::string build(const std::vector<std::pair<std::string, std::string>>& cookies) {
  std::string out;
  for (auto& [name, value] : cookies) {
    if (!out.empty()) out += "; ";
    if (!name.empty()) {
      out += name;
      out += '=';
    }
    out += value;
  }
  return out;
}

// The last second format_rfc2109 can write (9999-12-31 23:59:59 UTC).
constexpr std::int64_t year_9999 = 253402300799;

std::optional<std::string> setcookie(std::string_view name, std::string_view value, const opts& o,
                                     std::time_t now) {
  if (!valid_setcookie_name(name) || !valid_setcookie_value(value)) return std::nullopt;
  if ((o.max_age && *o.max_age < 0) || (o.expires && *o.expires < 0)) return std::nullopt;
  if (!valid_attribute(o.domain) || !valid_attribute(o.path)) return std::nullopt;
  std::string out;
  out.reserve(name.size() + value.size() + 96);
  out.append(name);
  out += '=';
  out.append(value);
  if (!o.domain.empty()) {
    out += "; Domain=";
    out += o.domain;
  }
  if (o.http_only) out += "; HttpOnly";
  if (o.max_age) {
    // MSIE needs an Expires in the past to delete a cookie.
    if (*o.max_age == 0) {
      out += "; Expires=Thu, 01-Jan-1970 00:00:01 GMT; Max-Age=0";
    } else {
      out += "; Expires=";
      // Saturate: a huge max_age must not overflow the clock arithmetic.
      std::int64_t expires = *o.max_age > year_9999 - now ? year_9999 : now + *o.max_age;
      out += http_date::format_rfc2109(static_cast<std::time_t>(expires));
      out += "; Max-Age=";
      out += std::to_string(*o.max_age);
    }
  } else if (o.expires) {
    out += "; Expires=";
    out += http_date::format_rfc2109(std::min<std::time_t>(*o.expires, year_9999));
  }
  if (!o.path.empty()) {
    out += "; Path=";
    out += o.path;
  }
  switch (o.same_site) {
    case same_site::default_:
      break;
    case same_site::none:
      out += "; SameSite=None";
      break;
    case same_site::lax:
      out += "; SameSite=Lax";
      break;
    case same_site::strict:
      out += "; SameSite=Strict";
      break;
  }
  if (o.secure) out += "; Secure";
  return out;
}

}  // namespace rodeo::cookie
