#pragma once
// Handlers, as Cowboy's: a handler is made for each request and its init() runs inside the
// request actor. Plain handlers reply (or read the body, then reply) and return ok(); loop
// handlers return loop() and then receive every message sent to the request actor in info().
//
//   struct hello_h : rodeo::handler {
//     rodeo::handler_result init(rodeo::req& req) override {
//       req.reply(200, {{"content-type", "text/plain"}}, "Hello world!");
//       return rodeo::ok();
//     }
//   };
//   rodeo::route_list routes{{"_", {
//     {"/", rodeo::handler_of<hello_h>()},                         // a class, made per request
//     {"/ping", [](rodeo::req& req) { req.reply(200, {}, "pong"); }},  // or a function
//   }}};
//
// A handler that reads the body continues in a callback (event-based actors cannot block):
//   req.read_body([](rodeo::req& req, std::string body, rodeo::is_fin) { req.reply(200, {}, body);
//   }); return rodeo::ok();
// The request ends once init returned ok() and no callback is pending; no reply means 204.
#include <chrono>
#include <concepts>
#include <memory>
#include <optional>
#include <tuple>
#include <type_traits>
#include <utility>

#include <caf/error.hpp>
#include <caf/message.hpp>

#include "rodeo/router.hpp"

namespace rodeo {

class req;

/// What init() and info() return: Cowboy's {ok, Req, State}, {cowboy_loop, Req, State,
/// Timeout, hibernate} and {stop, Req, State}.
class handler_result {
 public:
  enum class kind { ok, loop, stop };
  kind what() const noexcept { return kind_; }
  /// For loop() and for ok() from info(): the loop's idle timeout (replaces the current one).
  const std::optional<std::chrono::milliseconds>& timeout() const noexcept { return timeout_; }
  bool hibernate() const noexcept { return hibernate_; }

  handler_result(kind k, std::optional<std::chrono::milliseconds> t, bool h)
      : kind_(k), timeout_(t), hibernate_(h) {}

 private:
  kind kind_;
  std::optional<std::chrono::milliseconds> timeout_;
  bool hibernate_;
};

/// Marker for hibernate: accepted for Cowboy compatibility; CAF actors have no hibernation,
/// an idle request actor holds only its state.
struct hibernate_t {};
inline constexpr hibernate_t hibernate{};

/// init: the request is handled (once pending callbacks ran). info: keep looping.
inline handler_result ok() {
  return {handler_result::kind::ok, std::nullopt, false};
}
inline handler_result ok(hibernate_t) {
  return {handler_result::kind::ok, std::nullopt, true};
}
/// info only: keep looping with a new idle timeout.
inline handler_result ok(std::chrono::milliseconds timeout) {
  return {handler_result::kind::ok, timeout, false};
}
/// init only: become a loop handler; without a timeout the loop waits forever.
inline handler_result loop() {
  return {handler_result::kind::loop, std::nullopt, false};
}
inline handler_result loop(hibernate_t) {
  return {handler_result::kind::loop, std::nullopt, true};
}
inline handler_result loop(std::chrono::milliseconds timeout, bool hib = false) {
  return {handler_result::kind::loop, timeout, hib};
}
inline handler_result loop(std::chrono::milliseconds timeout, hibernate_t) {
  return {handler_result::kind::loop, timeout, true};
}
/// Ends the request now (pending callbacks are dropped).
inline handler_result stop() {
  return {handler_result::kind::stop, std::nullopt, false};
}

class handler {
 public:
  virtual ~handler();
  virtual handler_result init(req& r) = 0;
  /// Loop handlers: a message sent to the request actor (anything but the connection's own).
  virtual handler_result info(caf::message& msg, req& r);
  /// The request ended: reason is none (normal), {shutdown, R} (client gone, loop timeout:
  /// "timeout") or the crash.
  virtual void terminate(const caf::error& reason, req& r);
};

/// Makes one handler per request.
class handler_factory {
 public:
  virtual ~handler_factory();
  virtual std::unique_ptr<handler> make() const = 0;
};

/// A route target: which handler serves a route (Cowboy's {Path, Module, Opts}).
class handler_ref {
 public:
  handler_ref() = default;
  explicit handler_ref(std::shared_ptr<const handler_factory> f) : factory_(std::move(f)) {}
  /// A function handler: `void(req&)` or `handler_result(req&)`.
  template <class F>
  requires(std::invocable<F&, req&> && !std::is_same_v<std::decay_t<F>, handler_ref>)
      handler_ref(F fn);  // NOLINT: implicit so lambdas can sit in route tables

  std::unique_ptr<handler> make() const { return factory_->make(); }
  explicit operator bool() const noexcept { return static_cast<bool>(factory_); }
  /// See run_inline().
  bool is_inline() const noexcept { return inline_; }

 private:
  friend handler_ref run_inline(handler_ref h);
  std::shared_ptr<const handler_factory> factory_;
  bool inline_ = false;
};

/// The inline fast path: the handler runs inside the connection actor, without a request actor
/// (no spawn, no messages). For handlers that answer at once from the request head: init() must
/// reply (or not: 204) and return ok() or stop(); it cannot loop or read a body (the body is
/// discarded), and req.self()/req.handle() are the connection actor. It applies with the
/// default middlewares (router, handler); with others the handler runs in a request actor.
inline handler_ref run_inline(handler_ref h) {
  h.inline_ = true;
  return h;
}

/// A handler class H, constructed per request from copies of `args` (Cowboy's route Opts).
template <class H, class... Args>
handler_ref handler_of(Args&&... args) {
  static_assert(std::is_base_of_v<handler, H>, "handler_of<H>: H must derive from rodeo::handler");
  struct factory final : handler_factory {
    explicit factory(std::decay_t<Args>... xs) : args(std::move(xs)...) {}
    std::tuple<std::decay_t<Args>...> args;
    std::unique_ptr<handler> make() const override {
      return std::apply([](const auto&... xs) { return std::make_unique<H>(xs...); }, args);
    }
  };
  return handler_ref{std::make_shared<const factory>(std::forward<Args>(args)...)};
}

namespace detail {
template <class F>
class function_handler final : public handler {
 public:
  explicit function_handler(const F& f) : f_(f) {}
  handler_result init(req& r) override {
    if constexpr (std::is_void_v<std::invoke_result_t<const F&, req&>>) {
      f_(r);
      return ok();
    } else {
      return f_(r);
    }
  }

 private:
  const F& f_;
};
}  // namespace detail

template <class F>
requires(std::invocable<F&, req&> &&
         !std::is_same_v<std::decay_t<F>, handler_ref>) handler_ref::handler_ref(F fn) {
  struct factory final : handler_factory {
    explicit factory(F f) : fn(std::move(f)) {}
    F fn;
    std::unique_ptr<handler> make() const override {
      return std::make_unique<detail::function_handler<F>>(fn);
    }
  };
  factory_ = std::make_shared<const factory>(std::move(fn));
}

/// Cowboy's compiled dispatch list and its source form: host rules, each with its path list.
using dispatch = router<handler_ref>;
using route_list = routes<handler_ref>;
using path_list = std::vector<path_rule<handler_ref>>;

}  // namespace rodeo
