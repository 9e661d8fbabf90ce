#include "rodeo/qs.hpp"

#include <array>

#include "percent.hpp"

namespace rodeo::qs {

namespace {

constexpr auto plain_table = [] {
  std::array<bool, 256> t{};
  for (int c = 0; c < 256; ++c)
    t[c] = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-' ||
           c == '.' || c == '_';
  return t;
}();

constexpr char hex_digits[] = "0123456789ABCDEF";

}  // namespace

bool urldecode_to(std::string_view in, std::string& out) {
  return detail::percent_decode_append(
      in, out, [](char) { return true; }, true);
}

std::optional<std::string> urldecode(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  if (!urldecode_to(in, out)) return std::nullopt;
  return out;
}

void urlencode_to(std::string_view in, std::string& out) {
  for (char c : in) {
    auto u = static_cast<unsigned char>(c);
    if (plain_table[u]) {
      out.push_back(c);
    } else if (c == ' ') {
      out.push_back('+');
    } else {
      out.push_back('%');
      out.push_back(hex_digits[u >> 4]);
      out.push_back(hex_digits[u & 15]);
    }
  }
}

std::string urlencode(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  urlencode_to(in, out);
  return out;
}

std::optional<vals> parse(std::string_view qs, std::size_t max_keys) {
  vals out;
  std::size_t i = 0;
  const std::size_t n = qs.size();
  while (i < n) {
    auto amp = qs.find('&', i);
    auto end = amp == std::string_view::npos ? n : amp;
    auto item = qs.substr(i, end - i);
    i = end + 1;
    if (item.empty()) continue;
    if (out.size() == max_keys) return std::nullopt;
    auto eq = item.find('=');
    pair p;
    if (eq == 0) return std::nullopt;
    if (!urldecode_to(item.substr(0, eq), p.name)) return std::nullopt;
    if (eq != std::string_view::npos) {
      p.value.emplace();
      if (!urldecode_to(item.substr(eq + 1), *p.value)) return std::nullopt;
    }
    out.push_back(std::move(p));
  }
  return out;
}

std::string build(const vals& qs) {
  std::string out;
  for (auto& p : qs) {
    if (!out.empty()) out.push_back('&');
    urlencode_to(p.name, out);
    if (p.value) {
      out.push_back('=');
      urlencode_to(*p.value, out);
    }
  }
  return out;
}

match_result match(const vals& qs, const fields& spec) {
  match_result r;
  for (auto& f : spec) {
    std::optional<value> found;
    for (auto& p : qs) {
      if (p.name != f.name) continue;
      value v = p.value ? value{*p.value} : value{true};
      if (!found) {
        found = std::move(v);
      } else if (found->is_list()) {
        std::get<std::vector<value>>(*found).push_back(std::move(v));
      } else {
        std::vector<value> list;
        list.push_back(std::move(*found));
        list.push_back(std::move(v));
        found = value{std::move(list)};
      }
    }
    if (!found) {
      if (!f.default_value) {
        r.error = match_error{match_error::kind::missing, f.name, "missing"};
        return r;
      }
      // Defaults are taken as given, without constraints, as in Cowboy.
      r.values.set(f.name, *f.default_value);
      continue;
    }
    auto checked = validate(std::move(*found), f.constraints);
    if (!checked) {
      r.error = match_error{match_error::kind::invalid, f.name, checked.reason()};
      return r;
    }
    r.values.set(f.name, std::move(*checked));
  }
  return r;
}

}  // namespace rodeo::qs
