#pragma once
// Cowboy's router (cowboy_router), without actors or sockets; constraints are in constraints.hpp.
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

#include "rodeo/constraints.hpp"

namespace rodeo {

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
  // The path pattern of the matched rule ("/users/:id"): a bounded label for metrics, valid while
  // the router lives.
  const std::string* pattern = nullptr;
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
        patterns_.push_back(p.pattern);
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
      m.pattern = &patterns_[r.handler];
      m.bindings = std::move(r.bindings);
      m.host_info = std::move(r.host_info);
      m.path_info = std::move(r.path_info);
    }
    return m;
  }

  const std::vector<Handler>& handlers() const { return handlers_; }

 private:
  std::vector<Handler> handlers_;
  std::vector<std::string> patterns_;  // parallel to handlers_
  detail::dispatch dispatch_;
};

template <class Handler>
router<Handler> compile(routes<Handler> rs) {
  return router<Handler>{std::move(rs)};
}

}  // namespace rodeo
