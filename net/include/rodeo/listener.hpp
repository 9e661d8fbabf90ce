#pragma once
// Listeners, as Ranch's and Cowboy's: a named listening socket with its acceptors and connections,
// serving HTTP/1.1 (cowboy:start_clear/3).
//
//   rodeo::node n;
//   rodeo::protocol_options proto;
//   proto.env.dispatch = std::make_shared<rodeo::dispatch>(rodeo::compile(rodeo::route_list{
//     {"_", {{"/", rodeo::handler_of<hello_h>()}}}}));
//   auto info = rodeo::start_clear(n, "http", {.ip = "127.0.0.1", .port = 8080}, proto);
//   if (!info) std::cerr << caf::to_string(info.error());   // e.g. "...eaddrinuse: bind..."
//
// The listener is a supervision subtree (supervision/), rest_for_one:
//   listener supervisor
//     "connections"  the connections supervisor: monitors every connection actor (temporary:
//                    a crash ends that connection only), counts them for max_connections, drains
//                    and stops them
//     "acceptors"    a one_for_one supervisor of num_acceptors acceptor actors; it owns the
//                    listening socket (suspend_listener stops it and closes the socket,
//                    resume_listener restarts it and listens again on the same port)
// An acceptor owns the listening socket the way a connection owns its socket: the reactor says
// `readable`, the acceptor accept4()s until EAGAIN and spawns one connection actor per socket.
//
// The functions below block the calling thread (they wait for the listener's actors); do not
// call them from inside an actor that must stay responsive.
#include <any>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include <caf/actor.hpp>
#include <caf/error.hpp>
#include <caf/expected.hpp>

#include "rodeo/handler.hpp"
#include "rodeo/node.hpp"
#include "rodeo/protocol_options.hpp"
#include "rodeo/tls_options.hpp"

namespace rodeo {

class tls_stats;

/// Ranch's `infinity` for max_connections.
inline constexpr size_t infinity = std::numeric_limits<size_t>::max();

/// Ranch's transport options (socket_opts and listener options), with Ranch's defaults.
struct transport_options {
  /// The address to listen on. Ranch listens on every interface by default; pass "127.0.0.1" to
  /// stay local. An IPv6 literal ("::1", "::") listens on IPv6.
  std::string ip = "0.0.0.0";
  /// 0: any free port (see get_port()).
  uint16_t port = 0;
  int backlog = 1024;
  /// Acceptor actors sharing the listening socket. 1 by default: with one event-driven reactor an
  /// acceptor drains the whole accept queue on each `readable` (accept4 until EAGAIN), so more
  /// acceptors only race for the same sockets; Ranch's 10 exists because its acceptors block in
  /// accept().
  size_t num_acceptors = 1;
  /// Connections served at once; the acceptors pause at the limit and resume when one closes.
  size_t max_connections = 1024;
  bool nodelay = true;
  bool keepalive = false;
  /// SO_SNDBUF / SO_RCVBUF; 0 keeps the system's (auto-tuned) sizes.
  int send_buffer = 0;
  int recv_buffer = 0;
  /// How long stop_listener waits for connections to close before killing them.
  std::chrono::milliseconds shutdown_timeout{5000};
};

enum class listener_status { running, suspended, draining };

/// A listener at a moment (Ranch's ranch:info/1). start_clear/start_tls return it too.
struct listener_info {
  std::string name;
  std::string ip;
  uint16_t port = 0;
  /// The listener's supervisor (which_children shows "connections" and "acceptors").
  caf::actor sup;
  std::string transport;               // "tcp" or "tls" (Ranch: ranch_tcp, ranch_ssl)
  std::vector<std::string> protocols;  // what it serves: {"http/1.1"}
  listener_status status = listener_status::running;
  size_t active_connections = 0;  // open now (Ranch's active_connections)
  size_t max_connections = 0;     // rodeo::infinity when unlimited
  size_t num_acceptors = 0;
  uint64_t accepted = 0;  // sockets accepted since start
  /// accept4 failures for lack of resources (EMFILE, ENFILE, ENOBUFS, ENOMEM) since start: the
  /// sockets that waited in the backlog instead.
  uint64_t refused = 0;
};

/// cowboy:start_clear/3: listens and serves HTTP/1.1. Errors: already_started (the name is
/// taken), or the socket error (eaddrinuse, eacces, ...) as caf::sec::cannot_open_port with
/// the errno name in its context.
caf::expected<listener_info> start_clear(node& n, std::string name, transport_options transport,
                                         protocol_options proto);
/// cowboy:start_tls/3: as start_clear, over TLS (rodeo/tls_options.hpp). Every handler kind works
/// as over clear (HTTP/1.1, WebSocket as wss://, SSE, long polling); the scheme is "https". ALPN
/// offers only http/1.1 for now (HTTP/2 is not served yet). Errors: those of start_clear, and
/// caf::sec::invalid_argument with tls_error's text for options OpenSSL refuses.
caf::expected<listener_info> start_tls(node& n, std::string name, transport_options transport,
                                       tls_options tls, protocol_options proto);
/// Replaces a TLS listener's certificates and other TLS options (Ranch's set_transport_options):
/// new connections use them, open ones keep theirs. The old options stay when the new ones are
/// refused (invalid_argument); not_found when there is no such TLS listener.
caf::error set_tls_options(node& n, const std::string& name, tls_options tls);
/// A TLS listener's handshake counters (done, failed by cause), or nullptr.
std::shared_ptr<const tls_stats> get_tls_stats(node& n, const std::string& name);
/// Stops accepting, closes every connection (each gets shutdown_timeout to finish its current
/// write; their request actors are told client_gone) and removes the listener. False when there
/// is no such listener.
bool stop_listener(node& n, const std::string& name);
/// Stops accepting and closes the listening socket; existing connections go on.
bool suspend_listener(node& n, const std::string& name);
/// Listens again (same port) and accepts. An error when the port cannot be bound again.
caf::error resume_listener(node& n, const std::string& name);
/// running, suspended (suspend_listener), or draining (inside drain_listener / node_drain).
std::optional<listener_status> get_status(node& n, const std::string& name);
/// ranch:info/1: the listener's state now; nullopt when there is no such listener.
std::optional<listener_info> info(node& n, const std::string& name);
/// ranch:info/0: every listener of the node, by name.
std::vector<listener_info> info(node& n);
/// ranch:procs/2: the listener's acceptor actors or its connection actors (a snapshot).
enum class proc_type { acceptors, connections };
std::vector<caf::actor> procs(node& n, const std::string& name, proc_type type);
/// The port the listener is bound to (useful with port 0).
std::optional<uint16_t> get_port(node& n, const std::string& name);
/// Open connections (Ranch's procs(Ref, connections) count).
std::optional<size_t> connection_count(node& n, const std::string& name);
std::optional<size_t> get_max_connections(node& n, const std::string& name);
bool set_max_connections(node& n, const std::string& name, size_t max);
/// Graceful drain: stop accepting; requests in flight finish and are answered with
/// `connection: close`; idle keep-alive connections close at once. Waits until every connection
/// closed or `timeout` passed (then the rest are closed), and stops the listener. True when all
/// connections finished in time.
bool drain_listener(node& n, const std::string& name, std::chrono::milliseconds timeout);
/// node.drain: drain_listener on every listener of the node at once, against one deadline
/// (WebSocket sessions and loop handlers get rodeo::drain_atom first, see stream_handler.hpp).
/// Returns how many connections were still open at the deadline and closed (0: all finished).
size_t drain(node& n, std::chrono::milliseconds timeout);
/// cowboy:set_env/3: replaces one entry of the listener's env; new requests see it.
/// The key "dispatch" takes a rodeo::dispatch or a std::shared_ptr<const rodeo::dispatch>.
bool set_env(node& n, const std::string& name, const std::string& key, std::any value);
/// Shorthand for set_env(n, name, "dispatch", d).
bool set_env(node& n, const std::string& name, dispatch d);

}  // namespace rodeo
