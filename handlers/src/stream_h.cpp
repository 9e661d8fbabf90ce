// Cowboy's default stream handler (cowboy_stream_h) and the stream-handler chain: stream_h lives in
// the connection actor, spawns the request actor of each stream and relays between the two.
#include <caf/all.hpp>

#include <algorithm>
#include <string>
#include <utility>

#include "request_process.hpp"
#include "rodeo/atoms.hpp"
#include "rodeo/exit.hpp"
#include "rodeo/log.hpp"
#include "rodeo/process.hpp"
#include "rodeo/protocol_options.hpp"
#include "rodeo/req.hpp"
#include "rodeo/stream_handler.hpp"

namespace rodeo {

stream_handler::~stream_handler() = default;
void stream_handler::init(uint64_t id, stream_context& ctx, commands& out) {
  if (next_) next_->init(id, ctx, out);
}
void stream_handler::data(uint64_t id, is_fin fin, std::string& bytes, commands& out) {
  if (next_) next_->data(id, fin, bytes, out);
}
void stream_handler::info(uint64_t id, caf::message& msg, commands& out) {
  if (next_) next_->info(id, msg, out);
}
void stream_handler::terminate(uint64_t id, const caf::error& reason) {
  if (next_) next_->terminate(id, reason);
}
void stream_handler::early_error(uint64_t id, cmd::response& resp) {
  if (next_) next_->early_error(id, resp);
}
stream_handler_factory::~stream_handler_factory() = default;
void stream_handler_factory::early_error(uint64_t, const rodeo::request*, cmd::response&) const {}

std::unique_ptr<stream_handler> make_stream_chain(const protocol_options& opts) {
  std::unique_ptr<stream_handler> head;
  for (auto i = opts.stream_handlers.rbegin(); i != opts.stream_handlers.rend(); ++i) {
    auto h = (*i)->make();
    h->set_next(std::move(head));
    head = std::move(h);
  }
  return head;
}

void early_error(const protocol_options& opts, uint64_t id, const rodeo::request* req,
                 cmd::response& resp) {
  // As Cowboy's chain: each handler edits what the handlers after it made of the response.
  for (auto i = opts.stream_handlers.rbegin(); i != opts.stream_handlers.rend(); ++i)
    (*i)->early_error(id, req, resp);
}

namespace detail {

using period_atom = caf::atom_constant<caf::atom("bodyperiod")>;

class stream_h_impl final : public stream_handler {
 public:
  void init(uint64_t id, stream_context& ctx, commands& out) override {
    self_ = ctx.self;
    id_ = id;
    expect_ = ctx.expect_continue;
    body_fin_ = !ctx.req->has_body;
    window_ = initial_window_ =
        static_cast<int64_t>(ctx.opts ? ctx.opts->initial_stream_flow_size : 65535);
    // With the default middlewares the route is known here: a missing route is answered at once,
    // an inline handler runs here, and the request actor does not route again.
    std::shared_ptr<route_match<handler_ref>> routed;
    if (default_middlewares(*ctx.opts) && ctx.env && ctx.env->dispatch) {
      auto m = ctx.env->dispatch->match(ctx.req->host, ctx.req->path);
      if (!m) {
        inline_ = true;
        out.emplace_back(cmd::response{m.http_status(), {{"content-length", "0"}}, {}});
        return;
      }
      ctx.route = *m.pattern;
      if (m.handler->is_inline()) {
        run_inline(ctx, m, out);
        return;
      }
      routed = std::make_shared<route_match<handler_ref>>(std::move(m));
    }
    auto conn = caf::actor_cast<caf::actor>(self_);
    pid_ = spawn_request(self_, request_init{ctx.req, conn, ctx.env, ctx.opts, std::move(routed)});
    // A crash (or a kill) reaches the stream as a down_msg; a normal end needs no message, the
    // request actor ends its stream itself.
    caf::actor_cast<caf::abstract_actor*>(pid_)->attach_functor(
        [conn, id, addr = pid_.address()](const caf::error& reason) {
          if (!reason::is_normal(reason))
            caf::anon_send(conn, stream_info{id, caf::make_message(caf::down_msg{addr, reason})});
        });
    out.emplace_back(cmd::spawn{pid_, false});
  }

  void data(uint64_t, is_fin f, std::string& bytes, commands& out) override {
    if (inline_) return;  // nobody reads it
    window_ = std::max<int64_t>(0, window_ - static_cast<int64_t>(bytes.size()));
    if (buf_.empty())
      buf_.swap(bytes);
    else
      buf_ += bytes;
    if (f == fin) body_fin_ = true;
    maybe_deliver(out);
  }

  void info(uint64_t, caf::message& msg, commands& out) override {
    if (msg.match_elements<stream_message>()) {
      on_message(msg.get_mutable_as<stream_message>(0), out);
    } else if (msg.match_elements<caf::down_msg>()) {
      auto& down = msg.get_as<caf::down_msg>(0);
      if (down.source != pid_.address()) return;
      if (!reason::is_normal(down.reason))
        out.emplace_back(cmd::error_response{500, {{"content-length", "0"}}, {}});
      out.emplace_back(cmd::stop{});
    } else if (msg.match_elements<period_atom, uint64_t>()) {
      if (msg.get_as<uint64_t>(1) == period_gen_ && body_rp_.pending()) deliver();
    }
  }

  void terminate(uint64_t, const caf::error&) override {
    if (body_rp_.pending()) body_rp_.deliver(caf::make_error(caf::sec::request_receiver_down));
  }

 private:
  void on_message(stream_message& m, commands& out) {
    std::visit(
        [&](auto& op) {
          using T = std::decay_t<decltype(op)>;
          if constexpr (std::is_same_v<T, read_body_op>) {
            read_body(op, out);
          } else if constexpr (std::is_same_v<T, cmd::data> || std::is_same_v<T, cmd::sendfile>) {
            if (self_->current_message_id().is_request()) op.ack = self_->make_response_promise();
            out.emplace_back(std::move(op));
          } else {
            out.emplace_back(std::move(op));
          }
        },
        m.op);
  }

  void read_body(const read_body_op& op, commands& out) {
    auto rp = self_->make_response_promise();
    if (body_rp_.pending()) {
      rp.deliver(caf::make_error(caf::sec::invalid_argument, "read_body already in progress"));
      return;
    }
    body_rp_ = std::move(rp);
    want_ = op.auto_ ? 1 : op.length;  // auto: any byte will do
    if (body_fin_ || buf_.size() >= want_) {
      deliver();
      return;
    }
    if (expect_) {
      expect_ = false;
      out.emplace_back(cmd::inform{100, {}});
    }
    if (op.auto_) {
      // Reopen the connection's window to its initial size, never beyond: an auto reader taking
      // a few bytes at a time must not let the client buffer more than that in the meantime.
      if (window_ < initial_window_) grant(static_cast<size_t>(initial_window_ - window_), out);
      ++period_gen_;
      return;
    }
    grant(want_ - buf_.size(), out);
    ++period_gen_;
    if (op.period.count() > 0 && op.period != std::chrono::milliseconds::max())
      self_->delayed_send(caf::actor_cast<caf::actor>(self_), op.period,
                          stream_info{id_, caf::make_message(period_atom::value, period_gen_)});
  }

  void grant(size_t n, commands& out) {
    window_ += static_cast<int64_t>(n);
    out.emplace_back(cmd::flow{n});
  }

  void maybe_deliver(commands&) {
    if (body_rp_.pending() && (body_fin_ || buf_.size() >= want_)) deliver();
  }

  void deliver() {
    body_chunk c{std::move(buf_), body_fin_ ? fin : nofin};
    buf_.clear();
    ++period_gen_;
    body_rp_.deliver(std::move(c));
    body_rp_ = caf::response_promise{};
  }

  static bool default_middlewares(const protocol_options& o) {
    static const middleware* router = router_middleware().get();
    static const middleware* handler = handler_middleware().get();
    return o.middlewares.size() == 2 && o.middlewares[0].get() == router &&
           o.middlewares[1].get() == handler;
  }

  // The inline fast path (run_inline): the handler runs here, its operations become commands.
  void run_inline(stream_context& ctx, route_match<handler_ref>& m, commands& out) {
    inline_ = true;
    req r{self_, ctx.req, &out};
    r.bindings_ = std::move(m.bindings);
    r.host_info_ = std::move(m.host_info);
    r.path_info_ = std::move(m.path_info);
    std::unique_ptr<handler> h;
    auto terminate = [&](const caf::error& reason) {
      if (!h) return;
      auto gone = std::move(h);
      try {
        gone->terminate(reason, r);
      } catch (...) {
      }
    };
    try {
      h = m.handler->make();
      if (h->init(r).what() == handler_result::kind::loop)
        throw std::logic_error("an inline handler cannot loop (use a request actor)");
      auto done = std::move(h);
      done->terminate(caf::error{}, r);
    } catch (const http_error& e) {
      if (r.has_sent_resp() == req::resp_state::none)
        out.emplace_back(cmd::response{e.status(), {{"content-length", "0"}}, {}});
      terminate(reason::shutdown("request_error"));
    } catch (const std::exception& e) {
      auto& q = *ctx.req;
      auto what =
          q.method + " " + q.host + q.path + " (listener " + q.ref + ", inline): " + e.what();
      log::error("CRASH REPORT inline handler crashed: ", what);
      out.emplace_back(cmd::error_response{500, {{"content-length", "0"}}, {}});
      terminate(reason::crash(what));
    }
    if (r.has_sent_resp() != req::resp_state::sent) out.emplace_back(cmd::stop{});
  }

  caf::event_based_actor* self_ = nullptr;
  uint64_t id_ = 0;
  bool inline_ = false;
  caf::actor pid_;
  bool expect_ = false;
  bool body_fin_ = false;
  std::string buf_;
  caf::response_promise body_rp_;
  size_t want_ = 0;
  uint64_t period_gen_ = 0;
  // The connection's view of how many body bytes it may still read (cmd::flow grants minus
  // bytes received; received bytes are decoded ones under decompress_h, so an underestimate).
  int64_t window_ = 0;
  int64_t initial_window_ = 0;
};

class stream_h_factory final : public stream_handler_factory {
 public:
  std::unique_ptr<stream_handler> make() const override {
    return std::make_unique<stream_h_impl>();
  }
};

}  // namespace detail

std::shared_ptr<const stream_handler_factory> stream_h() {
  static const auto f = std::make_shared<const detail::stream_h_factory>();
  return f;
}

}  // namespace rodeo
