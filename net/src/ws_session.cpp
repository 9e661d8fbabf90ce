// WebSocket sessions (Cowboy's cowboy_websocket). The route handler runs the user's init() in the
// request actor, validates the handshake and asks the HTTP/1.1 connection to switch protocols;
// the connection actor then calls take_over() and becomes the session.
//
// The session is split in two: ws_session is the protocol (decoder, encoder, handler callbacks,
// commands, close handshake, timers, send queue) and knows its transport only through five hooks
// (flush, pause/resume of reading via can_read(), half close, release); socket_session implements
// them on the socket handed over by HTTP/1.1. An HTTP/2 stream (RFC 8441) would implement them on
// DATA frames. One translation unit: CAF headers are costly to compile.
#include <algorithm>
#include <charconv>
#include <chrono>
#include <stdexcept>

#include <caf/all.hpp>

#include "listener_state.hpp"
#include "rodeo/atoms.hpp"
#include "rodeo/connection.hpp"
#include "rodeo/deadline.hpp"
#include "rodeo/exit.hpp"
#include "rodeo/log.hpp"
#include "rodeo/node.hpp"
#include "rodeo/output_queue.hpp"
#include "rodeo/req.hpp"
#include "rodeo/transport.hpp"
#include "rodeo/websocket.hpp"
#include "rodeo/ws_handshake.hpp"

namespace rodeo {

// Gives the session access to the handler's self pointer.
class ws_session_access {
 public:
  static void bind(websocket_handler& h, caf::event_based_actor* self) { h.self_ = self; }
};

websocket_handler::~websocket_handler() = default;

ws::init_result websocket_handler::init(rodeo::req&) {
  return ws::upgrade();
}

ws::commands websocket_handler::websocket_init() {
  return {};
}

ws::commands websocket_handler::websocket_handle(const ws::in_frame&) {
  return {};
}

ws::commands websocket_handler::websocket_info(caf::message& msg) {
  return ws::from_data(msg);
}

void websocket_handler::terminate(const ws::terminate_reason&, const rodeo::request&) {}

caf::actor websocket_handler::handle() const {
  return caf::actor_cast<caf::actor>(self_);
}

namespace ws {
namespace {

opcode to_opcode(frame_type t) {
  switch (t) {
    case frame_type::text:
      return opcode::text;
    case frame_type::binary:
      return opcode::binary;
    case frame_type::ping:
      return opcode::ping;
    case frame_type::pong:
      return opcode::pong;
  }
  return opcode::binary;
}

send_frame control(opcode op, std::string payload) {
  if (payload.size() > max_control_payload)
    throw std::length_error("WebSocket control frame payload over 125 bytes");
  return {op, std::move(payload)};
}

std::vector<header> header_pairs(const rodeo::headers& hs) {
  std::vector<header> out;
  out.reserve(hs.size());
  for (auto& [n, v] : hs) out.emplace_back(n, v);
  return out;
}

}  // namespace

send_frame ping(std::string payload) {
  return control(opcode::ping, std::move(payload));
}

send_frame pong(std::string payload) {
  return control(opcode::pong, std::move(payload));
}

close_frame close(uint16_t code, std::string reason) {
  if (!valid_close_code(code))
    throw std::invalid_argument("close code " + std::to_string(code) + " may not be sent");
  return {code, std::move(reason)};
}

shared_frame share(frame_type type, std::string_view payload) {
  auto op = to_opcode(type);
  if (static_cast<uint8_t>(op) >= 0x8 && payload.size() > max_control_payload)
    throw std::length_error("WebSocket control frame payload over 125 bytes");
  return {std::make_shared<const std::string>(frame(op, payload))};
}

commands from_data(caf::message& msg) {
  if (msg.match_elements<data_atom, std::string>())
    return {text(std::move(msg.get_mutable_as<std::string>(1)))};
  if (msg.match_elements<data_atom, std::vector<char>>()) {
    auto& v = msg.get_as<std::vector<char>>(1);
    return {binary(std::string{v.begin(), v.end()})};
  }
  return {};
}

std::vector<std::string> protocols(const rodeo::req& r) {
  auto hs = header_pairs(r.headers());
  std::vector<std::string_view> offered;
  if (!parse_protocols(hs, offered)) throw http_error(400, "malformed sec-websocket-protocol");
  return {offered.begin(), offered.end()};
}

std::string to_string(const terminate_reason& r) {
  using k = terminate_reason::kind;
  switch (r.what) {
    case k::normal:
      return "normal";
    case k::stop:
      return "stop";
    case k::timeout:
      return "timeout";
    case k::remote:
      return "remote";
    case k::remote_close:
      return "{remote," + std::to_string(r.code) + ",<<\"" + r.detail + "\">>}";
    case k::error:
      return "{error," + r.detail + "}";
    case k::crash:
      return "{crash,\"" + r.detail + "\"}";
  }
  return "?";
}

}  // namespace ws

size_t ws_broadcast(node& n, const std::string& group, std::string_view text) {
  return ws_broadcast(n, group, ws::frame_type::text, text);
}

size_t ws_broadcast(node& n, const std::string& group, ws::frame_type type,
                    std::string_view payload) {
  return n.groups().send(group, ws::share(type, payload));
}

namespace detail {
namespace {

using clock = std::chrono::steady_clock;

// Reading from the client stops while this much output waits (an echo cannot outrun a client
// that does not read), and resumes below the low mark.
constexpr size_t out_high_watermark = output_queue::high_watermark;
constexpr size_t out_low_watermark = output_queue::low_watermark;
// An assembled message at least this large makes the session free its buffers after the read.
constexpr size_t shrink_threshold = 16 * 1024;

// Cowboy's default req_filter: the request without its headers.
rodeo::request filter_request(const rodeo::request& r) {
  rodeo::request out;
  out.method = r.method;
  out.version = r.version;
  out.scheme = r.scheme;
  out.host = r.host;
  out.port = r.port;
  out.path = r.path;
  out.qs = r.qs;
  out.peer = r.peer;
  out.sock = r.sock;
  out.ref = r.ref;
  out.streamid = r.streamid;
  return out;
}

const rodeo::request& no_request() {
  static const rodeo::request r;
  return r;
}

// The protocol side of a session. Transport hooks are the pure virtual functions.
class ws_session {
 public:
  using reason = ws::terminate_reason;

  ws_session(caf::event_based_actor* self, std::unique_ptr<websocket_handler> h,
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
        deadlines_(deadlines::of(node::of(self->system()))) {
    if (deflate) {
      // The inflater's window lives in the decoder: it stays for the session's life.
      dec_ = std::make_unique<ws::decoder>(
          ws::decoder_options{ws::role::server, max_frame_size_, max_frame_size_, deflate});
      enc_ = std::make_unique<ws::encoder>(ws::role::server, *deflate, o.deflate_opts);
    }
    ws_session_access::bind(*handler_, self);
  }

  virtual ~ws_session() = default;
  ws_session(const ws_session&) = delete;
  ws_session& operator=(const ws_session&) = delete;

  bool closed() const noexcept { return phase_ == phase::closed; }

  // -- Events from the actor ------------------------------------------------------------------

  void start() {
    last_recv_ = clock::now();
    call([&] { return handler_->websocket_init(); });
    flush();
    if (closed()) return;
    arm_timer();
    resume_reading();
  }

  void on_info(caf::message& msg) {
    if (phase_ != phase::open) return;
    call([&] { return handler_->websocket_info(msg); });
    after_event();
  }

  void on_shared(const ws::shared_frame& f) {
    if (phase_ != phase::open || !f.bytes || f.bytes->empty()) return;
    if (!overflowing()) out_.push({}, f.bytes);
    after_event();
  }

  void on_timer(int64_t at) {
    if (timer_at_ && timer_at_->time_since_epoch().count() == at) timer_at_.reset();
    if (closed()) return;
    auto now = clock::now();
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

  // The listener drains: say goodbye (1001) and wait for the client's close.
  void on_drain() {
    if (phase_ != phase::open) return;
    local_close(ws::close_code::going_away, {}, {reason::kind::error, 0, "shutdown"});
    after_event();
  }

  // An exit signal (the listener stops, a linked actor died): close at once. Normal exits of
  // linked actors are ignored, as by an Erlang process that does not trap exits.
  void on_exit(const caf::exit_msg& msg) {
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

  // The actor ends (normally after finish(), or killed): the transport must not outlive it.
  void on_actor_exit() {
    if (phase_ != phase::closed) {
      phase_ = phase::closed;
      release();
    }
  }

 protected:
  enum class phase : uint8_t {
    open,
    closing,    // we sent a close frame and wait for the client's (or EOF, or close_timeout)
    failing,    // we sent a close after a protocol error: half-close once written, wait for EOF
    finishing,  // the close handshake is complete: close once our output is written
    closed,
  };

  // -- Transport hooks ------------------------------------------------------------------------

  /// Writes as much of the output queue as the transport takes (consume() what was written).
  virtual void transport_flush() = 0;
  /// No more output will follow (TCP half close).
  virtual void transport_shutdown_write() = 0;
  /// Closes the transport for good.
  virtual void release() = 0;
  /// Starts reading again after can_read() became true (reading stopped while it was false).
  virtual void transport_resume() = 0;

  // -- Input ----------------------------------------------------------------------------------

  /// Whether input should be read now: not while the handler asked for active(false) or output
  /// is backed up; always while closing (the client's close frame must be seen).
  bool can_read() const noexcept {
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

  ws::decoder& decoder() {
    if (!dec_)
      dec_ = std::make_unique<ws::decoder>(
          ws::decoder_options{ws::role::server, max_frame_size_, max_frame_size_, std::nullopt});
    return *dec_;
  }

  /// Processes received bytes (unmasked in place). What cannot be processed now (reading was
  /// paused by a callback) is kept for later.
  void on_input(std::span<char> in) {
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

  /// Pending input first (kept when reading paused in the middle of a read).
  void drain_pending() {
    while (!pending_in_.empty() && can_read()) {
      std::string buf = std::move(pending_in_);
      pending_in_.clear();
      on_input({buf.data(), buf.size()});
    }
    if (pending_in_.empty() && pending_in_.capacity() > 0) std::string{}.swap(pending_in_);
  }

  void on_eof() {
    if (phase_ == phase::open) reason_ = {reason::kind::error, 0, "closed"};
    finish();
  }

  void on_transport_error() {
    if (phase_ == phase::open) reason_ = {reason::kind::error, 0, "closed"};
    finish();
  }

  /// After a batch of reads: an idle session keeps no decoder (unless permessage-deflate keeps
  /// a window in it), and frees big buffers when a large message went through.
  void after_read() {
    if (!dec_) return;
    if (!enc_) {
      if (dec_->idle()) dec_.reset();
    } else if (shrink_due_ && !dec_->in_message()) {
      shrink_due_ = false;
      dec_->shrink();
      enc_->shrink();
    }
  }

  // -- Output ---------------------------------------------------------------------------------

  /// Called by the transport when everything queued was written.
  void on_drained() {
    out_.shrink();  // an idle session holds no queue
    if (phase_ == phase::finishing) {
      finish();
    } else if (phase_ == phase::failing && !shut_write_) {
      shut_write_ = true;
      transport_shutdown_write();
    }
  }

  void flush() {
    if (!closed() && !out_.empty()) transport_flush();
  }

  /// After the output moved: reading may resume.
  void on_output_progress() {
    if (out_.bytes() < out_low_watermark) resume_reading();
  }

  void resume_reading() {
    if (!closed() && can_read()) transport_resume();
  }

  // Message handlers end here: write what the callbacks queued, and reading may resume (active,
  // set_options).
  void after_event() {
    flush();
    if (!closed()) resume_reading();
    if (!closed()) arm_timer();
  }

  output_queue out_;
  std::string pending_in_;  // received, not processed yet (reading paused in the middle)
  phase phase_ = phase::open;

 private:
  // -- Handler calls --------------------------------------------------------------------------

  // Runs a callback and its commands; an exception is a crash: close 1011, terminate, and the
  // actor exits with {crash, what} (one crash report).
  template <class F>
  void call(F&& f) {
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

  void crash(const std::string& what) {
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

  void run(ws::commands cs) {
    for (auto& c : cs) {
      if (phase_ != phase::open) return;
      std::visit([&](auto& x) { on_command(x); }, c);
    }
  }

  void on_command(ws::send_frame& c) {
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

  void on_command(ws::close_frame& c) {
    local_close(c.code, c.reason, {reason::kind::stop, 0, {}});
  }

  void on_command(ws::shared_frame& c) {
    if (!c.bytes || c.bytes->empty() || overflowing()) return;
    out_.push({}, std::move(c.bytes));
  }

  void on_command(ws::active_cmd& c) { active_ = c.value; }
  void on_command(ws::deflate_cmd& c) { deflate_on_ = c.value; }

  void on_command(ws::set_options_cmd& c) {
    if (c.idle_timeout) idle_timeout_ = *c.idle_timeout;
    if (c.max_frame_size) {
      max_frame_size_ = *c.max_frame_size;
      if (dec_) dec_->set_max_sizes(max_frame_size_, max_frame_size_);
    }
  }

  void on_command(ws::shutdown_reason_cmd& c) { exit_reason_ = std::move(c.reason); }

  void on_command(ws::hibernate_cmd&) {
    if (dec_ && !dec_->in_message()) dec_->shrink();
    if (enc_) enc_->shrink();
    out_.shrink();
    if (pending_in_.empty()) std::string{}.swap(pending_in_);
  }

  // -- Queue ----------------------------------------------------------------------------------

  void push_control(ws::opcode op, std::string_view payload) {
    char header[ws::max_header_size];
    auto n = ws::write_frame_header(header, op, payload.size());
    out_.push({header, n}, std::string{payload});
  }

  void push_close(uint16_t code, std::string_view why) {
    push_control(ws::opcode::close, ws::close_payload(code, why));
  }

  // The send queue policy: a frame that comes while more than max_send_queue bytes wait is not
  // queued; the frames not yet started are dropped and the session closes.
  bool overflowing() {
    if (out_.bytes() <= max_send_queue_) return false;
    out_.drop_unstarted();
    log::debug("WebSocket session: send queue over ", max_send_queue_, " bytes, closing");
    local_close(queue_close_code_, "send queue full", {reason::kind::error, 0, "send_queue_full"});
    return true;
  }

  // -- Closing --------------------------------------------------------------------------------

  // The server starts the close handshake.
  void local_close(uint16_t code, std::string_view why, reason r) {
    if (phase_ != phase::open) return;
    reason_ = std::move(r);
    push_close(code, why);
    phase_ = phase::closing;
    close_deadline_ = clock::now() + close_timeout_;
    arm_timer();
  }

  void on_remote_close(uint16_t code, std::string_view payload) {
    if (phase_ == phase::open) {
      if (code == ws::close_code::no_status)
        reason_ = {reason::kind::remote, 0, {}};
      else
        reason_ = {reason::kind::remote_close, code, std::string{payload}};
      // Echo the close (RFC 6455 §5.5.1), then close the TCP connection once it is written.
      push_control(ws::opcode::close, code == ws::close_code::no_status
                                          ? std::string{}
                                          : ws::close_payload(code, payload));
    }
    if (phase_ == phase::open || phase_ == phase::closing) {
      phase_ = phase::finishing;
      close_deadline_ = clock::now() + close_timeout_;
      arm_timer();
      if (out_.empty()) finish();
    }
  }

  void on_protocol_error(uint16_t code, std::string_view why) {
    log::debug("WebSocket protocol error (", code, "): ", why);
    if (phase_ == phase::open) {
      const char* cause = code == ws::close_code::invalid_payload   ? "badencoding"
                          : code == ws::close_code::message_too_big ? "badsize"
                                                                    : "badframe";
      reason_ = {reason::kind::error, code, cause};
      push_close(code, {});
    }
    if (phase_ == phase::open || phase_ == phase::closing) {
      phase_ = phase::failing;
      close_deadline_ = clock::now() + close_timeout_;
      pending_in_.clear();
      arm_timer();
      if (out_.empty()) on_drained();
    }
  }

  // The end: the transport closes, terminate runs, the actor exits.
  void finish() {
    if (closed()) return;
    phase_ = phase::closed;
    release();
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

  // -- Timer: one pending message, re-armed lazily --------------------------------------------

  void arm_timer() {
    std::optional<clock::time_point> t;
    if (close_deadline_)
      t = close_deadline_;
    else if (phase_ == phase::open && idle_timeout_ != std::chrono::milliseconds::max())
      t = last_recv_ + idle_timeout_;
    if (!t || (timer_at_ && *timer_at_ <= *t)) return;
    timer_at_ = t;
    deadlines_->schedule(*t, caf::weak_actor_ptr{self_->ctrl()});
  }

  caf::event_based_actor* self_;
  std::unique_ptr<websocket_handler> handler_;
  std::shared_ptr<const rodeo::request> req_;
  std::unique_ptr<ws::decoder> dec_;  // made on the first byte; dropped again when idle
  std::unique_ptr<ws::encoder> enc_;
  reason reason_;
  caf::error exit_reason_;
  clock::time_point last_recv_;
  std::optional<clock::time_point> close_deadline_;
  std::optional<clock::time_point> timer_at_;
  uint64_t max_frame_size_;
  std::chrono::milliseconds idle_timeout_;
  std::chrono::milliseconds close_timeout_;
  size_t max_send_queue_;
  uint16_t queue_close_code_;
  std::shared_ptr<deadlines> deadlines_;
  bool active_ = true;
  bool deflate_on_ = true;
  bool shrink_due_ = false;
  bool shut_write_ = false;
};

// A session on the transport handed over by the HTTP/1.1 connection.
class socket_session final : public ws_session {
 public:
  socket_session(caf::event_based_actor* self, std::unique_ptr<websocket_handler> h,
                 const ws::options& o, std::optional<ws::deflate_params> deflate,
                 std::shared_ptr<const rodeo::request> req, protocol_handover& hand)
      : ws_session(self, std::move(h), o, deflate, std::move(req)), tr_(std::move(hand.transport)) {
    // The tail of the 101 goes first; bytes the client sent after its upgrade request are
    // processed before anything read from now on.
    out_ = std::move(hand.output);
    if (!hand.input.empty()) pending_in_ = std::move(hand.input);
  }

  void on_readable() {
    if (closed()) return;
    if (!can_read()) {
      read_blocked_ = true;
      return;
    }
    read_blocked_ = false;
    tr_->rearm_read();
    pump();
  }

  void on_writable() {
    if (closed()) return;
    write_blocked_ = false;
    flush();
    if (!closed()) on_output_progress();
  }

  void on_message(caf::message& msg) {
    if (msg.match_elements<deadline_atom, int64_t>())
      on_timer(msg.get_as<int64_t>(1));
    else if (msg.match_elements<ws::shared_frame>())
      on_shared(msg.get_as<ws::shared_frame>(0));
    else if (msg.match_elements<drain_atom>())
      on_drain();
    else if (msg.match_elements<conn_timer_atom, int64_t>() ||
             msg.match_elements<stream_message>() || msg.match_elements<stream_info>())
      return;  // left over from HTTP/1.1: its timer, and messages for the upgrade request
    else
      on_info(msg);
  }

 protected:
  void transport_resume() override {
    if (!read_blocked_ || pumping_) return;
    read_blocked_ = false;
    tr_->rearm_read();
    pump();
  }

  void transport_flush() override {
    if (write_blocked_ || !tr_) return;
    switch (out_.flush(*tr_)) {
      case io_status::ok:
        on_drained();
        return;
      case io_status::would_block:
        write_blocked_ = true;
        return;
      case io_status::closed:
      case io_status::error:
        on_transport_error();
        return;
    }
  }

  void transport_shutdown_write() override {
    if (tr_) tr_->shutdown_write();
  }

  void release() override { tr_.reset(); }

 private:
  // Reads and processes until the transport would block, or until reading must pause. Reads
  // land in the per-thread scratch buffer, are unmasked in place and handed to websocket_handle
  // without a copy; an idle session holds no read buffer.
  //
  // Input parked in pending_in_ (reading paused in the middle of a read) is processed before
  // the socket is read again, and the pump never leaves while parked input could be processed:
  // no readiness event will come for bytes that were already read.
  void pump() {
    pumping_ = true;
    auto scratch = read_scratch();
    while (!closed()) {
      if (!can_read()) {
        // Output may be what blocks reading: write it, then decide.
        flush();
        if (closed()) break;
        if (!can_read()) {
          read_blocked_ = true;
          break;
        }
      }
      if (!pending_in_.empty()) {
        drain_pending();
        flush();
        continue;
      }
      auto r = tr_->read(scratch);
      if (r.what == io_status::ok) {
        on_input({scratch.data(), r.bytes});
        flush();
        // A short read emptied the socket: the next data is signalled (the transport was
        // re-armed before reading), unless a hangup is already pending.
        if (r.bytes < scratch.size() && pending_in_.empty() && !closed() && !tr_->hangup()) break;
        continue;
      }
      if (r.what == io_status::closed)
        on_eof();
      else if (r.what == io_status::error)
        on_transport_error();
      break;
    }
    pumping_ = false;
    if (!closed()) {
      after_read();
      flush();
    }
  }

  std::unique_ptr<transport> tr_;
  bool read_blocked_ = true;
  bool write_blocked_ = false;
  bool pumping_ = false;
};

// What the HTTP/1.1 connection receives with switch_protocol.
class ws_upgrade final : public connection_upgrade {
 public:
  ws_upgrade(std::unique_ptr<websocket_handler> h, ws::options o,
             std::optional<ws::deflate_params> d, std::shared_ptr<const rodeo::request> r)
      : handler_(std::move(h)), opts_(std::move(o)), deflate_(d), req_(std::move(r)) {}

  caf::behavior take_over(caf::event_based_actor* self, protocol_handover h) override {
    auto owned = std::make_unique<socket_session>(self, std::move(handler_), opts_, deflate_,
                                                  std::move(req_), h);
    auto* s = owned.get();
    // The session lives as long as the actor; whatever ends the actor closes the socket.
    self->attach_functor([owned = std::move(owned)](const caf::error&) { owned->on_actor_exit(); });
    // Two clauses for the socket; every other message goes through the default handler (a
    // behavior costs memory per clause, and an idle session should be small).
    self->set_default_handler(
        [s](caf::scheduled_actor*, caf::message_view& view) -> caf::result<caf::message> {
          auto msg = view.move_content_to_message();
          s->on_message(msg);
          return caf::message{};
        });
    self->set_down_handler([s](caf::down_msg& down) {
      auto msg = caf::make_message(std::move(down));
      s->on_info(msg);
    });
    self->set_exit_handler([s](caf::exit_msg& msg) { s->on_exit(msg); });
    caf::behavior b{
        [s](readable_atom) { s->on_readable(); },
        [s](writable_atom) { s->on_writable(); },
    };
    s->start();
    return b;
  }

 private:
  std::unique_ptr<websocket_handler> handler_;
  ws::options opts_;
  std::optional<ws::deflate_params> deflate_;
  std::shared_ptr<const rodeo::request> req_;
};

// The route handler: runs the user's init in the request actor, then the handshake.
class websocket_route_handler final : public handler {
 public:
  websocket_route_handler(std::unique_ptr<websocket_handler> h, bool keep_request)
      : h_(std::move(h)), keep_request_(keep_request) {}

  handler_result init(req& r) override {
    auto result = h_->init(r);
    if (!result.upgrade()) return refuse(r);
    if (r.has_sent_resp() != req::resp_state::none)
      throw std::logic_error("websocket init() replied and asked for an upgrade");
    auto hs = ws::header_pairs(r.headers());
    if (!ws::is_upgrade_request(hs))
      return refuse(r, 426, {{"connection", "upgrade"}, {"upgrade", "websocket"}},
                    "not a WebSocket upgrade request");
    int major = 0, minor = 0;
    parse_version(r.version(), major, minor);
    auto check = ws::check_upgrade(r.method(), major, minor, hs);
    if (check.status == ws::upgrade_status::upgrade_required)
      return refuse(r, 426, {{"connection", "upgrade"}, {"upgrade", "websocket"}}, check.reason);
    if (check.status != ws::upgrade_status::ok) return refuse(r, 400, {}, check.reason);

    rodeo::headers out{{"connection", "Upgrade"}, {"upgrade", "websocket"}};
    out.push_back("sec-websocket-accept", ws::accept_key(check.key));
    if (!result.protocol().empty()) {
      auto offered = ws::protocols(r);
      if (std::find(offered.begin(), offered.end(), result.protocol()) == offered.end())
        throw std::logic_error("websocket subprotocol " + result.protocol() +
                               " was not offered by the client");
      out.push_back("sec-websocket-protocol", result.protocol());
    }
    const auto& opts = result.opts();
    std::optional<ws::deflate_params> deflate;
    if (opts.compress) {
      auto values = ws::header_values(hs, "sec-websocket-extensions");
      if (auto n = ws::negotiate_deflate(values, opts.deflate_opts)) {
        deflate = n->params;
        out.push_back("sec-websocket-extensions", std::move(n->response));
      }
    }
    std::shared_ptr<const rodeo::request> kept;
    if (keep_request_)
      kept = std::make_shared<const rodeo::request>(opts.req_filter ? opts.req_filter(r.request())
                                                                    : filter_request(r.request()));
    auto up = std::make_shared<ws_upgrade>(std::move(h_), opts, deflate, std::move(kept));
    r.switch_protocol(std::move(out), std::move(up));
    return ok();
  }

 private:
  static void parse_version(const std::string& v, int& major, int& minor) {
    // "HTTP/1.1"
    if (v.size() < 6 || v.compare(0, 5, "HTTP/") != 0) return;
    const char* p = v.data() + 5;
    const char* end = v.data() + v.size();
    auto r = std::from_chars(p, end, major);
    if (r.ec != std::errc{}) return;
    if (r.ptr < end && *r.ptr == '.') std::from_chars(r.ptr + 1, end, minor);
  }

  handler_result refuse(req& r) {
    h_->terminate({}, r.request());
    return ok();
  }

  handler_result refuse(req& r, int status, rodeo::headers hs, std::string_view why) {
    log::debug("WebSocket upgrade refused (", status, "): ", why);
    if (status == 426) hs.push_back("sec-websocket-version", "13");
    hs.push_back("content-length", "0");
    r.reply(status, std::move(hs), {});
    return refuse(r);
  }

  std::unique_ptr<websocket_handler> h_;
  bool keep_request_;
};

}  // namespace

std::unique_ptr<handler> make_websocket_route_handler(std::unique_ptr<websocket_handler> h,
                                                      bool keep_request) {
  return std::make_unique<websocket_route_handler>(std::move(h), keep_request);
}

}  // namespace detail
}  // namespace rodeo
