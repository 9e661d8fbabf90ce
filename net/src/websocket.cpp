// The WebSocket API (Cowboy's cowboy_websocket callbacks and commands, ws_broadcast) and the
// handshake route: the route handler runs the user's init() in the request actor, validates the
// upgrade (RFC 6455 §4.2, RFC 7692) and asks the HTTP/1.1 connection to switch protocols; the
// connection actor then becomes the session (ws_socket_session.cpp).
#include <algorithm>
#include <charconv>
#include <stdexcept>

#include <caf/all.hpp>

#include "rodeo/atoms.hpp"
#include "rodeo/log.hpp"
#include "rodeo/node.hpp"
#include "rodeo/req.hpp"
#include "rodeo/websocket.hpp"
#include "rodeo/ws_handshake.hpp"
#include "ws_socket_session.hpp"

namespace rodeo {

websocket_handler::~websocket_handler() = default;

ws::init_result websocket_handler::init(rodeo::req&) {
  return ws::upgrade();
}

ws::commands websocket_handler::websocket_init() {
  return {};
}

ws::commands websocket_handler::websocket_handle(const ws::in_frame&) {
  return {};
}

ws::commands websocket_handler::websocket_info(caf::message& msg) {
  return ws::from_data(msg);
}

void websocket_handler::terminate(const ws::terminate_reason&, const rodeo::request&) {}

caf::actor websocket_handler::handle() const {
  return caf::actor_cast<caf::actor>(self_);
}

namespace ws {
namespace {

opcode to_opcode(frame_type t) {
  switch (t) {
    case frame_type::text:
      return opcode::text;
    case frame_type::binary:
      return opcode::binary;
    case frame_type::ping:
      return opcode::ping;
    case frame_type::pong:
      return opcode::pong;
  }
  return opcode::binary;
}

send_frame control(opcode op, std::string payload) {
  if (payload.size() > max_control_payload)
    throw std::length_error("WebSocket control frame payload over 125 bytes");
  return {op, std::move(payload)};
}

std::vector<header> header_pairs(const rodeo::headers& hs) {
  std::vector<header> out;
  out.reserve(hs.size());
  for (auto& [n, v] : hs) out.emplace_back(n, v);
  return out;
}

}  // namespace

send_frame ping(std::string payload) {
  return control(opcode::ping, std::move(payload));
}

send_frame pong(std::string payload) {
  return control(opcode::pong, std::move(payload));
}

close_frame close(uint16_t code, std::string reason) {
  if (!valid_close_code(code))
    throw std::invalid_argument("close code " + std::to_string(code) + " may not be sent");
  return {code, std::move(reason)};
}

shared_frame share(frame_type type, std::string_view payload) {
  auto op = to_opcode(type);
  if (static_cast<uint8_t>(op) >= 0x8 && payload.size() > max_control_payload)
    throw std::length_error("WebSocket control frame payload over 125 bytes");
  return {std::make_shared<const std::string>(frame(op, payload))};
}

commands from_data(caf::message& msg) {
  if (msg.match_elements<data_atom, std::string>())
    return {text(std::move(msg.get_mutable_as<std::string>(1)))};
  if (msg.match_elements<data_atom, std::vector<char>>()) {
    auto& v = msg.get_as<std::vector<char>>(1);
    return {binary(std::string{v.begin(), v.end()})};
  }
  return {};
}

std::vector<std::string> protocols(const rodeo::req& r) {
  auto hs = header_pairs(r.headers());
  std::vector<std::string_view> offered;
  if (!parse_protocols(hs, offered)) throw http_error(400, "malformed sec-websocket-protocol");
  return {offered.begin(), offered.end()};
}

std::string to_string(const terminate_reason& r) {
  using k = terminate_reason::kind;
  switch (r.what) {
    case k::normal:
      return "normal";
    case k::stop:
      return "stop";
    case k::timeout:
      return "timeout";
    case k::remote:
      return "remote";
    case k::remote_close:
      return "{remote," + std::to_string(r.code) + ",<<\"" + r.detail + "\">>}";
    case k::error:
      return "{error," + r.detail + "}";
    case k::crash:
      return "{crash,\"" + r.detail + "\"}";
  }
  return "?";
}

}  // namespace ws

size_t ws_broadcast(node& n, const std::string& group, std::string_view text) {
  return ws_broadcast(n, group, ws::frame_type::text, text);
}

size_t ws_broadcast(node& n, const std::string& group, ws::frame_type type,
                    std::string_view payload) {
  return n.groups().send(group, ws::share(type, payload));
}

namespace detail {
namespace {

// Cowboy's default req_filter: the request without its headers.
rodeo::request filter_request(const rodeo::request& r) {
  rodeo::request out;
  out.method = r.method;
  out.version = r.version;
  out.scheme = r.scheme;
  out.host = r.host;
  out.port = r.port;
  out.path = r.path;
  out.qs = r.qs;
  out.peer = r.peer;
  out.sock = r.sock;
  out.ref = r.ref;
  out.streamid = r.streamid;
  return out;
}

// The route handler: runs the user's init in the request actor, then the handshake.
class websocket_route_handler final : public handler {
 public:
  websocket_route_handler(std::unique_ptr<websocket_handler> h, bool keep_request)
      : h_(std::move(h)), keep_request_(keep_request) {}

  handler_result init(req& r) override {
    auto result = h_->init(r);
    if (!result.upgrade()) return refuse(r);
    if (r.has_sent_resp() != req::resp_state::none)
      throw std::logic_error("websocket init() replied and asked for an upgrade");
    auto hs = ws::header_pairs(r.headers());
    if (!ws::is_upgrade_request(hs))
      return refuse(r, 426, {{"connection", "upgrade"}, {"upgrade", "websocket"}},
                    "not a WebSocket upgrade request");
    int major = 0, minor = 0;
    parse_version(r.version(), major, minor);
    auto check = ws::check_upgrade(r.method(), major, minor, hs);
    if (check.status == ws::upgrade_status::upgrade_required)
      return refuse(r, 426, {{"connection", "upgrade"}, {"upgrade", "websocket"}}, check.reason);
    if (check.status != ws::upgrade_status::ok) return refuse(r, 400, {}, check.reason);

    rodeo::headers out{{"connection", "Upgrade"}, {"upgrade", "websocket"}};
    out.push_back("sec-websocket-accept", ws::accept_key(check.key));
    if (!result.protocol().empty()) {
      auto offered = ws::protocols(r);
      if (std::find(offered.begin(), offered.end(), result.protocol()) == offered.end())
        throw std::logic_error("websocket subprotocol " + result.protocol() +
                               " was not offered by the client");
      out.push_back("sec-websocket-protocol", result.protocol());
    }
    const auto& opts = result.opts();
    std::optional<ws::deflate_params> deflate;
    if (opts.compress) {
      auto values = ws::header_values(hs, "sec-websocket-extensions");
      if (auto n = ws::negotiate_deflate(values, opts.deflate_opts)) {
        deflate = n->params;
        out.push_back("sec-websocket-extensions", std::move(n->response));
      }
    }
    std::shared_ptr<const rodeo::request> kept;
    if (keep_request_)
      kept = std::make_shared<const rodeo::request>(opts.req_filter ? opts.req_filter(r.request())
                                                                    : filter_request(r.request()));
    auto up = make_socket_upgrade(std::move(h_), opts, deflate, std::move(kept));
    r.switch_protocol(std::move(out), std::move(up));
    return ok();
  }

 private:
  static void parse_version(const std::string& v, int& major, int& minor) {
    // "HTTP/1.1"
    if (v.size() < 6 || v.compare(0, 5, "HTTP/") != 0) return;
    const char* p = v.data() + 5;
    const char* end = v.data() + v.size();
    auto r = std::from_chars(p, end, major);
    if (r.ec != std::errc{}) return;
    if (r.ptr < end && *r.ptr == '.') std::from_chars(r.ptr + 1, end, minor);
  }

  handler_result refuse(req& r) {
    h_->terminate({}, r.request());
    return ok();
  }

  handler_result refuse(req& r, int status, rodeo::headers hs, std::string_view why) {
    log::debug("WebSocket upgrade refused (", status, "): ", why);
    if (status == 426) hs.push_back("sec-websocket-version", "13");
    hs.push_back("content-length", "0");
    r.reply(status, std::move(hs), {});
    return refuse(r);
  }

  std::unique_ptr<websocket_handler> h_;
  bool keep_request_;
};

}  // namespace

std::unique_ptr<handler> make_websocket_route_handler(std::unique_ptr<websocket_handler> h,
                                                      bool keep_request) {
  return std::make_unique<websocket_route_handler>(std::move(h), keep_request);
}

}  // namespace detail
}  // namespace rodeo
