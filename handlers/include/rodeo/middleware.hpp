#pragma once
// Middlewares, as Cowboy's: each request runs protocol_options::middlewares in order, by default
// { router_middleware(), handler_middleware() }. A middleware may edit the req and the request
// env, answer and stop the chain, or let it go on. Insert your own anywhere:
//
//   struct auth_mw : rodeo::middleware {
//     rodeo::middleware_result execute(rodeo::req& req, rodeo::request_env&) const override {
//       if (req.header("authorization")) return rodeo::middleware_result::ok;
//       req.reply(401, {{"www-authenticate", "Basic realm=\"rodeo\""}});
//       return rodeo::middleware_result::stop;
//     }
//   };
//   opts.middlewares.insert(opts.middlewares.begin() + 1, std::make_shared<auth_mw>());
#include <any>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "rodeo/handler.hpp"

namespace rodeo {

class req;

/// Cowboy's env: the dispatch table and any values middlewares want. Replaceable on a running
/// listener with set_env(); each request sees the env current when it started.
struct env {
  std::shared_ptr<const rodeo::dispatch> dispatch;
  std::map<std::string, std::any, std::less<>> values;
};

/// One request's view of the env: the listener's env plus what middlewares added.
struct request_env {
  std::shared_ptr<const rodeo::env> shared;
  /// Set by the router: the route's handler.
  const handler_ref* handler = nullptr;
  std::map<std::string, std::any, std::less<>> values;

  /// A value added for this request, else the listener env's, else nullptr.
  const std::any* find(std::string_view key) const {
    if (auto i = values.find(key); i != values.end()) return &i->second;
    if (shared)
      if (auto i = shared->values.find(key); i != shared->values.end()) return &i->second;
    return nullptr;
  }
};

/// ok: go on with the next middleware. stop: the request is done. suspend: the middleware
/// continues asynchronously (the handler middleware while a handler waits for a body or loops);
/// the chain resumes after it when it finished.
enum class middleware_result { ok, stop, suspend };

class middleware {
 public:
  virtual ~middleware();
  virtual middleware_result execute(req& r, request_env& e) const = 0;
};

/// cowboy_router: matches host and path against env.dispatch; sets bindings, host_info,
/// path_info and the handler. No match: 400 (bad host) or 404 (no path), and stop.
std::shared_ptr<const middleware> router_middleware();
/// cowboy_handler: makes the handler and runs it.
std::shared_ptr<const middleware> handler_middleware();

}  // namespace rodeo
