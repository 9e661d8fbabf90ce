// The request side of the server: the request actor (middlewares, handler, loop), the Req API,
// the default middlewares and Cowboy's default stream handler (stream_h), which lives in the
// connection actor and talks to the request actor. One translation unit: CAF headers are costly.
#include <caf/all.hpp>

#include <chrono>
#include <exception>
#include <stdexcept>
#include <string>
#include <utility>

#include "rodeo/atoms.hpp"
#include "rodeo/exit.hpp"
#include "rodeo/handler.hpp"
#include "rodeo/http_header.hpp"
#include "rodeo/log.hpp"
#include "rodeo/middleware.hpp"
#include "rodeo/process.hpp"
#include "rodeo/protocol_options.hpp"
#include "rodeo/req.hpp"
#include "rodeo/stream_handler.hpp"
#include "rodeo/uri.hpp"

namespace rodeo {

// -- Defaults of the extension points -------------------------------------------------------------

handler::~handler() = default;
handler_result handler::info(caf::message&, req&) {
  return ok();
}
void handler::terminate(const caf::error&, req&) {}
handler_factory::~handler_factory() = default;
middleware::~middleware() = default;

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
  for (auto& f : opts.stream_handlers) f->early_error(id, req, resp);
}

protocol_options::protocol_options()
    : middlewares{router_middleware(), handler_middleware()}, stream_handlers{stream_h()} {}

namespace detail {

struct request_init {
  std::shared_ptr<const rodeo::request> req;
  caf::actor conn;
  std::shared_ptr<const rodeo::env> env;
  std::shared_ptr<const protocol_options> opts;
  // Set when stream_h already routed the request (default middlewares): the router skips it.
  std::shared_ptr<route_match<handler_ref>> routed;
};

using loop_timeout_atom = caf::atom_constant<caf::atom("looptmo")>;

// The life of one request inside its actor: the middleware chain, the handler, the loop.
class request_process {
 public:
  request_process(caf::event_based_actor* self, request_init init)
      : self_(self), init_(std::move(init)), req_(this, self, init_.conn, init_.req) {
    env_.shared = init_.env;
    if (auto& m = init_.routed) {
      env_.handler = m->handler;
      req_.bindings_ = std::move(m->bindings);
      req_.host_info_ = std::move(m->host_info);
      req_.path_info_ = std::move(m->path_info);
    }
  }

  caf::behavior start() {
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

  // -- Used by req --------------------------------------------------------------------------------

  void begin_async() { ++pending_; }
  void end_async() {
    if (--pending_ == 0 && mode_ == mode::plain) finish_handler();
  }
  // A failed read_body or acknowledged send: the connection is gone or did not answer in time.
  void fail(const caf::error& err) {
    if (err == caf::sec::request_timeout)
      throw std::runtime_error("timeout waiting for the request body");
    end(reason::shutdown("connection_gone"));
  }

  // -- Used by the handler middleware -----------------------------------------------------------

  middleware_result run_handler(const handler_ref& ref) {
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

 private:
  enum class mode { chain, handler_init, plain, loop, done };

  void run_chain() {
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

  // A normal end is not reported by an exit message (stream_h watches crashes only): a stream left
  // without a complete response is ended explicitly (204, or the end of a streamed body).
  void finish_stream() {
    if (req_.has_sent_resp() != req::resp_state::sent)
      self_->send(init_.conn, stream_message{init_.req->streamid, cmd::stop{}});
  }

  // The handler ended (plain: all callbacks ran; loop: stop, eof): terminate and go on with the
  // middlewares after the handler.
  void finish_handler() {
    terminate_handler(caf::error{});
    mode_ = mode::chain;
    run_chain();
  }

  void terminate_handler(const caf::error& reason) {
    if (!handler_) return;
    auto h = std::move(handler_);
    h->terminate(reason, req_);
  }

  void end(caf::error reason) {
    if (mode_ == mode::done) return;
    mode_ = mode::done;
    terminate_handler(reason);
    finish_stream();
    self_->quit(std::move(reason));
  }

  void arm_timer() {
    ++timer_gen_;
    if (timeout_) self_->delayed_send(self_, *timeout_, loop_timeout_atom::value, timer_gen_);
  }

  void on_info(caf::message& msg) {
    if (mode_ != mode::loop) return;
    bool eof = msg.match_elements<eof_atom>();
    auto result = handler_->info(msg, req_);
    if (mode_ != mode::loop) return;
    if (eof || result.what() == handler_result::kind::stop) {
      finish_handler();
      return;
    }
    if (result.timeout()) timeout_ = result.timeout();
    arm_timer();
  }

  caf::error on_exception(std::exception_ptr& eptr) {
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

  // The exit reason names the request, so the one crash report says which route failed.
  caf::error crash(const std::string& what) {
    auto& r = *init_.req;
    auto reason = reason::crash(r.method + " " + r.host + r.path + (r.qs.empty() ? "" : "?") +
                                r.qs + " (listener " + r.ref + "): " + what);
    mode_ = mode::done;
    guarded_terminate(reason);
    return reason;
  }

  void guarded_terminate(const caf::error& reason) {
    try {
      terminate_handler(reason);
    } catch (const std::exception& e) {
      log::error("handler terminate failed: ", e.what());
    } catch (...) {
    }
  }

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

struct request_state {
  std::unique_ptr<request_process> proc;
};

caf::behavior request_actor(caf::stateful_actor<request_state>* self, request_init init) {
  self->state.proc = std::make_unique<request_process>(self, std::move(init));
  return self->state.proc->start();
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

// -- Req ------------------------------------------------------------------------------------------

req::req(detail::request_process* p, caf::event_based_actor* self, caf::actor conn,
         std::shared_ptr<const rodeo::request> r)
    : proc_(p), self_(self), conn_(std::move(conn)), r_(std::move(r)) {}

req::req(caf::event_based_actor* conn_self, std::shared_ptr<const rodeo::request> r, commands* out)
    : proc_(nullptr),
      inline_out_(out),
      self_(conn_self),
      conn_(caf::actor_cast<caf::actor>(conn_self)),
      r_(std::move(r)) {}

void req::send_op(auto&& op) {
  if (inline_out_)
    inline_out_->emplace_back(std::forward<decltype(op)>(op));
  else
    self_->send(conn_, stream_message{r_->streamid, std::forward<decltype(op)>(op)});
}

caf::actor req::handle() const {
  return caf::actor_cast<caf::actor>(self_);
}

std::string req::uri() const {
  std::string out;
  out.reserve(r_->scheme.size() + r_->host.size() + r_->path.size() + r_->qs.size() + 16);
  out.append(r_->scheme).append("://").append(r_->host);
  bool default_port =
      (r_->scheme == "http" && r_->port == 80) || (r_->scheme == "https" && r_->port == 443);
  if (!default_port) out.append(":").append(std::to_string(r_->port));
  out.append(r_->path);
  if (!r_->qs.empty()) out.append("?").append(r_->qs);
  return out;
}

std::string req::header(std::string_view name, std::string_view default_value) const {
  auto* v = header(name);
  return v ? *v : std::string{default_value};
}

qs::vals req::parse_qs() const {
  auto parsed = qs::parse(r_->qs);
  if (!parsed) throw http_error(400, "malformed query string");
  return std::move(*parsed);
}

rodeo::bindings req::match_qs(const fields& spec) const {
  auto m = qs::match(parse_qs(), spec);
  if (!m)
    throw http_error(400,
                     "query string field " + m.error->field + " is " +
                         (m.error->what == qs::match_error::kind::missing ? "missing" : "invalid"));
  return std::move(m.values);
}

std::vector<std::pair<std::string, std::string>> req::parse_cookies() const {
  std::vector<std::pair<std::string, std::string>> out;
  auto* h = header("cookie");
  if (!h) return out;
  auto parsed = cookie::parse(*h);
  if (!parsed) throw http_error(400, "malformed cookie header");
  out.reserve(parsed->size());
  for (auto& [n, v] : *parsed) out.emplace_back(std::string{n}, std::string{v});
  return out;
}

rodeo::bindings req::match_cookies(const fields& spec) const {
  qs::vals pairs;
  for (auto& [n, v] : parse_cookies()) pairs.push_back({n, v});
  auto m = qs::match(pairs, spec);
  if (!m)
    throw http_error(400,
                     "cookie " + m.error->field + " is " +
                         (m.error->what == qs::match_error::kind::missing ? "missing" : "invalid"));
  return std::move(m.values);
}

void req::read_body(const read_body_opts& opts, body_callback cb) {
  if (body_fin_ || !r_->has_body) {
    body_fin_ = true;
    cb(*this, std::string{}, fin);
    return;
  }
  if (inline_out_) throw std::logic_error("an inline handler cannot read the request body");
  proc_->begin_async();
  auto timeout = opts.timeout.value_or(opts.period + std::chrono::seconds{1});
  self_
      ->request(conn_, timeout,
                stream_message{r_->streamid, read_body_op{opts.length, opts.period}})
      .then(
          [this, cb = std::move(cb)](body_chunk& c) {
            if (c.fin == fin) body_fin_ = true;
            cb(*this, std::move(c.data), c.fin);
            proc_->end_async();
          },
          [this](caf::error& err) { proc_->fail(err); });
}

void req::collect_body(read_body_opts opts, std::string acc,
                       std::function<void(req&, std::string)> done) {
  auto limit = opts.length;
  read_body(opts, [opts, limit, acc = std::move(acc), done = std::move(done)](
                      req& r, std::string data, is_fin f) mutable {
    acc += data;
    if (acc.size() > limit)
      throw http_error(413, "request body larger than " + std::to_string(limit));
    if (f == fin)
      done(r, std::move(acc));
    else
      r.collect_body(opts, std::move(acc), std::move(done));
  });
}

void req::read_urlencoded_body(const read_body_opts& opts, urlencoded_callback cb) {
  collect_body(opts, {}, [cb = std::move(cb)](req& r, std::string body) {
    auto parsed = qs::parse(body);
    if (!parsed) throw http_error(400, "malformed urlencoded body");
    cb(r, std::move(*parsed));
  });
}

void req::read_and_match_urlencoded_body(const fields& spec, match_callback cb,
                                         const read_body_opts& opts) {
  read_urlencoded_body(opts, [spec, cb = std::move(cb)](req& r, qs::vals vals) {
    auto m = qs::match(vals, spec);
    if (!m) throw http_error(400, "body field " + m.error->field + " is missing or invalid");
    cb(r, std::move(m.values));
  });
}

void req::read_part(const read_body_opts& opts, part_callback cb) {
  if (!multipart_) {
    auto* ct = header("content-type");
    auto boundary = ct ? multipart::boundary_of(*ct) : std::nullopt;
    if (!boundary) throw http_error(400, "not a multipart body");
    multipart_ = std::make_unique<multipart::parser>(std::move(*boundary));
  }
  for (;;) {
    switch (multipart_->next()) {
      case multipart::event::part:
        cb(*this, multipart_->headers());
        return;
      case multipart::event::data:
      case multipart::event::part_end:
        continue;  // the rest of a part the handler did not read
      case multipart::event::done:
        cb(*this, std::nullopt);
        return;
      case multipart::event::error:
        throw http_error(400, "malformed multipart body: " + multipart_->error());
      case multipart::event::need_more:
        if (body_fin_) {
          multipart_->finish();
          continue;
        }
        read_body(opts, [opts, cb = std::move(cb)](req& r, std::string data, is_fin f) mutable {
          r.multipart_->feed(data);
          if (f == fin) r.multipart_->finish();
          r.read_part(opts, std::move(cb));
        });
        return;
    }
  }
}

void req::read_part_body(const read_body_opts& opts, body_callback cb) {
  if (!multipart_) throw std::logic_error("read_part_body before read_part");
  std::string acc;
  for (;;) {
    switch (multipart_->next()) {
      case multipart::event::data:
        acc.append(multipart_->data());
        if (acc.size() >= opts.length) {
          cb(*this, std::move(acc), nofin);
          return;
        }
        continue;
      case multipart::event::part_end:
      case multipart::event::part:
      case multipart::event::done:
        cb(*this, std::move(acc), fin);
        return;
      case multipart::event::error:
        throw http_error(400, "malformed multipart body: " + multipart_->error());
      case multipart::event::need_more:
        if (body_fin_) {
          multipart_->finish();
          continue;
        }
        if (!acc.empty()) {
          cb(*this, std::move(acc), nofin);
          return;
        }
        read_body(opts, [opts, cb = std::move(cb)](req& r, std::string data, is_fin f) mutable {
          r.multipart_->feed(data);
          if (f == fin) r.multipart_->finish();
          r.read_part_body(opts, std::move(cb));
        });
        return;
    }
  }
}

void req::set_resp_header(std::string name, std::string value) {
  resp_headers_.set(std::move(name), std::move(value));
}

void req::set_resp_headers(const rodeo::headers& hs) {
  for (auto& [n, v] : hs) resp_headers_.set(n, v);
}

void req::set_resp_cookie(std::string name, std::string value, const cookie::opts& o) {
  auto line = cookie::setcookie(name, value, o);
  if (!line) throw std::invalid_argument("invalid cookie " + name);
  for (auto& [n, v] : resp_cookies_)
    if (n == name) {
      v = std::move(*line);
      return;
    }
  resp_cookies_.emplace_back(std::move(name), std::move(*line));
}

namespace {

// set_resp_header()'s headers under the reply's own, plus set-cookie lines.
rodeo::headers merge(rodeo::headers& base, rodeo::headers hs,
                     std::vector<std::pair<std::string, std::string>>& cookies) {
  if (!base.empty()) {
    for (auto& [n, v] : hs) base.set(std::move(n), std::move(v));
    hs = std::move(base);
    base.clear();
  }
  for (auto& [n, v] : cookies) hs.push_back("set-cookie", std::move(v));
  cookies.clear();
  return hs;
}

}  // namespace

void req::inform(int status, rodeo::headers hs) {
  if (sent_ != resp_state::none) throw std::logic_error("inform after the response started");
  send_op(cmd::inform{status, std::move(hs)});
}

void req::reply(int status, rodeo::headers hs) {
  std::string body;
  if (resp_body_) body = std::move(*resp_body_);
  reply(status, std::move(hs), std::move(body));
}

void req::reply(int status, rodeo::headers hs, std::string body) {
  if (sent_ != resp_state::none) throw std::logic_error("a response was already sent");
  sent_ = resp_state::sent;
  send_op(
      cmd::response{status, merge(resp_headers_, std::move(hs), resp_cookies_), std::move(body)});
}

void req::stream_reply(int status, rodeo::headers hs) {
  if (sent_ != resp_state::none) throw std::logic_error("a response was already sent");
  sent_ = resp_state::headers;
  send_op(cmd::response_headers{status, merge(resp_headers_, std::move(hs), resp_cookies_)});
}

void req::ensure_streaming(std::string_view what) const {
  if (sent_ != resp_state::headers)
    throw std::logic_error(std::string{what} + " needs stream_reply first");
}

void req::stream_body(std::string data, is_fin f) {
  ensure_streaming("stream_body");
  if (data.empty() && f == nofin) return;
  if (f == fin) sent_ = resp_state::sent;
  if (inline_out_) {
    send_op(cmd::data{f, std::move(data), {}});
    return;
  }
  proc_->begin_async();
  self_
      ->request(conn_, caf::infinite,
                stream_message{r_->streamid, cmd::data{f, std::move(data), {}}})
      .await([this](caf::ok_atom) { proc_->end_async(); },
             [this](caf::error& err) { proc_->fail(err); });
}

void req::stream_events(const sse::event& e, is_fin f) {
  stream_body(sse::encode(e), f);
}

void req::stream_events(const std::vector<sse::event>& es, is_fin f) {
  stream_body(sse::encode(es), f);
}

void req::switch_protocol(rodeo::headers hs, std::shared_ptr<protocol_switch> protocol) {
  if (sent_ != resp_state::none) throw std::logic_error("a response was already sent");
  sent_ = resp_state::sent;
  send_op(cmd::switch_protocol{std::move(hs), std::move(protocol)});
}

void req::stream_trailers(rodeo::headers trailers) {
  ensure_streaming("stream_trailers");
  sent_ = resp_state::sent;
  send_op(cmd::trailers{std::move(trailers)});
}

// -- stream_h -------------------------------------------------------------------------------------

namespace detail {

using period_atom = caf::atom_constant<caf::atom("bodyperiod")>;

class stream_h_impl final : public stream_handler {
 public:
  void init(uint64_t id, stream_context& ctx, commands& out) override {
    self_ = ctx.self;
    id_ = id;
    expect_ = ctx.expect_continue;
    body_fin_ = !ctx.req->has_body;
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
      if (m.handler->is_inline()) {
        run_inline(ctx, m, out);
        return;
      }
      routed = std::make_shared<route_match<handler_ref>>(std::move(m));
    }
    auto conn = caf::actor_cast<caf::actor>(self_);
    pid_ = rodeo::spawn(self_, request_actor,
                        request_init{ctx.req, conn, ctx.env, ctx.opts, std::move(routed)});
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
          } else if constexpr (std::is_same_v<T, cmd::data>) {
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
    want_ = op.length;
    if (body_fin_ || buf_.size() >= want_) {
      deliver();
      return;
    }
    if (expect_) {
      expect_ = false;
      out.emplace_back(cmd::inform{100, {}});
    }
    out.emplace_back(cmd::flow{want_ - buf_.size()});
    ++period_gen_;
    if (op.period.count() > 0 && op.period != std::chrono::milliseconds::max())
      self_->delayed_send(caf::actor_cast<caf::actor>(self_), op.period,
                          stream_info{id_, caf::make_message(period_atom::value, period_gen_)});
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
