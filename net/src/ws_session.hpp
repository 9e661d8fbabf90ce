#pragma once
// The WebSocket session core (Cowboy's cowboy_websocket without its socket): decoder, encoder,
// handler callbacks and their commands, the close handshake, timeouts and the send queue. It
// knows its transport only through four hooks (flush, resume reading, half close, release), so
// the socket glue (ws_socket_session.cpp) hosts it on the transport HTTP/1.1 hands over, and an
// HTTP/2 stream (RFC 8441) can host it on DATA frames.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include <caf/error.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/message.hpp>

#include "rodeo/deadline.hpp"
#include "rodeo/output_queue.hpp"
#include "rodeo/websocket.hpp"
#include "rodeo/ws_frame.hpp"
#include "ws_metrics.hpp"

namespace rodeo::detail {

class ws_session {
 public:
  using reason = ws::terminate_reason;
  using clock = std::chrono::steady_clock;

  ws_session(caf::event_based_actor* self, std::unique_ptr<websocket_handler> h,
             const ws::options& o, std::optional<ws::deflate_params> deflate,
             std::shared_ptr<const rodeo::request> req);

  virtual ~ws_session();
  ws_session(const ws_session&) = delete;
  ws_session& operator=(const ws_session&) = delete;

  bool closed() const noexcept { return phase_ == phase::closed; }

  // -- Events from the actor ------------------------------------------------------------------

  void start();

  void on_info(caf::message& msg);

  void on_shared(const ws::shared_frame& f);

  void on_timer(int64_t at);

  // The listener drains: say goodbye (1001) and wait for the client's close.
  void on_drain();

  // An exit signal (the listener stops, a linked actor died): close at once. Normal exits of
  // linked actors are ignored, as by an Erlang process that does not trap exits.
  void on_exit(const caf::exit_msg& msg);

  // The actor ends (normally after finish(), or killed): the transport must not outlive it.
  void on_actor_exit();

 protected:
  enum class phase : uint8_t {
    open,
    closing,    // we sent a close frame and wait for the client's (or EOF, or close_timeout)
    failing,    // we sent a close after a protocol error: half-close once written, wait for EOF
    finishing,  // the close handshake is complete: close once our output is written
    closed,
  };

  // -- Transport hooks ------------------------------------------------------------------------

  /// Writes as much of out_ as the transport takes; on_drained() once it is empty.
  virtual void transport_flush() = 0;
  /// No more output will follow (TCP half close).
  virtual void transport_shutdown_write() = 0;
  /// Closes the transport for good.
  virtual void release() = 0;
  /// Closes the transport for good with a reset: output is left that can never be written.
  virtual void abort() = 0;
  /// Starts reading again after can_read() became true (reading stopped while it was false).
  virtual void transport_resume() = 0;

  // -- Input ----------------------------------------------------------------------------------

  /// Whether input should be read now: not while the handler asked for active(false) or output
  /// is backed up; always while closing (the client's close frame must be seen).
  bool can_read() const noexcept;

  ws::decoder& decoder();

  /// Processes received bytes (unmasked in place). What cannot be processed now (reading was
  /// paused by a callback) is kept for later.
  void on_input(std::span<char> in);

  /// Pending input first (kept when reading paused in the middle of a read).
  void drain_pending();

  void on_eof();

  void on_transport_error();

  /// After a batch of reads: an idle session keeps no decoder (unless permessage-deflate keeps
  /// a window in it), and frees big buffers when a large message went through.
  void after_read();

  // -- Output ---------------------------------------------------------------------------------

  /// Called by the transport when everything queued was written.
  void on_drained();

  void flush() {
    if (closed() || out_.empty()) return;
    auto before = out_.bytes();
    transport_flush();
    if (!closed()) track_send_progress(before);
  }

  /// Ranch's send_timeout counts from the last write that made progress.
  void track_send_progress(size_t before);

  /// After the output moved: reading may resume.
  void on_output_progress() {
    if (out_.bytes() < output_queue::low_watermark) resume_reading();
  }

  void resume_reading() {
    if (!closed() && can_read()) transport_resume();
  }

  // Message handlers end here: write what the callbacks queued, and reading may resume (active,
  // set_options).
  void after_event();

  output_queue out_;
  std::string pending_in_;  // received, not processed yet (reading paused in the middle)
  phase phase_ = phase::open;

 private:
  // -- Handler calls --------------------------------------------------------------------------

  // Runs a callback and its commands; an exception is a crash: close 1011, terminate, and the
  // actor exits with {crash, what} (one crash report).
  template <class F>
  void call(F&& f);

  void crash(const std::string& what);

  void run(ws::commands cs);

  void on_command(ws::send_frame& c);

  void on_command(ws::close_frame& c) {
    local_close(c.code, c.reason, {reason::kind::stop, 0, {}});
  }

  void on_command(ws::shared_frame& c);

  void on_command(ws::active_cmd& c) { active_ = c.value; }
  void on_command(ws::deflate_cmd& c) { deflate_on_ = c.value; }

  void on_command(ws::set_options_cmd& c);

  void on_command(ws::shutdown_reason_cmd& c) { exit_reason_ = std::move(c.reason); }

  void on_command(ws::hibernate_cmd&);

  // -- Queue ----------------------------------------------------------------------------------

  void push_control(ws::opcode op, std::string_view payload);

  void push_close(uint16_t code, std::string_view why) {
    if (!close_counted_) {
      close_counted_ = true;
      counters_->count_close(code);
    }
    push_control(ws::opcode::close, ws::close_payload(code, why));
  }

  // The send queue policy: a frame that comes while more than max_send_queue bytes wait is not
  // queued; the frames not yet started are dropped and the session closes.
  bool overflowing();

  // -- Closing --------------------------------------------------------------------------------

  // The server starts the close handshake.
  void local_close(uint16_t code, std::string_view why, reason r);

  void on_remote_close(uint16_t code, std::string_view payload);

  void on_protocol_error(uint16_t code, std::string_view why);

  // A session whose close began is no broadcast receiver any more (ws_broadcast counts and
  // frames it no longer), at once rather than when its close handshake ends.
  void leave_groups();

  // The end: the transport closes, terminate runs, the actor exits.
  void finish();

  // -- Timer: one pending message, re-armed lazily --------------------------------------------

  void arm_timer();

  caf::event_based_actor* self_;
  std::unique_ptr<websocket_handler> handler_;
  std::shared_ptr<const rodeo::request> req_;
  std::unique_ptr<ws::decoder> dec_;  // made on the first byte; dropped again when idle
  std::unique_ptr<ws::encoder> enc_;
  reason reason_;
  caf::error exit_reason_;
  clock::time_point last_recv_;
  std::optional<clock::time_point> close_deadline_;
  clock::time_point send_deadline_{};  // output stuck since, plus send_timeout; {}: not stuck
  std::optional<clock::time_point> timer_at_;
  uint64_t max_frame_size_;
  std::chrono::milliseconds idle_timeout_;
  std::chrono::milliseconds close_timeout_;
  size_t max_send_queue_;
  uint16_t queue_close_code_;
  uint32_t send_timeout_ms_;  // 32 bits: it fits the padding, and an idle session stays small
  std::shared_ptr<deadlines> deadlines_;
  std::shared_ptr<ws_counters> counters_;  // the node's rodeo_websocket_* counts
  bool close_counted_ = false;
  bool active_ = true;
  bool deflate_on_ = true;
  bool shrink_due_ = false;
  bool shut_write_ = false;
};

}  // namespace rodeo::detail
