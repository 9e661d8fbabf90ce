#pragma once
// Cowboy's constraints (cowboy_constraints) and the values they check: route bindings and
// match_qs fields. No actors or sockets.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace rodeo {

// A binding or query-string value after constraints: text as received, an integer (`int`
// constraint), `true` (a query-string key without `=`), or a list (a repeated query-string key).
struct value : std::variant<std::string, std::int64_t, bool, std::vector<value>> {
  using variant::variant;
  value() : variant(std::string{}) {}
  value(const char* s) : variant(std::string{s}) {}
  value(std::string_view s) : variant(std::string{s}) {}
  value(int i) : variant(std::int64_t{i}) {}

  bool is_string() const { return std::holds_alternative<std::string>(*this); }
  bool is_int() const { return std::holds_alternative<std::int64_t>(*this); }
  bool is_bool() const { return std::holds_alternative<bool>(*this); }
  bool is_list() const { return std::holds_alternative<std::vector<value>>(*this); }
  const std::string& as_string() const { return std::get<std::string>(*this); }
  std::int64_t as_int() const { return std::get<std::int64_t>(*this); }
  bool as_bool() const { return std::get<bool>(*this); }
  const std::vector<value>& as_list() const { return std::get<std::vector<value>>(*this); }
  const variant& base() const { return *this; }
  friend bool operator==(const value& a, const value& b) { return a.base() == b.base(); }
};

// What one constraint made of a value: the (possibly converted) value, or why it was rejected.
class constraint_result {
 public:
  static constraint_result ok(value v) { return constraint_result{std::move(v)}; }
  static constraint_result error(std::string reason) {
    constraint_result r{value{}};
    r.error_ = std::move(reason);
    return r;
  }
  explicit operator bool() const { return !error_; }
  value& operator*() { return value_; }
  const value& operator*() const { return value_; }
  const std::string& reason() const { return *error_; }

 private:
  explicit constraint_result(value v) : value_(std::move(v)) {}
  value value_;
  std::optional<std::string> error_;
};

// A Cowboy constraint: `int` (text -> integer), `nonempty`, or a user function with a `forward`
// direction (validate/convert) and an optional `reverse` one (back to text).
class constraint {
 public:
  using function_type = std::function<constraint_result(const value&)>;
  enum class kind { int_, nonempty, function };

  static constraint int_() { return constraint{kind::int_, {}, {}}; }
  static constraint nonempty() { return constraint{kind::nonempty, {}, {}}; }
  static constraint function(function_type forward, function_type reverse = {}) {
    return constraint{kind::function, std::move(forward), std::move(reverse)};
  }

  kind type() const { return kind_; }
  constraint_result forward(const value& v) const;
  constraint_result reverse(const value& v) const;

 private:
  constraint(kind k, function_type f, function_type r)
      : kind_(k), forward_(std::move(f)), reverse_(std::move(r)) {}
  kind kind_;
  function_type forward_;
  function_type reverse_;
};

// Applies constraints in order, each to the previous one's output (cowboy_constraints:validate).
// A list value is checked element by element.
constraint_result validate(value v, const std::vector<constraint>& constraints);

// cowboy:fields(): a name, its constraints and, for match_qs, an optional default.
struct field {
  std::string name;
  std::vector<constraint> constraints{};
  std::optional<value> default_value{};
};
using fields = std::vector<field>;

// Named values produced by routing, in binding order.
class bindings {
 public:
  const value* find(std::string_view name) const {
    for (auto& [n, v] : items_)
      if (n == name) return &v;
    return nullptr;
  }
  bool contains(std::string_view name) const { return find(name) != nullptr; }
  // The value of `name`; throws std::out_of_range when absent.
  const value& at(std::string_view name) const;
  value* find(std::string_view name) {
    return const_cast<value*>(static_cast<const bindings*>(this)->find(name));
  }
  void set(std::string_view name, value v) {
    if (auto p = find(name))
      *p = std::move(v);
    else
      items_.emplace_back(std::string{name}, std::move(v));
  }
  std::size_t size() const { return items_.size(); }
  bool empty() const { return items_.empty(); }
  auto begin() const { return items_.begin(); }
  auto end() const { return items_.end(); }
  void clear() { items_.clear(); }

 private:
  std::vector<std::pair<std::string, value>> items_;
};

}  // namespace rodeo
