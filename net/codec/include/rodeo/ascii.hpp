#pragma once
// ASCII helpers for protocol text (RFC 9110's case-insensitive tokens): locale-free and constexpr,
// shared by every codec so there is one definition of each.
#include <array>
#include <cstddef>
#include <string>
#include <string_view>

namespace rodeo::ascii {

constexpr char lower(char c) noexcept {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c + ('a' - 'A')) : c;
}

/// Lowercases `s` in place.
constexpr void lowercase(std::string& s) noexcept {
  for (auto& c : s) c = lower(c);
}

inline std::string to_lower(std::string_view s) {
  std::string out(s);
  lowercase(out);
  return out;
}

/// Case-insensitive equality of ASCII text.
constexpr bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (lower(a[i]) != lower(b[i])) return false;
  return true;
}

namespace detail {
inline constexpr auto tchar_table = [] {
  std::array<bool, 256> t{};
  for (int c = 0; c < 256; ++c)
    t[c] = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
  for (char c : std::string_view{"!#$%&'*+-.^_`|~"}) t[static_cast<unsigned char>(c)] = true;
  return t;
}();
}  // namespace detail

/// RFC 9110 §5.6.2 tchar.
constexpr bool is_tchar(char c) noexcept {
  return detail::tchar_table[static_cast<unsigned char>(c)];
}

/// RFC 9110 §5.6.2 token: one or more tchars.
constexpr bool is_token(std::string_view s) noexcept {
  if (s.empty()) return false;
  for (char c : s)
    if (!is_tchar(c)) return false;
  return true;
}

}  // namespace rodeo::ascii
