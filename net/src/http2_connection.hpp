#pragma once
// The HTTP/2 connection (Cowboy's cowboy_http2): the connection actor becomes it after the
// HTTP/1.1 actor saw the connection preface (prior knowledge), answered `Upgrade: h2c` with 101,
// or found `h2` chosen by ALPN. It drives the HTTP/2 machine (rodeo/http2_machine.hpp) over the
// transport and runs one stream-handler chain per stream through the stream layer, so each
// request gets its own request actor exactly as over HTTP/1.1.
#include <memory>
#include <optional>
#include <string>

#include <caf/behavior.hpp>
#include <caf/event_based_actor.hpp>

#include "rodeo/connection.hpp"
#include "rodeo/http_message.hpp"

namespace rodeo::detail {

struct listener_state;

/// The HTTP/1.1 request that asked for `Upgrade: h2c`: it becomes stream 1.
struct http2_upgrade {
  std::string settings;  // HTTP2-Settings, decoded
  rodeo::request req;
  std::string body;  // read whole by HTTP/1.1 before the 101
};

/// Runs inside the connection actor; the result replaces its behavior. The actor's exit and down
/// handlers are replaced too.
caf::behavior become_http2(caf::event_based_actor* self, std::shared_ptr<listener_state> ls,
                           protocol_handover h, std::optional<http2_upgrade> up);

}  // namespace rodeo::detail
