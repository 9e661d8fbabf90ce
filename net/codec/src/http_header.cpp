#include "rodeo/http_header.hpp"

#include <algorithm>
#include <array>

#include "rodeo/ascii.hpp"
#include "rodeo/http_date.hpp"
#include "rodeo/uri.hpp"

namespace rodeo::http_header {

namespace {

using ascii::iequals;
using ascii::is_tchar;
using ascii::is_token;
using ascii::to_lower;

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}
bool is_alpha(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

// qdtext / quoted-pair payload: HTAB, SP, VCHAR, obs-text.
bool is_qchar(char c) {
  auto u = static_cast<unsigned char>(c);
  return u == '\t' || u == ' ' || (u >= 0x21 && u != 0x7f);
}

struct cursor {
  std::string_view s;
  std::size_t i = 0;

  bool eof() const { return i >= s.size(); }
  char peek() const { return s[i]; }
  bool consume(char c) {
    if (!eof() && s[i] == c) {
      ++i;
      return true;
    }
    return false;
  }
  void ows() {
    while (!eof() && (s[i] == ' ' || s[i] == '\t')) ++i;
  }
  std::string_view token() {
    std::size_t start = i;
    while (!eof() && is_tchar(s[i])) ++i;
    return s.substr(start, i - start);
  }
  // quoted-string, unescaped into out; false when malformed.
  bool quoted_string(std::string& out) {
    if (!consume('"')) return false;
    while (!eof()) {
      char c = s[i++];
      if (c == '"') return true;
      if (c == '\\') {
        if (eof() || !is_qchar(s[i])) return false;
        out.push_back(s[i++]);
      } else if (is_qchar(c)) {
        out.push_back(c);
      } else {
        return false;
      }
    }
    return false;
  }
  // OWS ";" OWS before a parameter; consumes nothing and answers false when no ';' follows.
  bool parameter_start() {
    std::size_t save = i;
    ows();
    if (!consume(';')) {
      i = save;
      return false;
    }
    ows();
    return true;
  }
  // token / quoted-string
  bool word(std::string& out) {
    if (!eof() && s[i] == '"') return quoted_string(out);
    auto t = token();
    if (t.empty()) return false;
    out.assign(t);
    return true;
  }
};

// RFC 9110 §5.6.1 list: empty elements and surrounding OWS are accepted; each element is parsed
// by `element` and must be followed by OWS then ',' or the end.
template <class F>
bool parse_list(std::string_view s, bool nonempty, F&& element) {
  cursor c{s};
  std::size_t count = 0;
  while (true) {
    while (!c.eof() && (c.peek() == ' ' || c.peek() == '\t' || c.peek() == ',')) ++c.i;
    if (c.eof()) break;
    if (!element(c)) return false;
    ++count;
    c.ows();
    if (!c.eof() && !c.consume(',')) return false;
  }
  return !nonempty || count > 0;
}

// qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] ), as thousandths.
bool qvalue(cursor& c, int& q) {
  if (c.eof()) return false;
  char first = c.peek();
  if (first != '0' && first != '1') return false;
  ++c.i;
  q = first == '1' ? 1000 : 0;
  if (!c.consume('.')) return true;
  int scale = 100;
  for (int k = 0; k < 3 && !c.eof() && is_digit(c.peek()); ++k, scale /= 10) {
    int d = c.peek() - '0';
    if (first == '1' && d != 0) return false;
    q += d * scale;
    ++c.i;
  }
  return c.eof() || !is_digit(c.peek());
}

// *( OWS ";" OWS [ name "=" value ] ) until ',' or the end (RFC 9110 §5.6.6).
bool parameters(cursor& c, params& out) {
  while (c.parameter_start()) {
    if (c.eof() || c.peek() == ';' || c.peek() == ',') continue;
    auto name = c.token();
    if (name.empty() || !c.consume('=')) return false;
    param p{to_lower(name), {}};
    if (!c.word(p.value)) return false;
    out.push_back(std::move(p));
  }
  return true;
}

// [ weight ] after an element: OWS ";" OWS "q=" qvalue.
bool weight(cursor& c, int& q) {
  q = 1000;
  if (!c.parameter_start()) return true;
  if (c.eof() || (c.peek() != 'q' && c.peek() != 'Q')) return false;
  ++c.i;
  if (!c.consume('=')) return false;
  return qvalue(c, q);
}

std::optional<std::vector<quality_item>> quality_list(std::string_view s, bool nonempty,
                                                      bool (*valid)(std::string_view)) {
  std::vector<quality_item> out;
  bool ok = parse_list(s, nonempty, [&](cursor& c) {
    std::size_t start = c.i;
    while (!c.eof() && c.peek() != ';' && c.peek() != ',' && c.peek() != ' ' && c.peek() != '\t')
      ++c.i;
    auto v = s.substr(start, c.i - start);
    if (!valid(v)) return false;
    quality_item item{to_lower(v), 1000};
    if (!weight(c, item.quality)) return false;
    out.push_back(std::move(item));
    return true;
  });
  if (!ok) return std::nullopt;
  return out;
}

bool token_or_star(std::string_view v) {
  return v == "*" || is_token(v);
}

// language-range = ( 1*8ALPHA *( "-" 1*8alphanum ) ) / "*"
bool language_range(std::string_view v) {
  if (v == "*") return true;
  std::size_t i = 0;
  bool first = true;
  while (true) {
    std::size_t start = i;
    while (i < v.size() && (is_alpha(v[i]) || (!first && is_digit(v[i])))) ++i;
    if (i == start || i - start > 8) return false;
    if (i == v.size()) return true;
    if (v[i] != '-') return false;
    ++i;
    first = false;
  }
}

std::optional<std::vector<std::string>> token_list(std::string_view s, bool nonempty) {
  std::vector<std::string> out;
  bool ok = parse_list(s, nonempty, [&](cursor& c) {
    auto t = c.token();
    if (t.empty()) return false;
    out.push_back(to_lower(t));
    return true;
  });
  if (!ok) return std::nullopt;
  return out;
}

bool entity_tag(cursor& c, etag& out) {
  if (c.s.substr(c.i, 2) == "W/") {
    out.weak = true;
    c.i += 2;
  }
  if (!c.consume('"')) return false;
  std::size_t start = c.i;
  while (!c.eof() && c.peek() != '"') {
    auto u = static_cast<unsigned char>(c.peek());
    if (u < 0x21 || u == 0x7f) return false;
    ++c.i;
  }
  if (c.eof()) return false;
  out.opaque.assign(c.s.substr(start, c.i - start));
  ++c.i;
  return true;
}

std::optional<etag_list> etags(std::string_view s) {
  etag_list out;
  if (trim_ows(s) == "*") {
    out.any = true;
    return out;
  }
  bool ok = parse_list(s, true, [&](cursor& c) {
    etag e;
    if (!entity_tag(c, e)) return false;
    out.tags.push_back(std::move(e));
    return true;
  });
  if (!ok) return std::nullopt;
  return out;
}

bool digits_u64(std::string_view s, std::uint64_t& out) {
  if (s.empty()) return false;
  std::uint64_t v = 0;
  for (char c : s) {
    if (!is_digit(c)) return false;
    auto d = static_cast<std::uint64_t>(c - '0');
    if (v > (UINT64_MAX - d) / 10) return false;
    v = v * 10 + d;
  }
  out = v;
  return true;
}

constexpr auto b64_table = [] {
  std::array<signed char, 256> t{};
  for (auto& x : t) x = -1;
  constexpr std::string_view alphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  for (std::size_t i = 0; i < alphabet.size(); ++i)
    t[static_cast<unsigned char>(alphabet[i])] = static_cast<signed char>(i);
  return t;
}();

bool is_token68(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size() && (is_alpha(s[i]) || is_digit(s[i]) || s[i] == '-' || s[i] == '.' ||
                          s[i] == '_' || s[i] == '~' || s[i] == '+' || s[i] == '/'))
    ++i;
  if (i == 0) return false;
  while (i < s.size() && s[i] == '=') ++i;
  return i == s.size();
}

}  // namespace

bool is_valid_name(std::string_view name) {
  return is_token(name);
}

bool is_valid_value(std::string_view value) {
  for (char c : value)
    if (c == '\0' || c == '\r' || c == '\n') return false;
  if (!value.empty() && (value.front() == ' ' || value.front() == '\t' || value.back() == ' ' ||
                         value.back() == '\t'))
    return false;
  return true;
}

std::string_view trim_ows(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

const std::string* media_type::param(std::string_view name) const {
  for (auto& p : params)
    if (p.name == name) return &p.value;
  return nullptr;
}

std::optional<media_type> parse_content_type(std::string_view value) {
  cursor c{trim_ows(value)};
  media_type m;
  auto type = c.token();
  if (type.empty() || !c.consume('/')) return std::nullopt;
  auto sub = c.token();
  if (sub.empty()) return std::nullopt;
  m.type = to_lower(type);
  m.subtype = to_lower(sub);
  if (!parameters(c, m.params)) return std::nullopt;
  c.ows();
  if (!c.eof()) return std::nullopt;
  for (auto& p : m.params)
    if (p.name == "charset") p.value = to_lower(p.value);
  return m;
}

std::optional<std::vector<media_range>> parse_accept(std::string_view value) {
  std::vector<media_range> out;
  bool ok = parse_list(value, false, [&](cursor& c) {
    media_range r;
    auto type = c.token();
    if (type.empty() || !c.consume('/')) return false;
    auto sub = c.token();
    if (sub.empty() || (type == "*" && sub != "*")) return false;
    r.type = to_lower(type);
    r.subtype = to_lower(sub);
    // Parameters up to "q" are the media range's; those after are accept-ext.
    params* target = &r.params;
    while (c.parameter_start()) {
      if (c.eof() || c.peek() == ';' || c.peek() == ',') continue;
      auto name = c.token();
      if (name.empty()) return false;
      if (target == &r.params && (name == "q" || name == "Q")) {
        if (!c.consume('=') || !qvalue(c, r.quality)) return false;
        target = &r.ext;
        continue;
      }
      param p{to_lower(name), {}};
      // accept-ext values are optional.
      if (c.consume('=')) {
        if (!c.word(p.value)) return false;
      } else if (target == &r.params) {
        return false;
      }
      target->push_back(std::move(p));
    }
    out.push_back(std::move(r));
    return true;
  });
  if (!ok) return std::nullopt;
  std::stable_sort(out.begin(), out.end(), [](const media_range& a, const media_range& b) {
    return a.quality > b.quality;
  });
  return out;
}

std::optional<std::vector<quality_item>> parse_accept_charset(std::string_view value) {
  return quality_list(value, true, token_or_star);
}

std::optional<std::vector<quality_item>> parse_accept_encoding(std::string_view value) {
  return quality_list(value, false, token_or_star);
}

std::optional<std::vector<quality_item>> parse_accept_language(std::string_view value) {
  return quality_list(value, true, language_range);
}

std::optional<std::uint64_t> parse_content_length(std::string_view value) {
  std::uint64_t v;
  if (!digits_u64(trim_ows(value), v)) return std::nullopt;
  return v;
}

std::optional<std::vector<std::string>> parse_connection(std::string_view value) {
  return token_list(value, true);
}

std::optional<std::vector<std::string>> parse_transfer_encoding(std::string_view value) {
  return token_list(value, true);
}

std::optional<std::vector<std::string>> parse_upgrade(std::string_view value) {
  std::vector<std::string> out;
  bool ok = parse_list(value, true, [&](cursor& c) {
    auto name = c.token();
    if (name.empty()) return false;
    std::string p = to_lower(name);
    if (c.consume('/')) {
      auto version = c.token();
      if (version.empty()) return false;
      p += '/';
      p += to_lower(version);
    }
    out.push_back(std::move(p));
    return true;
  });
  if (!ok) return std::nullopt;
  return out;
}

std::optional<te> parse_te(std::string_view value) {
  te out;
  bool ok = parse_list(value, false, [&](cursor& c) {
    auto t = c.token();
    if (t.empty()) return false;
    if (iequals(t, "trailers")) {
      out.trailers = true;
      return true;
    }
    quality_item item{to_lower(t), 1000};
    if (!weight(c, item.quality)) return false;
    out.codings.push_back(std::move(item));
    return true;
  });
  if (!ok) return std::nullopt;
  return out;
}

std::optional<bool> parse_expect(std::string_view value) {
  if (iequals(trim_ows(value), "100-continue")) return true;
  return std::nullopt;
}

std::optional<etag_list> parse_if_match(std::string_view value) {
  return etags(value);
}

std::optional<etag_list> parse_if_none_match(std::string_view value) {
  return etags(value);
}

std::optional<etag> parse_etag(std::string_view value) {
  cursor c{trim_ows(value)};
  etag e;
  if (!entity_tag(c, e) || !c.eof()) return std::nullopt;
  return e;
}

std::optional<std::time_t> parse_date(std::string_view value) {
  return http_date::parse(value);
}

std::optional<range> parse_range(std::string_view value) {
  auto v = trim_ows(value);
  auto eq = v.find('=');
  if (eq == std::string_view::npos) return std::nullopt;
  range out;
  auto unit = v.substr(0, eq);
  if (!is_token(unit)) return std::nullopt;
  out.unit = to_lower(unit);
  auto set = v.substr(eq + 1);
  if (out.unit != "bytes") {
    // other-range = 1*( %x21-2B / %x2D-7E ), comma-separated.
    if (set.empty()) return std::nullopt;
    for (char c : set) {
      auto u = static_cast<unsigned char>(c);
      if (u != ',' && u != ' ' && u != '\t' && (u < 0x21 || u > 0x7e)) return std::nullopt;
    }
    out.other.assign(set);
    return out;
  }
  bool ok = parse_list(set, true, [&](cursor& c) {
    std::size_t start = c.i;
    while (!c.eof() && (is_digit(c.peek()) || c.peek() == '-')) ++c.i;
    auto spec = set.substr(start, c.i - start);
    auto dash = spec.find('-');
    if (dash == std::string_view::npos || spec.find('-', dash + 1) != std::string_view::npos)
      return false;
    byte_range r;
    std::uint64_t n;
    if (dash == 0) {
      if (!digits_u64(spec.substr(1), n)) return false;
      r.last = n;
    } else {
      if (!digits_u64(spec.substr(0, dash), n)) return false;
      r.first = n;
      if (dash + 1 < spec.size()) {
        if (!digits_u64(spec.substr(dash + 1), n) || n < *r.first) return false;
        r.last = n;
      }
    }
    out.ranges.push_back(r);
    return true;
  });
  if (!ok) return std::nullopt;
  return out;
}

std::optional<authorization> parse_authorization(std::string_view value) {
  auto v = trim_ows(value);
  auto sp = v.find(' ');
  authorization a;
  auto scheme = v.substr(0, sp);
  if (!is_token(scheme)) return std::nullopt;
  a.scheme = to_lower(scheme);
  std::string_view creds;
  if (sp != std::string_view::npos) {
    creds = v.substr(sp);
    while (!creds.empty() && creds.front() == ' ') creds.remove_prefix(1);
  }
  if (a.scheme == "basic") {
    if (!is_token68(creds)) return std::nullopt;
    auto decoded = base64_decode(creds);
    if (!decoded) return std::nullopt;
    auto colon = decoded->find(':');
    if (colon == std::string::npos) return std::nullopt;
    a.username = decoded->substr(0, colon);
    a.password = decoded->substr(colon + 1);
    return a;
  }
  if (a.scheme == "bearer") {
    if (!is_token68(creds)) return std::nullopt;
    a.token.assign(creds);
    return a;
  }
  for (char c : creds)
    if (c == '\0' || c == '\r' || c == '\n') return std::nullopt;
  a.token.assign(creds);
  return a;
}

std::optional<std::string_view> parse_sec_websocket_key(std::string_view value) {
  auto v = trim_ows(value);
  if (v.size() != 24 || v.substr(22) != "==") return std::nullopt;
  auto decoded = base64_decode(v);
  if (!decoded || decoded->size() != 16) return std::nullopt;
  return v;
}

std::optional<int> parse_sec_websocket_version(std::string_view value) {
  auto v = trim_ows(value);
  if (v.empty() || v.size() > 3 || (v.size() > 1 && v[0] == '0')) return std::nullopt;
  int n = 0;
  for (char c : v) {
    if (!is_digit(c)) return std::nullopt;
    n = n * 10 + (c - '0');
  }
  if (n > 255) return std::nullopt;
  return n;
}

std::optional<std::vector<std::string>> parse_sec_websocket_protocol(std::string_view value) {
  std::vector<std::string> out;
  bool ok = parse_list(value, true, [&](cursor& c) {
    auto t = c.token();
    if (t.empty()) return false;
    out.emplace_back(t);
    return true;
  });
  if (!ok) return std::nullopt;
  return out;
}

std::optional<std::vector<extension>> parse_sec_websocket_extensions(std::string_view value) {
  std::vector<extension> out;
  bool ok = parse_list(value, true, [&](cursor& c) {
    auto name = c.token();
    if (name.empty()) return false;
    extension e{std::string{name}, {}};
    while (c.parameter_start()) {
      auto pname = c.token();
      if (pname.empty()) return false;
      extension_param p{std::string{pname}, std::nullopt};
      std::size_t before_eq = c.i;
      c.ows();
      if (c.consume('=')) {
        c.ows();
        p.value.emplace();
        if (!c.word(*p.value)) return false;
      } else {
        c.i = before_eq;
      }
      e.params.push_back(std::move(p));
    }
    out.push_back(std::move(e));
    return true;
  });
  if (!ok) return std::nullopt;
  return out;
}

std::optional<host> parse_host(std::string_view value) {
  auto a = uri::parse_authority(trim_ows(value), true);
  if (!a) return std::nullopt;
  return host{to_lower(a->host), a->port};
}

std::optional<std::string> base64_decode(std::string_view in) {
  if (in.size() % 4 != 0) return std::nullopt;
  std::string out;
  out.reserve(in.size() / 4 * 3);
  for (std::size_t i = 0; i < in.size(); i += 4) {
    bool last = i + 4 == in.size();
    int pad = 0;
    if (last) {
      if (in[i + 3] == '=') ++pad;
      if (pad && in[i + 2] == '=') ++pad;
    }
    std::uint32_t acc = 0;
    for (int k = 0; k < 4; ++k) {
      if (k >= 4 - pad) {
        acc <<= 6;
        continue;
      }
      auto d = b64_table[static_cast<unsigned char>(in[i + k])];
      if (d < 0) return std::nullopt;
      acc = acc << 6 | static_cast<std::uint32_t>(d);
    }
    out.push_back(static_cast<char>(acc >> 16));
    if (pad < 2) out.push_back(static_cast<char>(acc >> 8 & 0xff));
    if (pad < 1) out.push_back(static_cast<char>(acc & 0xff));
    // Canonical encoding: bits beyond the data must be zero.
    if ((pad == 1 && (acc & 0xff)) || (pad == 2 && (acc & 0xffff))) return std::nullopt;
  }
  return out;
}

std::optional<std::string> parse_http2_settings(std::string_view value) {
  auto v = trim_ows(value);
  std::string b64;
  b64.reserve(v.size() + 2);
  for (char c : v) {
    if (c == '+' || c == '/' || c == '=') return std::nullopt;  // base64url, unpadded
    b64.push_back(c == '-' ? '+' : c == '_' ? '/' : c);
  }
  while (b64.size() % 4) b64.push_back('=');
  auto payload = base64_decode(b64);
  if (!payload || payload->size() % 6 != 0) return std::nullopt;
  return payload;
}

std::string base64_encode(std::string_view in) {
  constexpr char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 3 <= in.size(); i += 3) {
    std::uint32_t v = static_cast<unsigned char>(in[i]) << 16 |
                      static_cast<unsigned char>(in[i + 1]) << 8 |
                      static_cast<unsigned char>(in[i + 2]);
    out.push_back(alphabet[v >> 18]);
    out.push_back(alphabet[v >> 12 & 63]);
    out.push_back(alphabet[v >> 6 & 63]);
    out.push_back(alphabet[v & 63]);
  }
  if (std::size_t rest = in.size() - i; rest > 0) {
    std::uint32_t v = static_cast<unsigned char>(in[i]) << 16;
    if (rest == 2) v |= static_cast<unsigned char>(in[i + 1]) << 8;
    out.push_back(alphabet[v >> 18]);
    out.push_back(alphabet[v >> 12 & 63]);
    out.push_back(rest == 2 ? alphabet[v >> 6 & 63] : '=');
    out.push_back('=');
  }
  return out;
}

}  // namespace rodeo::http_header
