#pragma once
// The demo's WebSocket part:
//   GET /ws     WebSocket: text Msg → text "responding to Msg"; (data, X) sent to the session →
//               text X; every session joins process group "ws" (POST /broadcast reaches it)
//   GET /echo   WebSocket echo of text and binary messages, permessage-deflate when offered
//   GET /chat   a small HTML page that talks to /ws
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "rodeo/rodeo.hpp"
#include "rodeo/websocket.hpp"

namespace rodeo_demo {

struct ws_settings {
  /// Largest frame or message accepted on /echo and /ws (--ws-max-frame-size).
  uint64_t max_frame_size = uint64_t{1} << 20;
  /// A session that received nothing for this long is closed (the demo's --idle-timeout).
  std::chrono::milliseconds idle_timeout{60000};
};

/// The routes above.
rodeo::path_list ws_routes(const ws_settings& settings);

/// Sends `text` to every /ws session (one text frame, built once); returns how many.
size_t ws_broadcast(rodeo::node& n, std::string_view text);

}  // namespace rodeo_demo
