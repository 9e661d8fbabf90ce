#pragma once
// Percent-decoding shared by the URI, query-string and multipart codecs; each passes its own rules.
#include <cstddef>
#include <string>
#include <string_view>

namespace rodeo::detail {

constexpr int hex_value(unsigned char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/// Appends `in` to `out`, decoding %XX escapes. `is_literal(c)` says which other bytes pass as they
/// are; with `plus_is_space` (form encoding) '+' becomes ' '. False on a bad escape or a byte that
/// is neither an escape nor literal; `out` then holds a partial result.
template <class IsLiteral>
bool percent_decode_append(std::string_view in, std::string& out, IsLiteral is_literal,
                           bool plus_is_space) {
  const std::size_t n = in.size();
  std::size_t i = 0;
  while (i < n) {
    std::size_t run = i;
    while (run < n && in[run] != '%' && !(plus_is_space && in[run] == '+') && is_literal(in[run]))
      ++run;
    out.append(in.data() + i, run - i);
    i = run;
    if (i == n) break;
    if (in[i] == '+' && plus_is_space) {
      out.push_back(' ');
      ++i;
      continue;
    }
    if (in[i] != '%' || i + 2 >= n) return false;
    int hi = hex_value(static_cast<unsigned char>(in[i + 1]));
    int lo = hex_value(static_cast<unsigned char>(in[i + 2]));
    if (hi < 0 || lo < 0) return false;
    out.push_back(static_cast<char>(hi * 16 + lo));
    i += 3;
  }
  return true;
}

}  // namespace rodeo::detail
