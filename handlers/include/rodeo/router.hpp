#pragma once
// Cowboy's router (cowboy_router) and constraints (cowboy_constraints), without actors or sockets.
//
//   rodeo::routes<H> routes{
//     {"_", {
//       {"/", index_handler},
//       {"/hats/:name/prices", prices_handler},
//       {"/users/:id", {{"id", {rodeo::constraint::int_()}}}, user_handler},
//       {"/static/[...]", static_handler},
//     }},
//   };
//   auto router = rodeo::compile(std::move(routes));
//   auto m = router.match(host, path);   // host lowercased without port, path without query
//   if (!m) reply(m.http_status());      // 400 (no host / bad path) or 404 (no path)
//   else    (*m.handler)(m.bindings, m.host_info, m.path_info);

#include <cstddef>
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

enum class route_status {
  ok,
  no_host,      // no host rule matched: 400
  no_path,      // the host matched, no path rule did: 404
  bad_request,  // the path or host could not be split (bad percent-encoding, not absolute): 400
};

// Cowboy's routes before compilation. Paths: "_" (any), "*" (OPTIONS *), or "/..." patterns.
template <class Handler>
struct path_rule {
  path_rule(std::string pattern, Handler handler)
      : pattern(std::move(pattern)), handler(std::move(handler)) {}
  path_rule(std::string pattern, rodeo::fields constraints, Handler handler)
      : pattern(std::move(pattern)),
        constraints(std::move(constraints)),
        handler(std::move(handler)) {}
  std::string pattern;
  rodeo::fields constraints;
  Handler handler;
};

template <class Handler>
struct host_rule {
  host_rule(std::string pattern, std::vector<path_rule<Handler>> paths)
      : pattern(std::move(pattern)), paths(std::move(paths)) {}
  host_rule(std::string pattern, rodeo::fields constraints, std::vector<path_rule<Handler>> paths)
      : pattern(std::move(pattern)), constraints(std::move(constraints)), paths(std::move(paths)) {}
  std::string pattern;
  rodeo::fields constraints;
  std::vector<path_rule<Handler>> paths;
};

template <class Handler>
using routes = std::vector<host_rule<Handler>>;

template <class Handler>
struct route_match {
  route_status status = route_status::no_host;
  const Handler* handler = nullptr;
  rodeo::bindings bindings;
  // Tokens matched by a `[...]` host wildcard (in host order) / path wildcard; unset without one.
  std::optional<std::vector<std::string>> host_info;
  std::optional<std::vector<std::string>> path_info;

  explicit operator bool() const { return status == route_status::ok; }
  // The reply Cowboy's router middleware sends when routing fails.
  int http_status() const {
    switch (status) {
      case route_status::ok:
        return 200;
      case route_status::no_path:
        return 404;
      default:
        return 400;
    }
  }
};

namespace detail {

// The handler-independent compiled dispatch table; router<H> maps its indices to handlers.
class dispatch {
 public:
  struct path_spec {
    std::string pattern;
    fields constraints;
    std::size_t handler;
  };
  struct host_spec {
    std::string pattern;
    fields constraints;
    std::vector<path_spec> paths;
  };
  struct result {
    route_status status = route_status::no_host;
    std::size_t handler = 0;
    rodeo::bindings bindings;
    std::optional<std::vector<std::string>> host_info;
    std::optional<std::vector<std::string>> path_info;
  };

  dispatch() = default;
  // Throws std::invalid_argument naming the faulty pattern.
  explicit dispatch(std::vector<host_spec> hosts);
  result match(std::string_view host, std::string_view path) const;

  struct segment {
    enum class kind : std::uint8_t { literal, bind, any, rest } type;
    std::string text;  // the literal, or the binding's name
  };
  struct compiled_path {
    enum class kind : std::uint8_t { any, asterisk, segments } type;
    std::vector<segment> segments;
    std::size_t handler;
    std::size_t constraints;  // index into rule::path_constraints
  };
  // One host pattern alternative ("[www.]a.b" gives two), its segments reversed like Cowboy's.
  struct compiled_host {
    bool any;
    std::vector<segment> segments;
    std::size_t rule;
  };
  struct rule {
    fields constraints;
    std::vector<compiled_path> paths;
    std::vector<fields> path_constraints;  // parallel to the path specs
  };

 private:
  std::vector<compiled_host> hosts_;
  std::vector<rule> rules_;
};

}  // namespace detail

// A compiled route table (cowboy_router:compile). Matching is thread-safe (const).
template <class Handler>
class router {
 public:
  router() = default;
  explicit router(routes<Handler> rs) {
    std::vector<detail::dispatch::host_spec> specs;
    specs.reserve(rs.size());
    for (auto& h : rs) {
      specs.push_back({std::move(h.pattern), std::move(h.constraints), {}});
      for (auto& p : h.paths) {
        specs.back().paths.push_back(
            {std::move(p.pattern), std::move(p.constraints), handlers_.size()});
        handlers_.push_back(std::move(p.handler));
      }
    }
    dispatch_ = detail::dispatch{std::move(specs)};
  }

  // host: the request's host without port (lowercase); path: the path without query string.
  route_match<Handler> match(std::string_view host, std::string_view path) const {
    auto r = dispatch_.match(host, path);
    route_match<Handler> m;
    m.status = r.status;
    if (r.status == route_status::ok) {
      m.handler = &handlers_[r.handler];
      m.bindings = std::move(r.bindings);
      m.host_info = std::move(r.host_info);
      m.path_info = std::move(r.path_info);
    }
    return m;
  }

  const std::vector<Handler>& handlers() const { return handlers_; }

 private:
  std::vector<Handler> handlers_;
  detail::dispatch dispatch_;
};

template <class Handler>
router<Handler> compile(routes<Handler> rs) {
  return router<Handler>{std::move(rs)};
}

}  // namespace rodeo
