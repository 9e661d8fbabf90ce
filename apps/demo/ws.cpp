// The demo's WebSocket handlers and the /chat page (see ws.hpp).
#include "ws.hpp"

#include <string>

#include <caf/all.hpp>

namespace rodeo_demo {
namespace {

namespace ws = rodeo::ws;

constexpr std::string_view group = "ws";

// Served at /chat: connects to /ws, shows every message it gets, sends what is typed.
constexpr std::string_view chat_page = R"html(<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Rodeo chat</title>
<style>
  body { font-family: sans-serif; max-width: 40em; margin: 2em auto; }
  #log { border: 1px solid #ccc; height: 20em; overflow-y: auto; padding: .5em; }
  #log p { margin: .2em 0; }
  .sys { color: #888; }
</style>
</head>
<body>
<h1>Rodeo chat</h1>
<p id="status" class="sys">connecting…</p>
<div id="log"></div>
<form id="form"><input id="msg" autocomplete="off" size="40" placeholder="say something">
<button>Send</button></form>
<p class="sys">Messages POSTed to /broadcast reach every page:
<code>curl -d hello http://HOST/broadcast</code></p>
<script>
const log = document.getElementById("log");
const status = document.getElementById("status");
function show(text, cls) {
  const p = document.createElement("p");
  p.textContent = text;
  if (cls) p.className = cls;
  log.appendChild(p);
  log.scrollTop = log.scrollHeight;
}
const scheme = location.protocol === "https:" ? "wss://" : "ws://";
const sock = new WebSocket(scheme + location.host + "/ws");
sock.onopen = () => { status.textContent = "connected"; document.title = "Rodeo chat: connected"; };
sock.onmessage = (e) => { show(e.data); document.title = "Rodeo chat: " + e.data; };
sock.onclose = (e) => { status.textContent = "closed (" + e.code + ")"; };
document.getElementById("form").onsubmit = (e) => {
  e.preventDefault();
  const input = document.getElementById("msg");
  if (input.value && sock.readyState === WebSocket.OPEN) {
    sock.send(input.value);
    show("> " + input.value, "sys");
  }
  input.value = "";
};
</script>
</body>
</html>
)html";

// /ws: the seed's handler (cowboy_websocket_handler of the DZone article).
struct ws_h : rodeo::websocket_handler {
  explicit ws_h(ws_settings s) : settings(s) {}
  ws_settings settings;

  ws::init_result init(rodeo::req&) override {
    ws::options o;
    o.max_frame_size = settings.max_frame_size;
    o.idle_timeout = settings.idle_timeout;
    return ws::upgrade(o);
  }
  ws::commands websocket_init() override {
    rodeo::node::of(self()->system()).groups().join(std::string{group}, handle());
    return {};
  }
  ws::commands websocket_handle(const ws::in_frame& f) override {
    if (f.type != ws::frame_type::text) return {};
    return {ws::text("responding to " + std::string{f.data}), ws::hibernate};
  }
  ws::commands websocket_info(caf::message& msg) override { return ws::from_data(msg); }
};

// /echo: every message back as it came, compressed when the client offered permessage-deflate.
struct echo_h : rodeo::websocket_handler {
  explicit echo_h(ws_settings s) : settings(s) {}
  ws_settings settings;

  ws::init_result init(rodeo::req&) override {
    ws::options o;
    o.max_frame_size = settings.max_frame_size;
    o.idle_timeout = settings.idle_timeout;
    o.compress = true;
    return ws::upgrade(o);
  }
  ws::commands websocket_handle(const ws::in_frame& f) override {
    switch (f.type) {
      case ws::frame_type::text:
        return {ws::text(std::string{f.data})};
      case ws::frame_type::binary:
        return {ws::binary(std::string{f.data})};
      default:
        return {};
    }
  }
};

struct chat_h : rodeo::handler {
  rodeo::handler_result init(rodeo::req& req) override {
    req.reply(200, {{"content-type", "text/html; charset=utf-8"}}, std::string{chat_page});
    return rodeo::ok();
  }
};

}  // namespace

rodeo::path_list ws_routes(const ws_settings& settings) {
  return {
      {"/ws", rodeo::websocket_of<ws_h>(settings)},
      {"/echo", rodeo::websocket_of<echo_h>(settings)},
      {"/chat", rodeo::handler_of<chat_h>()},
  };
}

size_t ws_broadcast(rodeo::node& n, std::string_view text) {
  return rodeo::ws_broadcast(n, std::string{group}, text);
}

}  // namespace rodeo_demo
