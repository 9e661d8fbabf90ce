#pragma once
// The request actor (one per request: Cowboy's request process): the middleware chain, the
// handler, the loop. stream_h spawns it; req talks to it for asynchronous operations.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <memory>
#include <optional>
#include <string>

#include <caf/actor.hpp>
#include <caf/error.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/message.hpp>

#include "rodeo/handler.hpp"
#include "rodeo/middleware.hpp"
#include "rodeo/protocol_options.hpp"
#include "rodeo/req.hpp"

namespace rodeo::detail {

struct request_init {
  std::shared_ptr<const rodeo::request> req;
  caf::actor conn;
  std::shared_ptr<const rodeo::env> env;
  std::shared_ptr<const protocol_options> opts;
  // Set when stream_h already routed the request (default middlewares): the router skips it.
  std::shared_ptr<route_match<handler_ref>> routed;
};

// The life of one request inside its actor: the middleware chain, the handler, the loop.
class request_process {
 public:
  request_process(caf::event_based_actor* self, request_init init);

  caf::behavior start();

  // -- Used by req --------------------------------------------------------------------------------

  void begin_async() { ++pending_; }
  void end_async() {
    if (--pending_ == 0 && mode_ == mode::plain) finish_handler();
  }
  // A failed read_body or acknowledged send: the connection is gone or did not answer in time.
  void fail(const caf::error& err);

  // -- Used by the handler middleware -----------------------------------------------------------

  middleware_result run_handler(const handler_ref& ref);

 private:
  enum class mode { chain, handler_init, plain, loop, done };

  void run_chain();

  // A normal end is not reported by an exit message (stream_h watches crashes only): a stream left
  // without a complete response is ended explicitly (204, or the end of a streamed body).
  void finish_stream();

  // The handler ended (plain: all callbacks ran; loop: stop, eof): terminate and go on with the
  // middlewares after the handler.
  void finish_handler();

  void terminate_handler(const caf::error& reason);

  void end(caf::error reason);

  void arm_timer();

  void on_info(caf::message& msg);

  caf::error on_exception(std::exception_ptr& eptr);

  // The exit reason names the request, so the one crash report says which route failed.
  caf::error crash(const std::string& what);

  void guarded_terminate(const caf::error& reason);

  caf::event_based_actor* self_;
  request_init init_;
  req req_;
  request_env env_;
  size_t next_mw_ = 0;
  std::unique_ptr<handler> handler_;
  mode mode_ = mode::chain;
  size_t pending_ = 0;
  std::optional<std::chrono::milliseconds> timeout_;
  uint64_t timer_gen_ = 0;

  friend class rodeo::req;
  friend class handler_mw;
  friend class router_mw;
};

/// Spawns the request actor of a stream (stream_h.cpp).
caf::actor spawn_request(caf::local_actor* parent, request_init init);

}  // namespace rodeo::detail
