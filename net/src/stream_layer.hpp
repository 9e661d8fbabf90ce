#pragma once
// The protocol-independent half of a connection's streams (Cowboy's cowboy_http and
// cowboy_http2 share it): each stream's handler chain and the processes working for it, the
// processes of finished streams still running (orphans), monitors, stream commands dispatched
// into the narrow interface a protocol implements (inform, response, headers, data, sendfile,
// trailers, flow, switch_protocol, stop, internal_error), and stream_body acks held back until
// the protocol can take more output.
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <caf/actor.hpp>
#include <caf/actor_addr.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/message.hpp>
#include <caf/response_promise.hpp>
#include <caf/system_messages.hpp>

#include "rodeo/stream_handler.hpp"

namespace rodeo::detail {

/// What every protocol keeps of a stream; protocols derive their stream from it.
struct stream_base {
  enum class out { none, streaming, done };
  uint64_t id = 0;
  std::shared_ptr<const rodeo::request> req;
  std::unique_ptr<stream_handler> chain;
  std::vector<caf::actor> children;
  out out_state = out::none;
};

class stream_layer {
 public:
  explicit stream_layer(caf::event_based_actor* self) : owner_(self) {}
  virtual ~stream_layer() = default;
  stream_layer(const stream_layer&) = delete;
  stream_layer& operator=(const stream_layer&) = delete;

  /// Runs `cs` in order on stream `s`; commands after one that ended the stream are dropped
  /// (their acks fail). `cs` is left empty with its capacity.
  void run_commands(stream_base& s, commands& cs);
  /// A message for stream `id` (stream_message / stream_info) through its chain's info().
  void on_stream_message(caf::message msg, uint64_t id);
  /// A monitored process ended: an orphan is forgotten, a live stream's child reaches info().
  void on_down(const caf::down_msg& down);

  /// The stream ended: its chain's terminate, and its monitored children still running become
  /// orphans until their down_msg.
  void retire(stream_base& s, const caf::error& reason);
  /// The client went away: the stream's processes are told (client_gone_atom) and forgotten.
  void tell_gone(stream_base& s);
  /// ... and the orphans' too.
  void tell_orphans_gone();
  /// Forgets the stream's processes and the orphans without telling them (the connection became
  /// another protocol).
  void forget_children(stream_base& s);
  void forget_orphans();
  /// Acks held back whose stream the protocol can now take more output for (or is gone).
  void release_acks();
  /// Every held ack fails (the connection is closing).
  void fail_acks();

  /// A stream_body ack: delivered at once when the protocol can take more, else held.
  void acknowledge(stream_base& s, caf::response_promise& ack);

 protected:
  // -- What the protocol implements ------------------------------------------------------------
  virtual stream_base* find_stream(uint64_t id) = 0;
  /// No more output can be written: commands are dropped, acks succeed at once.
  virtual bool closed() const = 0;
  /// Whether a stream_body ack for `s` (null: the stream has ended) may be delivered now.
  virtual bool ack_ready(const stream_base* s) const = 0;
  virtual void inform(stream_base& s, cmd::inform& c) = 0;
  /// A complete response (cmd::response or cmd::error_response), only while none was sent.
  virtual void response(stream_base& s, int status, const rodeo::headers& hs, std::string body) = 0;
  /// The head of a streamed response, only while none was sent.
  virtual void response_headers(stream_base& s, cmd::response_headers& c) = 0;
  /// Body pieces, only while streaming.
  virtual void data(stream_base& s, is_fin fin, std::string bytes) = 0;
  virtual void sendfile(stream_base& s, is_fin fin, file_range file) = 0;
  virtual void trailers(stream_base& s, cmd::trailers& c) = 0;
  virtual void flow(stream_base& s, size_t size) = 0;
  virtual void switch_protocol(stream_base& s, cmd::switch_protocol& c) = 0;
  virtual void stop(stream_base& s) = 0;
  virtual void internal_error(stream_base& s, cmd::internal_error& c) = 0;
  /// The last body piece (fin) was handled: the response may be complete.
  virtual void body_done(stream_base& s) = 0;

 private:
  void run_command(stream_base& s, command& c);
  void on_command(stream_base& s, cmd::inform& c) { inform(s, c); }
  void on_command(stream_base& s, cmd::response& c);
  void on_command(stream_base& s, cmd::error_response& c);
  void on_command(stream_base& s, cmd::response_headers& c);
  void on_command(stream_base& s, cmd::data& c);
  void on_command(stream_base& s, cmd::sendfile& c);
  void on_command(stream_base& s, cmd::trailers& c) { trailers(s, c); }
  void on_command(stream_base& s, cmd::flow& c) { flow(s, c.size); }
  void on_command(stream_base& s, cmd::spawn& c);
  void on_command(stream_base& s, cmd::switch_protocol& c) { switch_protocol(s, c); }
  void on_command(stream_base& s, cmd::stop&) { stop(s); }
  void on_command(stream_base& s, cmd::internal_error& c) { internal_error(s, c); }
  void after_piece(stream_base& s, is_fin fin, caf::response_promise& ack);

  caf::event_based_actor* owner_;
  std::vector<caf::actor> orphans_;  // monitored processes of finished streams, still running
  // Monitored children of live streams, with their stream.
  std::vector<std::pair<caf::actor_addr, uint64_t>> monitored_;
  std::vector<std::pair<uint64_t, caf::response_promise>> acks_;
  commands cmds_;
};

}  // namespace rodeo::detail
