// The request actor (Cowboy's request process: middlewares, then the handler, plain or loop) and
// the default middlewares (cowboy_router, cowboy_handler).
#include "request_process.hpp"

#include <caf/all.hpp>

#include <stdexcept>
#include <utility>

#include "rodeo/atoms.hpp"
#include "rodeo/exit.hpp"
#include "rodeo/log.hpp"
#include "rodeo/process.hpp"
#include "rodeo/stream_handler.hpp"

namespace rodeo {

handler::~handler() = default;
handler_result handler::info(caf::message&, req&) {
  return ok();
}
void handler::terminate(const caf::error&, req&) {}
handler_factory::~handler_factory() = default;
middleware::~middleware() = default;

protocol_options::protocol_options()
    : middlewares{router_middleware(), handler_middleware()}, stream_handlers{stream_h()} {}

namespace detail {
namespace {

using loop_timeout_atom = caf::atom_constant<caf::atom("looptmo")>;

}  // namespace

request_process::request_process(caf::event_based_actor* self, request_init init)
    : self_(self), init_(std::move(init)), req_(this, self, init_.conn, init_.req) {
  env_.shared = init_.env;
  if (auto& m = init_.routed) {
    env_.handler = m->handler;
    req_.bindings_ = std::move(m->bindings);
    req_.host_info_ = std::move(m->host_info);
    req_.path_info_ = std::move(m->path_info);
  }
}

caf::behavior request_process::start() {
  self_->set_exception_handler(
      [this](caf::scheduled_actor*, std::exception_ptr& eptr) { return on_exception(eptr); });
  // Unmatched messages: loop handlers get them in info(); others drop them.
  self_->set_default_handler(
      [this](caf::scheduled_actor*, caf::message_view& view) -> caf::result<caf::message> {
        auto msg = view.move_content_to_message();
        on_info(msg);
        return caf::message{};
      });
  run_chain();
  return {
      [this](client_gone_atom) { end(reason::shutdown("client_gone")); },
      [this](loop_timeout_atom, uint64_t gen) {
        if (mode_ == mode::loop && gen == timer_gen_) end(reason::shutdown("timeout"));
      },
  };
}

void request_process::fail(const caf::error& err) {
  if (err == caf::sec::request_timeout)
    throw std::runtime_error("timeout waiting for the request body");
  end(reason::shutdown("connection_gone"));
}

middleware_result request_process::run_handler(const handler_ref& ref) {
  handler_ = ref.make();
  mode_ = mode::handler_init;
  auto result = handler_->init(req_);
  if (mode_ == mode::done) return middleware_result::stop;  // ended inside init (client gone)
  switch (result.what()) {
    case handler_result::kind::loop:
      mode_ = mode::loop;
      timeout_ = result.timeout();
      arm_timer();
      return middleware_result::suspend;
    case handler_result::kind::stop:
      terminate_handler(caf::error{});
      return middleware_result::ok;
    case handler_result::kind::ok:
      break;
  }
  if (pending_ > 0) {
    mode_ = mode::plain;
    return middleware_result::suspend;
  }
  terminate_handler(caf::error{});
  return middleware_result::ok;
}

void request_process::run_chain() {
  auto& mws = init_.opts->middlewares;
  while (next_mw_ < mws.size()) {
    auto r = mws[next_mw_++]->execute(req_, env_);
    if (r == middleware_result::suspend) return;
    if (r == middleware_result::stop) break;
  }
  mode_ = mode::done;
  finish_stream();
  self_->quit();
}

void request_process::finish_stream() {
  if (req_.has_sent_resp() != req::resp_state::sent)
    self_->send(init_.conn, stream_message{init_.req->streamid, cmd::stop{}});
}

void request_process::finish_handler() {
  terminate_handler(caf::error{});
  mode_ = mode::chain;
  run_chain();
}

void request_process::terminate_handler(const caf::error& reason) {
  if (!handler_) return;
  auto h = std::move(handler_);
  h->terminate(reason, req_);
}

void request_process::end(caf::error reason) {
  if (mode_ == mode::done) return;
  mode_ = mode::done;
  terminate_handler(reason);
  finish_stream();
  self_->quit(std::move(reason));
}

void request_process::arm_timer() {
  ++timer_gen_;
  if (timeout_) self_->delayed_send(self_, *timeout_, loop_timeout_atom::value, timer_gen_);
}

void request_process::on_info(caf::message& msg) {
  if (mode_ != mode::loop) return;
  bool eof = msg.match_elements<eof_atom>();
  // The listener drains: the handler may answer or end its stream; by default it ends.
  bool drain = msg.match_elements<drain_atom>();
  auto result = handler_->info(msg, req_);
  if (mode_ != mode::loop) return;
  // loop() from info() keeps a draining stream going (until it ends or the drain's deadline).
  if (eof || (drain && result.what() != handler_result::kind::loop) ||
      result.what() == handler_result::kind::stop) {
    finish_handler();
    return;
  }
  if (result.timeout()) timeout_ = result.timeout();
  arm_timer();
}

caf::error request_process::on_exception(std::exception_ptr& eptr) {
  try {
    std::rethrow_exception(eptr);
  } catch (const http_error& e) {
    // A request error (Cowboy's request_error): answer with its status, no crash report.
    if (req_.has_sent_resp() == req::resp_state::none) {
      try {
        req_.reply(e.status(), {{"content-length", "0"}}, {});
      } catch (...) {
      }
    }
    auto reason = reason::shutdown("request_error");
    mode_ = mode::done;
    guarded_terminate(reason);
    finish_stream();
    return reason;
  } catch (const std::exception& e) {
    return crash(e.what());
  } catch (...) {
    return crash("unknown exception");
  }
}

caf::error request_process::crash(const std::string& what) {
  auto& r = *init_.req;
  auto reason = reason::crash(r.method + " " + r.host + r.path + (r.qs.empty() ? "" : "?") + r.qs +
                              " (listener " + r.ref + "): " + what);
  mode_ = mode::done;
  guarded_terminate(reason);
  return reason;
}

void request_process::guarded_terminate(const caf::error& reason) {
  try {
    terminate_handler(reason);
  } catch (const std::exception& e) {
    log::error("handler terminate failed: ", e.what());
  } catch (...) {
  }
}

struct request_state {
  std::unique_ptr<request_process> proc;
};

caf::behavior request_actor(caf::stateful_actor<request_state>* self, request_init init) {
  self->state.proc = std::make_unique<request_process>(self, std::move(init));
  return self->state.proc->start();
}

caf::actor spawn_request(caf::local_actor* parent, request_init init) {
  return rodeo::spawn(parent, request_actor, std::move(init));
}

// -- Middlewares
// ------------------------------------------------------------------------------------

class router_mw final : public middleware {
 public:
  middleware_result execute(req& r, request_env& e) const override {
    if (e.handler) return middleware_result::ok;  // routed by stream_h already
    const rodeo::dispatch* d = e.shared ? e.shared->dispatch.get() : nullptr;
    if (!d) {
      r.reply(404, {{"content-length", "0"}}, {});
      return middleware_result::stop;
    }
    auto m = d->match(r.host(), r.path());
    if (!m) {
      r.reply(m.http_status(), {{"content-length", "0"}}, {});
      return middleware_result::stop;
    }
    e.handler = m.handler;
    r.bindings_ = std::move(m.bindings);
    r.host_info_ = std::move(m.host_info);
    r.path_info_ = std::move(m.path_info);
    return middleware_result::ok;
  }
};

class handler_mw final : public middleware {
 public:
  middleware_result execute(req& r, request_env& e) const override {
    if (!e.handler || !*e.handler) throw std::logic_error("no handler: the router did not run");
    return r.proc_->run_handler(*e.handler);
  }
};

}  // namespace detail

std::shared_ptr<const middleware> router_middleware() {
  static const auto mw = std::make_shared<const detail::router_mw>();
  return mw;
}

std::shared_ptr<const middleware> handler_middleware() {
  static const auto mw = std::make_shared<const detail::handler_mw>();
  return mw;
}

}  // namespace rodeo
