#pragma once
// The HTTP/1.1 connection actor's extension point for protocols that take a connection over after
// "101 Switching Protocols" (WebSocket: the connection actor becomes the session, as in Cowboy).
// A stream handler or request actor issues cmd::switch_protocol with a connection_upgrade; the
// connection writes the 101 response, then calls take_over() in its own actor and runs the
// returned behavior from then on.
#include <memory>
#include <string>
#include <vector>

#include <caf/behavior.hpp>
#include <caf/event_based_actor.hpp>

#include "rodeo/http_message.hpp"
#include "rodeo/reactor.hpp"
#include "rodeo/stream_handler.hpp"

namespace rodeo {

/// Everything the new protocol inherits. It owns `fd` and `io` from now on: it must call
/// reactor->remove(io) and close(fd) when it ends (the HTTP/1.1 code no longer will).
struct socket_handover {
  int fd = -1;
  io_handle* io = nullptr;
  std::shared_ptr<rodeo::reactor> reactor;
  /// Bytes read after the upgrade request, not yet parsed.
  std::string input;
  /// Bytes not yet written (the tail of the 101 response); write them first.
  std::vector<std::string> output;
  /// The upgrade request.
  std::shared_ptr<const rodeo::request> req;
  /// The request actor of the upgrade request (may still be running).
  caf::actor stream_pid;
};

class connection_upgrade : public protocol_switch {
 public:
  /// Runs inside the connection actor; the result replaces the HTTP/1.1 behavior. The actor's
  /// exit and down handlers are reset to CAF's defaults before this is called.
  virtual caf::behavior take_over(caf::event_based_actor* self, socket_handover h) = 0;
};

}  // namespace rodeo
