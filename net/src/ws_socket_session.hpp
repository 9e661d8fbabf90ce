#pragma once
// The WebSocket route's entry to the socket glue (ws_socket_session.cpp).
#include <memory>
#include <optional>

#include "rodeo/connection.hpp"
#include "rodeo/websocket.hpp"
#include "rodeo/ws_deflate.hpp"

namespace rodeo::detail {

/// What the route hands to the HTTP/1.1 connection with switch_protocol: after the 101 the
/// connection actor becomes a session on its transport, running `h`.
std::shared_ptr<connection_upgrade> make_socket_upgrade(std::unique_ptr<websocket_handler> h,
                                                        ws::options o,
                                                        std::optional<ws::deflate_params> d,
                                                        std::shared_ptr<const rodeo::request> r);

}  // namespace rodeo::detail
