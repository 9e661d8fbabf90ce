#pragma once
// Stream handlers, as Cowboy's cowboy_stream: every request (an HTTP/1.1 request, an HTTP/2
// stream) runs through a chain of stream handlers inside its connection actor. The protocol calls
// init/data/info/terminate on the first one; each may act and call the next; what they want done
// comes back as commands (response, headers, data, trailers, inform, flow, spawn,
// switch_protocol, error_response, stop, internal_error), executed in order by the protocol.
//
// The default chain is { stream_h } (Cowboy's cowboy_stream_h): it spawns one request actor per
// request that runs the middlewares and the handler, and turns that actor's messages into
// commands. compress_h (gzip) can be put in front of it.
//
// Messages between a request actor and its connection:
//   request actor -> connection   stream_message{streamid, op}   (op: response, data, read_body,
//                                                                  stop when it ends unanswered)
//   connection -> request actor   client_gone_atom                (the client went away)
//   read_body and acknowledged data are CAF requests: the connection answers with a body_chunk or
//   caf::ok_atom once the bytes are read, or written / queued below the output watermark.
// Anything else addressed to a stream travels as stream_info{streamid, message} and reaches
// info() (timers of stream handlers use it).
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <caf/actor.hpp>
#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/atom.hpp>
#include <caf/error.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/message.hpp>
#include <caf/response_promise.hpp>

#include "rodeo/http_message.hpp"

namespace rodeo {

struct env;
struct protocol_options;

/// Sent by the connection to a stream's actors when its client went away.
using client_gone_atom = caf::atom_constant<caf::atom("clientgone")>;
/// Sent when the listener drains (drain_listener, rodeo::drain): to a stream's actors (a loop or
/// SSE handler's info() gets it, and its stream then ends unless it stopped already) and to
/// WebSocket handlers' websocket_info() (then the session closes with 1001 unless the handler
/// closed it itself).
using drain_atom = caf::atom_constant<caf::atom("drain")>;

/// Implemented by protocols that can take over a connection after a 101 (WebSocket); the
/// connection's protocol code knows the concrete interface (see net/).
class protocol_switch {
 public:
  virtual ~protocol_switch() = default;
};

/// A range of an open file: a response body part sent without reading it into memory.
struct file_range {
  std::shared_ptr<const int> fd;  // owns the descriptor: closed with the last copy
  std::uint64_t offset = 0;
  std::uint64_t length = 0;
};

/// Stream commands (Cowboy's cowboy_stream commands).
namespace cmd {
/// A 1xx informational response.
struct inform {
  int status = 100;
  rodeo::headers headers;
};
/// A complete response with its body.
struct response {
  int status = 200;
  rodeo::headers headers;
  std::string body;
};
/// The head of a response whose body follows as data commands.
struct response_headers {
  int status = 200;
  rodeo::headers headers;
};
/// A piece of the response body. `ack`, when pending, is answered with caf::ok_atom once the
/// bytes are written or queued below the connection's output watermark.
struct data {
  is_fin fin = nofin;
  std::string bytes;
  caf::response_promise ack{};
};
/// A piece of the response body taken from a file (Cowboy's {sendfile, Offset, Length, Path}):
/// the transport sends it with sendfile(2) on plain TCP and in bounded reads otherwise. `ack`
/// as for data.
struct sendfile {
  is_fin fin = nofin;
  file_range file;
  caf::response_promise ack{};
};
/// Response trailers; ends the body.
struct trailers {
  rodeo::headers fields;
};
/// Allows the protocol to read `size` more bytes of request body.
struct flow {
  size_t size = 0;
};
/// A process working for the stream. Monitored by the protocol (its exit reaches info() as a
/// caf::down_msg) unless `monitor` is false: the stream handler then reports the exit itself
/// (stream_h reports only abnormal exits, through stream_info, saving a message per request).
/// Either way the process is told client_gone_atom when the connection ends under it.
struct spawn {
  caf::actor pid;
  bool monitor = true;
};
/// Sends this response if none was sent yet (errors found by stream handlers).
struct error_response {
  int status = 500;
  rodeo::headers headers;
  std::string body;
};
/// 101 Switching Protocols, then `protocol` owns the connection.
struct switch_protocol {
  rodeo::headers headers;
  std::shared_ptr<protocol_switch> protocol;
};
/// Ends the stream: a missing response becomes 204, an unfinished body is ended.
struct stop {};
/// A stream-level failure: the stream ends, and the connection closes when it cannot recover.
struct internal_error {
  std::string reason;
};
}  // namespace cmd

using command =
    std::variant<cmd::inform, cmd::response, cmd::response_headers, cmd::data, cmd::sendfile,
                 cmd::trailers, cmd::flow, cmd::spawn, cmd::error_response, cmd::switch_protocol,
                 cmd::stop, cmd::internal_error>;
using commands = std::vector<command>;

/// read_body's request: deliver once `length` bytes are buffered, the body ended, or `period`
/// passed (with what arrived so far); with `auto_`, as soon as any byte or the end is there.
struct read_body_op {
  size_t length = 8000000;
  std::chrono::milliseconds period{15000};
  bool auto_ = false;
};

/// What a request actor sends its connection.
struct stream_message {
  uint64_t streamid = 0;
  std::variant<cmd::inform, cmd::response, cmd::response_headers, cmd::data, cmd::sendfile,
               cmd::trailers, cmd::switch_protocol, cmd::stop, read_body_op>
      op;
};

/// The answer to a read_body request.
struct body_chunk {
  std::string data;
  is_fin fin = nofin;
};

/// Any message for stream `streamid`'s info() (timers of stream handlers).
struct stream_info {
  uint64_t streamid = 0;
  caf::message msg;
};

/// What a stream handler sees of its request and connection at init.
struct stream_context {
  caf::event_based_actor* self = nullptr;  // the connection actor
  std::shared_ptr<const rodeo::request> req;
  std::shared_ptr<const rodeo::env> env;
  std::shared_ptr<const rodeo::protocol_options> opts;
  bool expect_continue = false;  // the client waits for 100 Continue before sending the body
  /// The matched route's path pattern ("/users/:id"), set by stream_h when it routes (with the
  /// default middlewares); empty otherwise. Points into env's dispatch.
  std::string_view route{};
};

/// One stream handler in a chain. The default implementation of every callback forwards to the
/// next handler; a handler overrides what it needs and edits the commands the rest produced.
class stream_handler {
 public:
  virtual ~stream_handler();
  /// cowboy_stream:init/3.
  virtual void init(uint64_t id, stream_context& ctx, commands& out);
  /// cowboy_stream:data/4: request body bytes (`fin` on the last piece).
  virtual void data(uint64_t id, is_fin fin, std::string& bytes, commands& out);
  /// cowboy_stream:info/3: a message for this stream (stream_message, stream_info payload,
  /// caf::down_msg of a spawned process).
  virtual void info(uint64_t id, caf::message& msg, commands& out);
  /// cowboy_stream:terminate/3. `reason` is none for a normal end.
  virtual void terminate(uint64_t id, const caf::error& reason);
  /// The protocol answers this stream itself, before any response of the handlers: its request
  /// body failed (bad chunked coding, body_timeout's 408). `resp` may be edited; terminate
  /// follows. Errors before a stream exists go to stream_handler_factory::early_error instead.
  virtual void early_error(uint64_t id, cmd::response& resp);

  void set_next(std::unique_ptr<stream_handler> next) { next_ = std::move(next); }
  stream_handler* next() const noexcept { return next_.get(); }

 protected:
  std::unique_ptr<stream_handler> next_;
};

/// An entry of protocol_options::stream_handlers: makes the handler for each new stream.
class stream_handler_factory {
 public:
  virtual ~stream_handler_factory();
  virtual std::unique_ptr<stream_handler> make() const = 0;
  /// cowboy_stream:early_error/5: the protocol is about to answer a request that failed before
  /// init (a 400, 408, 414, 431, 501, 505...); `resp` may be edited. `req` is Cowboy's partial
  /// request: ref, peer, sock and streamid always, the rest once the head was parsed (HTTP/1.1
  /// gives it that way; a protocol may pass null when it knows nothing of the request).
  virtual void early_error(uint64_t id, const rodeo::request* req, cmd::response& resp) const;
};

/// Builds the chain for a new stream from protocol_options::stream_handlers.
std::unique_ptr<stream_handler> make_stream_chain(const protocol_options& opts);
/// Runs every factory's early_error on `resp`, the last one first (as Cowboy's chain: the first
/// handler sees what the others made of it).
void early_error(const protocol_options& opts, uint64_t id, const rodeo::request* req,
                 cmd::response& resp);

/// Cowboy's cowboy_stream_h: one request actor per stream.
std::shared_ptr<const stream_handler_factory> stream_h();
/// Cowboy's cowboy_metrics_h is metrics_h() (rodeo/metrics_h.hpp).
/// Cowboy's cowboy_compress_h: gzip response bodies of at least `threshold` bytes when the
/// client accepts it and the response has no content-encoding yet.
std::shared_ptr<const stream_handler_factory> compress_h(size_t threshold = 300);

}  // namespace rodeo

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(rodeo::stream_message)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(rodeo::body_chunk)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(rodeo::stream_info)
