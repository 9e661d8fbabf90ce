// The WebSocket session core: see ws_session.hpp.
#include "ws_session.hpp"

#include <algorithm>
#include <limits>
#include <stdexcept>

#include <caf/all.hpp>

#include "rodeo/exit.hpp"
#include "rodeo/log.hpp"
#include "rodeo/node.hpp"
#include "rodeo/stream_handler.hpp"

namespace rodeo {

// Gives the session access to the handler's self pointer.
class ws_session_access {
 public:
  static void bind(websocket_handler& h, caf::event_based_actor* self) { h.self_ = self; }
};

namespace detail {
namespace {

// Reading from the client stops while this much output waits (an echo cannot outrun a client
// that does not read), and resumes below the low mark.
constexpr size_t out_high_watermark = output_queue::high_watermark;
// An assembled message at least this large makes the session free its buffers after the read.
constexpr size_t shrink_threshold = 16 * 1024;

const rodeo::request& no_request() {
  static const rodeo::request r;
  return r;
}

}  // namespace

ws_session::ws_session(caf::event_based_actor* self, std::unique_ptr<websocket_handler> h,
                       const ws::options& o, std::optional<ws::deflate_params> deflate,
                       std::shared_ptr<const rodeo::request> req)
    : self_(self),
      handler_(std::move(h)),
      req_(std::move(req)),
      max_frame_size_(o.max_frame_size),
      idle_timeout_(o.idle_timeout),
      close_timeout_(o.close_timeout),
      max_send_queue_(o.max_send_queue),
      queue_close_code_(o.send_queue_close_code),
      send_timeout_ms_(static_cast<uint32_t>(
          std::clamp<int64_t>(o.send_timeout.count(), 0, std::numeric_limits<uint32_t>::max()))),
      deadlines_(deadlines::of(node::of(self->system()))),
      counters_(ws_counters_of(node::of(self->system()))) {
  ++counters_->opened;
  if (deflate) {
    // The inflater's window lives in the decoder: it stays for the session's life.
    dec_ = std::make_unique<ws::decoder>(
        ws::decoder_options{ws::role::server, max_frame_size_, max_frame_size_, deflate});
    enc_ = std::make_unique<ws::encoder>(ws::role::server, *deflate, o.deflate_opts);
  }
  ws_session_access::bind(*handler_, self);
}

ws_session::~ws_session() {
  if (!close_counted_) counters_->count_close(1006);  // ended without a close frame
  ++counters_->ended;
}

void ws_session::start() {
  last_recv_ = clock::now();
  call([&] { return handler_->websocket_init(); });
  flush();
  if (closed()) return;
  arm_timer();
  resume_reading();
}

void ws_session::on_info(caf::message& msg) {
  if (phase_ != phase::open) return;
  call([&] { return handler_->websocket_info(msg); });
  after_event();
}

void ws_session::on_shared(const ws::shared_frame& f) {
  if (phase_ != phase::open || !f.bytes || f.bytes->empty()) return;
  if (!overflowing()) out_.push({}, f.bytes);
  after_event();
}

void ws_session::on_timer(int64_t at) {
  if (timer_at_ && timer_at_->time_since_epoch().count() == at) timer_at_.reset();
  if (closed()) return;
  auto now = clock::now();
  if (send_deadline_ != clock::time_point{} && now >= send_deadline_) {
    log::debug("WebSocket session: no output taken for ", send_timeout_ms_,
               " ms (send_timeout), closing");
    if (phase_ == phase::open) reason_ = {reason::kind::error, 0, "send_timeout"};
    finish();
    return;
  }
  if (close_deadline_ && now >= *close_deadline_) {
    finish();
    return;
  }
  if (phase_ == phase::open && idle_timeout_ != std::chrono::milliseconds::max() &&
      now - last_recv_ >= idle_timeout_) {
    local_close(ws::close_code::normal, {}, {reason::kind::timeout, 0, {}});
    after_event();
    return;
  }
  arm_timer();
}

void ws_session::on_drain() {
  if (phase_ != phase::open) return;
  // The handler hears it first and may say goodbye (frames, or a close of its own).
  auto notice = caf::make_message(drain_atom::value);
  call([&] { return handler_->websocket_info(notice); });
  if (phase_ == phase::open)
    local_close(ws::close_code::going_away, {}, {reason::kind::error, 0, "shutdown"});
  after_event();
}

void ws_session::on_exit(const caf::exit_msg& msg) {
  if (!msg.reason || closed()) return;
  exit_reason_ = msg.reason;
  if (phase_ == phase::open) {
    reason_ = {reason::kind::error, 0, rodeo::reason::to_string(msg.reason)};
    push_close(rodeo::reason::is_shutdown(msg.reason) ? ws::close_code::going_away
                                                      : ws::close_code::internal_error,
               {});
    flush();
  }
  finish();
}

void ws_session::on_actor_exit() {
  if (phase_ != phase::closed) {
    phase_ = phase::closed;
    release();
  }
}

bool ws_session::can_read() const noexcept {
  switch (phase_) {
    case phase::open:
      return active_ && out_.bytes() < out_high_watermark;
    case phase::closing:
    case phase::failing:
      return true;
    case phase::finishing:
    case phase::closed:
      return false;
  }
  return false;
}

ws::decoder& ws_session::decoder() {
  if (!dec_)
    dec_ = std::make_unique<ws::decoder>(
        ws::decoder_options{ws::role::server, max_frame_size_, max_frame_size_, std::nullopt});
  return *dec_;
}

void ws_session::on_input(std::span<char> in) {
  last_recv_ = clock::now();
  if (phase_ == phase::failing) return;  // the stream cannot be parsed any more: discard
  while (!in.empty()) {
    if (!can_read()) {
      if (phase_ != phase::finishing && phase_ != phase::closed)
        pending_in_.append(in.data(), in.size());
      return;
    }
    auto ev = decoder().next(in);
    switch (ev.kind) {
      case ws::event_kind::need_more:
        return;
      case ws::event_kind::text:
      case ws::event_kind::binary:
        if (ev.data.size() >= shrink_threshold) shrink_due_ = true;
        if (phase_ == phase::open) {
          ws::in_frame f{
              ev.kind == ws::event_kind::text ? ws::frame_type::text : ws::frame_type::binary,
              ev.data};
          call([&] { return handler_->websocket_handle(f); });
        }
        break;
      case ws::event_kind::ping:
        if (phase_ == phase::open) {
          push_control(ws::opcode::pong, ev.data);
          ws::in_frame f{ws::frame_type::ping, ev.data};
          call([&] { return handler_->websocket_handle(f); });
        }
        break;
      case ws::event_kind::pong:
        if (phase_ == phase::open) {
          ws::in_frame f{ws::frame_type::pong, ev.data};
          call([&] { return handler_->websocket_handle(f); });
        }
        break;
      case ws::event_kind::close:
        on_remote_close(ev.code, ev.data);
        return;
      case ws::event_kind::error:
        on_protocol_error(ev.code, ev.data);
        return;
    }
    if (closed()) return;
  }
}

void ws_session::drain_pending() {
  while (!pending_in_.empty() && can_read()) {
    std::string buf = std::move(pending_in_);
    pending_in_.clear();
    on_input({buf.data(), buf.size()});
  }
  if (pending_in_.empty() && pending_in_.capacity() > 0) std::string{}.swap(pending_in_);
}

void ws_session::on_eof() {
  if (phase_ == phase::open) reason_ = {reason::kind::error, 0, "closed"};
  finish();
}

void ws_session::on_transport_error() {
  if (phase_ == phase::open) reason_ = {reason::kind::error, 0, "closed"};
  finish();
}

void ws_session::after_read() {
  if (!dec_) return;
  if (!enc_) {
    if (dec_->idle()) dec_.reset();
  } else if (shrink_due_ && !dec_->in_message()) {
    shrink_due_ = false;
    dec_->shrink();
    enc_->shrink();
  }
}

void ws_session::on_drained() {
  out_.shrink();  // an idle session holds no queue
  if (phase_ == phase::finishing) {
    finish();
  } else if (phase_ == phase::failing && !shut_write_) {
    shut_write_ = true;
    transport_shutdown_write();
  }
}

void ws_session::after_event() {
  flush();
  if (!closed()) resume_reading();
  if (!closed()) arm_timer();
}

template <class F>
void ws_session::call(F&& f) {
  std::string what;
  try {
    run(f());
    return;
  } catch (const std::exception& e) {
    what = e.what();
  } catch (...) {
    what = "unknown exception";
  }
  crash(what);
}

void ws_session::crash(const std::string& what) {
  if (closed()) return;
  log::debug("WebSocket handler crashed: ", what);
  reason_ = {reason::kind::crash, 0, what};
  exit_reason_ = rodeo::reason::crash("websocket handler: " + what);
  if (phase_ == phase::open) {
    push_close(ws::close_code::internal_error, {});
    flush();
  }
  finish();
}

void ws_session::run(ws::commands cs) {
  for (auto& c : cs) {
    if (phase_ != phase::open) return;
    std::visit([&](auto& x) { on_command(x); }, c);
  }
}

void ws_session::on_command(ws::send_frame& c) {
  if (static_cast<uint8_t>(c.op) >= 0x8 && c.payload.size() > ws::max_control_payload)
    throw std::length_error("WebSocket control frame payload over 125 bytes");
  if (overflowing()) return;
  bool data = c.op == ws::opcode::text || c.op == ws::opcode::binary;
  if (enc_ && deflate_on_ && data) {
    auto o = enc_->encode(c.op, c.payload);
    std::string_view header{o.header.data(), o.header.size()};
    if (o.payload.data() == c.payload.data())
      out_.push(header, std::move(c.payload));
    else
      out_.push(header, std::string{o.payload});
  } else {
    char header[ws::max_header_size];
    auto n = ws::write_frame_header(header, c.op, c.payload.size());
    out_.push({header, n}, std::move(c.payload));
  }
}

void ws_session::on_command(ws::shared_frame& c) {
  if (!c.bytes || c.bytes->empty() || overflowing()) return;
  out_.push({}, std::move(c.bytes));
}

void ws_session::on_command(ws::set_options_cmd& c) {
  if (c.idle_timeout) idle_timeout_ = *c.idle_timeout;
  if (c.max_frame_size) {
    max_frame_size_ = *c.max_frame_size;
    if (dec_) dec_->set_max_sizes(max_frame_size_, max_frame_size_);
  }
}

void ws_session::on_command(ws::hibernate_cmd&) {
  if (dec_ && !dec_->in_message()) dec_->shrink();
  if (enc_) enc_->shrink();
  out_.shrink();
  if (pending_in_.empty()) std::string{}.swap(pending_in_);
}

void ws_session::push_control(ws::opcode op, std::string_view payload) {
  char header[ws::max_header_size];
  auto n = ws::write_frame_header(header, op, payload.size());
  out_.push({header, n}, std::string{payload});
}

bool ws_session::overflowing() {
  if (out_.bytes() <= max_send_queue_) return false;
  out_.drop_unstarted();
  ++counters_->send_queue_overflows;
  log::debug("WebSocket session: send queue over ", max_send_queue_, " bytes, closing");
  local_close(queue_close_code_, "send queue full", {reason::kind::error, 0, "send_queue_full"});
  return true;
}

void ws_session::local_close(uint16_t code, std::string_view why, reason r) {
  if (phase_ != phase::open) return;
  reason_ = std::move(r);
  push_close(code, why);
  phase_ = phase::closing;
  leave_groups();
  close_deadline_ = clock::now() + close_timeout_;
  arm_timer();
}

void ws_session::on_remote_close(uint16_t code, std::string_view payload) {
  if (phase_ == phase::open) {
    if (code == ws::close_code::no_status)
      reason_ = {reason::kind::remote, 0, {}};
    else
      reason_ = {reason::kind::remote_close, code, std::string{payload}};
    // Echo the close (RFC 6455 §5.5.1), then close the TCP connection once it is written.
    if (!close_counted_) {
      close_counted_ = true;
      counters_->count_close(code);
    }
    push_control(ws::opcode::close, code == ws::close_code::no_status
                                        ? std::string{}
                                        : ws::close_payload(code, payload));
    leave_groups();
  }
  if (phase_ == phase::open || phase_ == phase::closing) {
    phase_ = phase::finishing;
    close_deadline_ = clock::now() + close_timeout_;
    arm_timer();
    if (out_.empty()) finish();
  }
}

void ws_session::on_protocol_error(uint16_t code, std::string_view why) {
  log::debug("WebSocket protocol error (", code, "): ", why);
  if (phase_ == phase::open) {
    const char* cause = code == ws::close_code::invalid_payload   ? "badencoding"
                        : code == ws::close_code::message_too_big ? "badsize"
                                                                  : "badframe";
    reason_ = {reason::kind::error, code, cause};
    push_close(code, {});
    leave_groups();
  }
  if (phase_ == phase::open || phase_ == phase::closing) {
    phase_ = phase::failing;
    close_deadline_ = clock::now() + close_timeout_;
    pending_in_.clear();
    arm_timer();
    if (out_.empty()) on_drained();
  }
}

void ws_session::leave_groups() {
  if (auto* n = node::find(self_->system()))
    n->groups().leave_all(caf::actor_cast<caf::actor>(self_));
}

void ws_session::finish() {
  if (closed()) return;
  phase_ = phase::closed;
  // Output still queued (a client that stopped reading, mid-frame perhaps) is cut with a
  // reset: the client must not take a stream that merely ends for a finished one.
  if (out_.empty())
    release();
  else
    abort();
  out_.clear();
  try {
    handler_->terminate(reason_, req_ ? *req_ : no_request());
  } catch (const std::exception& e) {
    log::error("WebSocket handler terminate failed: ", e.what());
  } catch (...) {
    log::error("WebSocket handler terminate failed");
  }
  self_->quit(exit_reason_);
}

void ws_session::track_send_progress(size_t before) {
  if (out_.empty() || send_timeout_ms_ == 0) {
    send_deadline_ = {};
    return;
  }
  bool stuck = send_deadline_ != clock::time_point{};
  if (stuck && out_.bytes() >= before) return;  // no progress: the deadline stands
  send_deadline_ = clock::now() + std::chrono::milliseconds{send_timeout_ms_};
  arm_timer();
}

void ws_session::arm_timer() {
  std::optional<clock::time_point> t;
  if (close_deadline_)
    t = close_deadline_;
  else if (phase_ == phase::open && idle_timeout_ != std::chrono::milliseconds::max())
    t = last_recv_ + idle_timeout_;
  if (send_deadline_ != clock::time_point{} && (!t || send_deadline_ < *t)) t = send_deadline_;
  if (!t || (timer_at_ && *timer_at_ <= *t)) return;
  timer_at_ = t;
  deadlines_->schedule(*t, caf::weak_actor_ptr{self_->ctrl()});
}

}  // namespace detail
}  // namespace rodeo
