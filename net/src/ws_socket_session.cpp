// The socket glue of a WebSocket session: after the 101 the HTTP/1.1 connection actor becomes a
// session on the transport it hands over (Cowboy: the connection process becomes the WsPid).
#include "ws_socket_session.hpp"

#include <caf/all.hpp>

#include "listener_state.hpp"
#include "rodeo/atoms.hpp"
#include "rodeo/reactor.hpp"
#include "rodeo/transport.hpp"
#include "ws_session.hpp"

namespace rodeo::detail {
namespace {

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

  void abort() override {
    if (tr_) tr_->abort();
    tr_.reset();
  }

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

}  // namespace

std::shared_ptr<connection_upgrade> make_socket_upgrade(std::unique_ptr<websocket_handler> h,
                                                        ws::options o,
                                                        std::optional<ws::deflate_params> d,
                                                        std::shared_ptr<const rodeo::request> r) {
  return std::make_shared<ws_upgrade>(std::move(h), std::move(o), d, std::move(r));
}

}  // namespace rodeo::detail
