#pragma once
// The extension point for protocols that take a connection over ("101 Switching Protocols";
// later h2c and ALPN): the connection actor itself becomes the new protocol, as in Cowboy
// (WebSocket: the connection actor becomes the session). A stream handler or request actor issues
// cmd::switch_protocol with a connection_upgrade; the connection writes the 101 response, then
// calls take_over() in its own actor and runs the returned behavior from then on.
#include <memory>
#include <string>

#include <caf/behavior.hpp>
#include <caf/event_based_actor.hpp>

#include "rodeo/output_queue.hpp"
#include "rodeo/stream_handler.hpp"
#include "rodeo/transport.hpp"

namespace rodeo {

/// Everything the new protocol inherits: the transport (it closes it when it ends), the bytes
/// read but not parsed, and the output not yet written (the tail of the 101: write it first).
struct protocol_handover {
  std::unique_ptr<rodeo::transport> transport;
  std::string input;
  output_queue output;
};

class connection_upgrade : public protocol_switch {
 public:
  /// Runs inside the connection actor; the result replaces the old protocol's behavior. The
  /// actor's exit and down handlers are reset to CAF's defaults before this is called.
  virtual caf::behavior take_over(caf::event_based_actor* self, protocol_handover h) = 0;
};

}  // namespace rodeo
