#pragma once
// WebSocket handlers (Cowboy's cowboy_websocket). A route's handler decides in init(), inside the
// request actor, whether to upgrade; after the 101 the HTTP/1.1 connection actor itself becomes
// the session (its handle is Erlang's WsPid) and runs websocket_init, websocket_handle,
// websocket_info and terminate. Each callback returns commands, executed in order.
//
//   struct ws_h : rodeo::websocket_handler {
//     rodeo::ws::commands websocket_init() override {
//       rodeo::node::of(self()->system()).groups().join("ws", handle());
//       return {};
//     }
//     rodeo::ws::commands websocket_handle(const rodeo::ws::in_frame& f) override {
//       if (f.type != rodeo::ws::frame_type::text) return {};
//       return {rodeo::ws::text("responding to " + std::string{f.data}), rodeo::ws::hibernate};
//     }
//     rodeo::ws::commands websocket_info(caf::message& msg) override {
//       return rodeo::ws::from_data(msg);   // (data_atom, X) -> one frame X; others: nothing
//     }
//   };
//   rodeo::route_list routes{{"_", {{"/ws", rodeo::websocket_of<ws_h>()}}}};
//
// Sending to a session is `WsPid ! {data, X}`, in order per sender, from anywhere:
//   self->send(ws, rodeo::data_atom::value, std::string{"hi"});        // from an actor
//   caf::anon_send(ws, rodeo::data_atom::value, std::string{"hi"});    // from any thread
// A std::string is sent as a text frame, a std::vector<char> as a binary frame (both are CAF
// built-in types, so this also works from another node).
//
// Broadcast: rodeo::ws_broadcast(node, "group", text) frames the message once; every session of
// the process group writes the same bytes (std::shared_ptr<const std::string>, no copy, no call to
// websocket_info). Sessions that agreed on permessage-deflate get this frame uncompressed (legal:
// compression is per message); compressing per session would cost a deflate per member and keep
// no bytes shared.
//
// Protocol: RFC 6455 and RFC 7692 through the pure codecs (ws_frame.hpp, ws_deflate.hpp,
// ws_handshake.hpp). A request that is not a WebSocket upgrade is answered 426 (with
// sec-websocket-version: 13), a malformed one 400; pings are answered with pongs automatically
// (and still shown to websocket_handle); a client's close is echoed, then the TCP connection is
// closed; a close the server starts waits close_timeout for the client's. Protocol errors close
// with 1002, bad UTF-8 with 1007, frames, messages or inflated messages over max_frame_size with
// 1009, a crash in a callback with 1011.
//
// Slow clients: frames wait in a per-session queue while the socket does not take them. Reading
// from the client stops while 256 KiB wait (so an echo cannot grow the queue), and a frame that
// arrives while more than max_send_queue bytes wait is not queued: the waiting frames that were not
// started are dropped and the session closes with send_queue_close_code (1008 by default). A
// session therefore holds at most max_send_queue + one frame.
//
// The handler interface knows no socket: the session core talks to its transport through a narrow
// interface (read, write, pause, close), so an HTTP/2 stream (RFC 8441) can host the same handlers.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include <caf/actor.hpp>
#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/error.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/message.hpp>

#include "rodeo/handler.hpp"
#include "rodeo/http_message.hpp"
#include "rodeo/ws_deflate.hpp"
#include "rodeo/ws_frame.hpp"

namespace rodeo {

class node;
class req;
class websocket_handler;

namespace ws {

/// Cowboy's websocket options (the Opts of {cowboy_websocket, Req, State, Opts}).
struct options {
  /// No data received for this long closes the session with 1000 (terminate reason: timeout).
  /// std::chrono::milliseconds::max() disables it.
  std::chrono::milliseconds idle_timeout{60000};
  /// Largest frame, reassembled message and inflated message accepted from the client (→ 1009).
  uint64_t max_frame_size = uint64_t{1} << 20;
  /// Accept permessage-deflate when the client offers it.
  bool compress = false;
  /// permessage-deflate parameters (window bits, context takeover, level, threshold).
  deflate_options deflate_opts;
  /// Bytes that may wait for a client that does not read before the session gives up on it.
  size_t max_send_queue = size_t{1} << 20;
  /// The close code sent then: 1008 (policy violation) or 1013 (try again later).
  uint16_t send_queue_close_code = close_code::policy_violation;
  /// Ranch's send_timeout: output the client takes nothing of for this long ends the session
  /// (terminate reason {error, send_timeout}; the connection is reset, as Ranch's
  /// send_timeout_close does). Zero: no limit.
  std::chrono::milliseconds send_timeout{30000};
  /// How long a close the server started waits for the client's close (and its own close frame
  /// to be written) before the TCP connection is closed anyway.
  std::chrono::milliseconds close_timeout{5000};
  /// Cowboy's req_filter: what is kept of the upgrade request for terminate(). By default the
  /// method, version, URI parts, peer and listener are kept, not the headers. The request is kept
  /// only when the handler overrides terminate().
  std::function<rodeo::request(const rodeo::request&)> req_filter;
};

/// What init() decides: upgrade (with options and a subprotocol) or not (it replied itself).
class init_result {
 public:
  bool upgrade() const noexcept { return upgrade_; }
  const ws::options& opts() const noexcept { return opts_; }
  const std::string& protocol() const noexcept { return protocol_; }

  init_result(bool up, ws::options o, std::string protocol)
      : opts_(std::move(o)), protocol_(std::move(protocol)), upgrade_(up) {}

 private:
  ws::options opts_;
  std::string protocol_;
  bool upgrade_;
};

/// Cowboy's {cowboy_websocket, Req, State, Opts}.
inline init_result upgrade(options o = {}) {
  return {true, std::move(o), {}};
}
/// Upgrade and answer with this subprotocol (one the client offered: see protocols()).
inline init_result upgrade(std::string protocol, options o = {}) {
  return {true, std::move(o), std::move(protocol)};
}
/// Cowboy's {ok, Req, State}: no upgrade; init() replied with req.reply() (otherwise: 204).
inline init_result no_upgrade() {
  return {false, {}, {}};
}

/// The subprotocols the client offers (sec-websocket-protocol), in its order of preference.
/// Throws http_error(400) when the header is malformed.
std::vector<std::string> protocols(const rodeo::req& r);

enum class frame_type : uint8_t { text, binary, ping, pong };

/// A frame given to websocket_handle: a whole text (valid UTF-8) or binary message, or a ping or
/// pong. `data` is valid during the call only.
struct in_frame {
  frame_type type;
  std::string_view data;
};

// --- Commands (Cowboy's websocket commands) ---

/// A text, binary, ping or pong frame; the payload is written as is (no copy).
struct send_frame {
  opcode op;
  std::string payload;
};
/// A close frame; the session then closes (terminate reason: stop).
struct close_frame {
  uint16_t code = close_code::normal;
  std::string reason;
};
/// A whole frame, framed once and shared by many sessions (see share() and ws_broadcast()).
struct shared_frame {
  std::shared_ptr<const std::string> bytes;
};
/// Stops (false) or resumes (true) reading from the client: flow control.
struct active_cmd {
  bool value;
};
/// Turns compression of outgoing messages off or back on (when permessage-deflate was agreed).
struct deflate_cmd {
  bool value;
};
/// Changes options of a running session.
struct set_options_cmd {
  std::optional<std::chrono::milliseconds> idle_timeout;
  std::optional<uint64_t> max_frame_size;
};
/// The exit reason of the session actor when it ends (default: normal).
struct shutdown_reason_cmd {
  caf::error reason;
};
/// Frees the session's buffers now (CAF has no hibernation; an idle session shrinks itself).
struct hibernate_cmd {};

using command = std::variant<send_frame, close_frame, shared_frame, active_cmd, deflate_cmd,
                             set_options_cmd, shutdown_reason_cmd, hibernate_cmd>;

/// What callbacks return: `return {};` or `return {ws::text("hi"), ws::hibernate};`. Commands are
/// moved in, so payloads are never copied.
class commands {
 public:
  commands() = default;
  template <class... Cs>
  requires(sizeof...(Cs) > 0 && (std::is_constructible_v<command, Cs&&> && ...))
      commands(Cs&&... cs) {  // NOLINT: implicit, for `return {...};`
    items_.reserve(sizeof...(Cs));
    (items_.emplace_back(std::forward<Cs>(cs)), ...);
  }
  void push_back(command c) { items_.push_back(std::move(c)); }
  bool empty() const noexcept { return items_.empty(); }
  size_t size() const noexcept { return items_.size(); }
  auto begin() noexcept { return items_.begin(); }
  auto end() noexcept { return items_.end(); }
  auto begin() const noexcept { return items_.begin(); }
  auto end() const noexcept { return items_.end(); }

 private:
  std::vector<command> items_;
};

inline send_frame text(std::string payload) {
  return {opcode::text, std::move(payload)};
}
inline send_frame binary(std::string payload) {
  return {opcode::binary, std::move(payload)};
}
/// Control frames carry at most 125 bytes: std::length_error otherwise.
send_frame ping(std::string payload = {});
send_frame pong(std::string payload = {});
/// std::invalid_argument for a code an endpoint may not send (see ws::valid_close_code); the
/// reason is cut to 123 bytes on a code point boundary.
close_frame close(uint16_t code = close_code::normal, std::string reason = {});
inline active_cmd active(bool on) {
  return {on};
}
inline deflate_cmd deflate(bool on) {
  return {on};
}
inline set_options_cmd set_options(set_options_cmd o) {
  return o;
}
inline shutdown_reason_cmd shutdown_reason(caf::error reason) {
  return {std::move(reason)};
}
inline constexpr hibernate_cmd hibernate{};

/// A frame built once for many sessions: send the result to each (or through a process group).
shared_frame share(frame_type type, std::string_view payload);

/// `{data, X}` as a frame: (data_atom, std::string) → text, (data_atom, std::vector<char>) →
/// binary; any other message → no command. The payload is moved out when the message is not
/// shared.
commands from_data(caf::message& msg);

/// Why a session ended (Cowboy's terminate reasons).
struct terminate_reason {
  enum class kind : uint8_t {
    normal,        // no upgrade took place (init returned no_upgrade or the request was refused)
    stop,          // the handler sent a close frame
    timeout,       // idle_timeout
    remote,        // the client's close frame had no code
    remote_close,  // {remote, code, payload}: the client closed with `code` and `detail`
    error,         // {error, detail}: badframe (1002), badencoding (1007), badsize (1009),
                   // closed (TCP closed without a close frame), send_queue_full, shutdown
                   // (listener drained) or the exit reason that ended the session
    crash,         // {crash, detail}: a callback threw
  };
  kind what = kind::normal;
  uint16_t code = 0;
  std::string detail;
};
/// Erlang-style text: normal, stop, timeout, remote, {remote,1000,<<"bye">>}, {error,closed},
/// {crash,"what"}.
std::string to_string(const terminate_reason& r);

}  // namespace ws

/// Cowboy's cowboy_websocket behaviour. The handler object is the handler's state: it is made
/// per request, init() runs in the request actor, everything else in the session actor.
class websocket_handler {
 public:
  virtual ~websocket_handler();
  /// Inside the request actor (Req API available): upgrade or not. Default: ws::upgrade().
  /// Throwing http_error answers with its status.
  virtual ws::init_result init(rodeo::req& r);
  /// First callback in the session actor: self() is the session (publish handle() here).
  virtual ws::commands websocket_init();
  /// A message or control frame from the client.
  virtual ws::commands websocket_handle(const ws::in_frame& frame);
  /// Any other message sent to the session (down messages of monitored actors included).
  /// Default: ws::from_data(msg).
  virtual ws::commands websocket_info(caf::message& msg);
  /// The session ended (or no upgrade took place). `req` is the filtered upgrade request.
  virtual void terminate(const ws::terminate_reason& reason, const rodeo::request& req);

 protected:
  /// The session actor, from websocket_init on (null in init()): Erlang's self().
  caf::event_based_actor* self() const noexcept { return self_; }
  /// Its handle, for groups, registries and other actors.
  caf::actor handle() const;

 private:
  friend class ws_session_access;
  caf::event_based_actor* self_ = nullptr;
};

namespace detail {
/// Wraps a websocket handler into the route handler that runs its init and the upgrade.
std::unique_ptr<handler> make_websocket_route_handler(std::unique_ptr<websocket_handler> h,
                                                      bool keep_request);
}  // namespace detail

/// A route target for websocket handler H, made per request from copies of `args`.
template <class H, class... Args>
handler_ref websocket_of(Args&&... args) {
  static_assert(std::is_base_of_v<websocket_handler, H>,
                "websocket_of<H>: H must derive from rodeo::websocket_handler");
  // The upgrade request is kept for terminate() only when H overrides it.
  constexpr bool keep =
      !std::is_same_v<decltype(&H::terminate), decltype(&websocket_handler::terminate)>;
  struct factory final : handler_factory {
    explicit factory(std::decay_t<Args>... xs) : args(std::move(xs)...) {}
    std::tuple<std::decay_t<Args>...> args;
    std::unique_ptr<handler> make() const override {
      return detail::make_websocket_route_handler(
          std::apply([](const auto&... xs) { return std::make_unique<H>(xs...); }, args), keep);
    }
  };
  return handler_ref{std::make_shared<const factory>(std::forward<Args>(args)...)};
}

/// Sends `text` as one text frame to every session in process group `group`; the frame is built
/// once. Returns how many members it was sent to.
size_t ws_broadcast(node& n, const std::string& group, std::string_view text);
/// As above with any frame type (binary, ping...).
size_t ws_broadcast(node& n, const std::string& group, ws::frame_type type,
                    std::string_view payload);

}  // namespace rodeo

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(rodeo::ws::shared_frame)
