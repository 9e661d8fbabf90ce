#include "rodeo/constraints.hpp"

#include <charconv>
#include <stdexcept>

namespace rodeo {

namespace {

std::optional<std::int64_t> to_int(std::string_view s) {
  // Erlang's binary_to_integer: an optional sign then digits.
  bool negative = false;
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
    negative = s[0] == '-';
    s.remove_prefix(1);
  }
  if (s.empty()) return std::nullopt;
  for (char c : s)
    if (c < '0' || c > '9') return std::nullopt;
  std::uint64_t magnitude = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), magnitude);
  if (ec != std::errc{} || end != s.data() + s.size()) return std::nullopt;
  constexpr auto max = static_cast<std::uint64_t>(INT64_MAX);
  if (negative) {
    if (magnitude > max + 1) return std::nullopt;
    return magnitude == max + 1 ? INT64_MIN : -static_cast<std::int64_t>(magnitude);
  }
  if (magnitude > max) return std::nullopt;
  return static_cast<std::int64_t>(magnitude);
}

}  // namespace

constraint_result constraint::forward(const value& v) const {
  switch (kind_) {
    case kind::int_:
      if (v.is_int()) return constraint_result::ok(v);
      if (v.is_string())
        if (auto i = to_int(v.as_string())) return constraint_result::ok(*i);
      return constraint_result::error("not_an_integer");
    case kind::nonempty:
      if (v.is_string() && v.as_string().empty()) return constraint_result::error("empty");
      return constraint_result::ok(v);
    case kind::function:
      return forward_(v);
  }
  return constraint_result::error("unknown_constraint");
}

constraint_result constraint::reverse(const value& v) const {
  switch (kind_) {
    case kind::int_:
      if (v.is_int()) return constraint_result::ok(std::to_string(v.as_int()));
      return constraint_result::error("not_an_integer");
    case kind::nonempty:
      return forward(v);
    case kind::function:
      return reverse_ ? reverse_(v) : constraint_result::ok(v);
  }
  return constraint_result::error("unknown_constraint");
}

constraint_result validate(value v, const std::vector<constraint>& constraints) {
  if (v.is_list()) {
    std::vector<value> out;
    out.reserve(v.as_list().size());
    for (auto& e : v.as_list()) {
      auto r = validate(e, constraints);
      if (!r) return r;
      out.push_back(std::move(*r));
    }
    return constraint_result::ok(std::move(out));
  }
  for (auto& c : constraints) {
    auto r = c.forward(v);
    if (!r) return r;
    v = std::move(*r);
  }
  return constraint_result::ok(std::move(v));
}

const value& bindings::at(std::string_view name) const {
  if (auto p = find(name)) return *p;
  throw std::out_of_range("no binding named " + std::string{name});
}

}  // namespace rodeo
