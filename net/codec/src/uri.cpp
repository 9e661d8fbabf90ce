#include "rodeo/uri.hpp"

#include <array>

#include "percent.hpp"

namespace rodeo::uri {

namespace {

using detail::hex_value;

constexpr bool is_alnum(unsigned char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
constexpr bool is_unreserved(unsigned char c) {
  return is_alnum(c) || c == '-' || c == '.' || c == '_' || c == '~';
}
constexpr bool is_sub_delim(unsigned char c) {
  switch (c) {
    case '!':
    case '$':
    case '&':
    case '\'':
    case '(':
    case ')':
    case '*':
    case '+':
    case ',':
    case ';':
    case '=':
      return true;
    default:
      return false;
  }
}

// Bytes a path segment may carry unencoded (cow_uri's IS_PLAIN).
constexpr auto plain_table = [] {
  std::array<bool, 256> t{};
  for (int c = 0; c < 256; ++c) t[c] = is_unreserved(c) || is_sub_delim(c) || c == ':' || c == '@';
  return t;
}();

inline bool is_plain(char c) {
  return plain_table[static_cast<unsigned char>(c)];
}

constexpr char hex_digits[] = "0123456789ABCDEF";

bool is_digits(std::string_view s) {
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return true;
}

// RFC 3986 IPv6address: up to 8 groups of 1-4 hex digits, one "::" at most, an optional
// trailing IPv4 address counting as two groups.
bool is_ipv4(std::string_view s) {
  int parts = 0;
  std::size_t i = 0;
  while (true) {
    std::size_t start = i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
    std::size_t len = i - start;
    if (len == 0 || len > 3) return false;
    if (len > 1 && s[start] == '0') return false;
    int v = 0;
    for (std::size_t k = start; k < i; ++k) v = v * 10 + (s[k] - '0');
    if (v > 255) return false;
    ++parts;
    if (i == s.size()) break;
    if (s[i] != '.' || parts == 4) return false;
    ++i;
  }
  return parts == 4;
}

bool is_ipv6(std::string_view s) {
  int groups = 0;
  bool compressed = false;
  std::size_t i = 0;
  if (s.substr(0, 2) == "::") {
    compressed = true;
    i = 2;
    if (i == s.size()) return true;
  } else if (!s.empty() && s[0] == ':') {
    return false;
  }
  while (i < s.size()) {
    std::size_t start = i;
    while (i < s.size() && hex_value(s[i]) >= 0) ++i;
    std::size_t len = i - start;
    if (i < s.size() && s[i] == '.') {
      // Trailing IPv4 part.
      if (!is_ipv4(s.substr(start))) return false;
      groups += 2;
      i = s.size();
      break;
    }
    if (len == 0 || len > 4) return false;
    ++groups;
    if (i == s.size()) break;
    if (s[i] != ':') return false;
    ++i;
    if (i < s.size() && s[i] == ':') {
      if (compressed) return false;
      compressed = true;
      ++i;
      if (i == s.size()) break;
    } else if (i == s.size()) {
      return false;  // a single trailing ':'
    }
  }
  return compressed ? groups <= 7 : groups == 8;
}

// IPvFuture: "v" 1*HEXDIG "." 1*( unreserved / sub-delims / ":" )
bool is_ipvfuture(std::string_view s) {
  if (s.size() < 4 || (s[0] != 'v' && s[0] != 'V')) return false;
  std::size_t i = 1;
  while (i < s.size() && hex_value(s[i]) >= 0) ++i;
  if (i == 1 || i >= s.size() || s[i] != '.') return false;
  ++i;
  if (i == s.size()) return false;
  for (; i < s.size(); ++i) {
    auto c = static_cast<unsigned char>(s[i]);
    if (!is_unreserved(c) && !is_sub_delim(c) && c != ':') return false;
  }
  return true;
}

bool is_reg_name(std::string_view s) {
  for (std::size_t i = 0; i < s.size(); ++i) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c == '%') {
      if (i + 2 >= s.size() || hex_value(s[i + 1]) < 0 || hex_value(s[i + 2]) < 0) return false;
      i += 2;
    } else if (!is_unreserved(c) && !is_sub_delim(c)) {
      return false;
    }
  }
  return true;
}

// Path and query bytes: visible ASCII except '#'. Browsers send '[', ']', '{', '}', '|', '^' and
// '`' unencoded in queries (WHATWG URL's encode sets), so RFC 3986's stricter set would refuse
// real traffic; escapes are checked where the parts are decoded (router, query string).
bool is_valid_path_query(std::string_view s) {
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f || u == '#') return false;
  }
  return true;
}

void split_path_query(std::string_view pq, request_target& t) {
  auto q = pq.find('?');
  if (q == std::string_view::npos) {
    t.path = pq;
  } else {
    t.path = pq.substr(0, q);
    t.query = pq.substr(q + 1);
    t.has_query = true;
  }
}

}  // namespace

bool is_pchar(char c) {
  return is_plain(c);
}

bool percent_decode_to(std::string_view in, std::string& out) {
  return detail::percent_decode_append(
      in, out, [](char c) { return is_plain(c); }, false);
}

std::optional<std::string> percent_decode(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  if (!percent_decode_to(in, out)) return std::nullopt;
  return out;
}

void percent_encode_to(std::string_view in, std::string& out) {
  for (char c : in) {
    if (is_plain(c)) {
      out.push_back(c);
    } else {
      auto u = static_cast<unsigned char>(c);
      out.push_back('%');
      out.push_back(hex_digits[u >> 4]);
      out.push_back(hex_digits[u & 15]);
    }
  }
}

std::string percent_encode(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  percent_encode_to(in, out);
  return out;
}

void remove_dot_segments(std::vector<std::string>& segments) {
  std::size_t w = 0;
  for (std::size_t r = 0; r < segments.size(); ++r) {
    if (segments[r] == ".") continue;
    if (segments[r] == "..") {
      if (w > 0) --w;
      continue;
    }
    if (w != r) segments[w] = std::move(segments[r]);
    ++w;
  }
  segments.resize(w);
}

std::optional<std::vector<std::string>> split_path(std::string_view path) {
  if (path.empty() || path[0] != '/') return std::nullopt;
  std::vector<std::string> out;
  std::size_t i = 1;
  while (i < path.size()) {
    auto slash = path.find('/', i);
    auto end = slash == std::string_view::npos ? path.size() : slash;
    std::string seg;
    if (!percent_decode_to(path.substr(i, end - i), seg)) return std::nullopt;
    out.push_back(std::move(seg));
    i = end + 1;
  }
  remove_dot_segments(out);
  return out;
}

std::optional<authority> parse_authority(std::string_view in, bool allow_empty_host) {
  authority a;
  std::string_view port;
  bool has_port = false;
  if (!in.empty() && in[0] == '[') {
    auto close = in.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    auto inner = in.substr(1, close - 1);
    if (!is_ipv6(inner) && !is_ipvfuture(inner)) return std::nullopt;
    a.host = in.substr(0, close + 1);
    auto rest = in.substr(close + 1);
    if (!rest.empty()) {
      if (rest[0] != ':') return std::nullopt;
      port = rest.substr(1);
      has_port = true;
    }
  } else {
    auto colon = in.find(':');
    if (colon == std::string_view::npos) {
      a.host = in;
    } else {
      a.host = in.substr(0, colon);
      port = in.substr(colon + 1);
      has_port = true;
    }
    if (!is_reg_name(a.host)) return std::nullopt;
  }
  if (a.host.empty() && !allow_empty_host) return std::nullopt;
  if (has_port && !port.empty()) {
    if (!is_digits(port)) return std::nullopt;
    // Leading zeros are allowed by the grammar; the value must still fit.
    std::uint32_t v = 0;
    for (char c : port) {
      v = v * 10 + static_cast<std::uint32_t>(c - '0');
      if (v > 65535) return std::nullopt;
    }
    a.port = static_cast<std::uint16_t>(v);
  }
  return a;
}

std::optional<request_target> parse_request_target(std::string_view method,
                                                   std::string_view target) {
  request_target t;
  if (target.empty()) return std::nullopt;
  if (method == "CONNECT") {
    // authority-form: host and port, both required (RFC 9110 §9.3.6).
    auto a = parse_authority(target);
    if (!a || !a->port) return std::nullopt;
    t.form = target_form::authority;
    t.authority = target;
    t.host = a->host;
    t.port = a->port;
    return t;
  }
  if (target == "*") {
    if (method != "OPTIONS") return std::nullopt;
    t.form = target_form::asterisk;
    t.path = target;
    return t;
  }
  if (target[0] == '/') {
    if (!is_valid_path_query(target)) return std::nullopt;
    t.form = target_form::origin;
    split_path_query(target, t);
    return t;
  }
  // absolute-form: scheme "://" authority path-abempty [ "?" query ]. HTTP only uses
  // hierarchical schemes, so a target without "//" is rejected.
  auto colon = target.find(':');
  if (colon == std::string_view::npos || colon == 0) return std::nullopt;
  auto scheme = target.substr(0, colon);
  if (!is_alnum(scheme[0]) || (scheme[0] >= '0' && scheme[0] <= '9')) return std::nullopt;
  for (char c : scheme)
    if (!is_alnum(c) && c != '+' && c != '-' && c != '.') return std::nullopt;
  auto rest = target.substr(colon + 1);
  if (rest.substr(0, 2) != "//") return std::nullopt;
  rest.remove_prefix(2);
  auto end = rest.find_first_of("/?");
  auto auth = rest.substr(0, end);
  if (auth.find('@') != std::string_view::npos) return std::nullopt;  // userinfo
  auto a = parse_authority(auth);
  if (!a) return std::nullopt;
  auto pq = end == std::string_view::npos ? std::string_view{} : rest.substr(end);
  if (!is_valid_path_query(pq)) return std::nullopt;
  t.form = target_form::absolute;
  t.scheme = scheme;
  t.authority = auth;
  t.host = a->host;
  t.port = a->port;
  split_path_query(pq, t);
  if (t.path.empty()) t.path = "/";
  return t;
}

std::string compose(const parts& p) {
  std::string out;
  if (p.host && !p.host->empty()) {
    if (p.scheme && !p.scheme->empty()) out.append(*p.scheme).append(":");
    out.append("//").append(*p.host);
    if (p.port) {
      auto scheme = p.scheme ? *p.scheme : p.request_scheme;
      bool default_port =
          (scheme == "http" && *p.port == 80) || (scheme == "https" && *p.port == 443);
      if (!default_port) out.append(":").append(std::to_string(*p.port));
    }
  }
  bool asterisk = p.path && *p.path == "*";  // OPTIONS *: neither path nor query
  if (p.path && !asterisk) out.append(*p.path);
  if (!asterisk && p.qs && !p.qs->empty()) out.append("?").append(*p.qs);
  if (p.fragment && !p.fragment->empty()) out.append("#").append(*p.fragment);
  return out;
}

}  // namespace rodeo::uri
