#pragma once
// The protocol factory (cowboy_clear / cowboy_tls): a listener is started with the protocols it
// speaks, and its acceptors ask the factory which protocol actor an accepted connection gets and
// on which transport. Each protocol's own options (built once from the user's protocol_options)
// live here with it.
//
// Every connection starts in the HTTP/1.1 actor, which becomes HTTP/2 (http1_to_http2.cpp) on the
// preface (prior knowledge), `Upgrade: h2c`, or ALPN `h2` on TLS, as the `protocols` option allows.
#include <atomic>
#include <memory>

#include <caf/actor.hpp>
#include <caf/fwd.hpp>

#include "rodeo/http1_parser.hpp"
#include "rodeo/protocol_options.hpp"
#include "rodeo/tls_transport.hpp"
#include "rodeo/transport.hpp"

namespace rodeo::detail {

struct listener_state;

/// HTTP/1.1's options: the request parser's limits.
struct http1_options {
  http1::limits limits;
};
http1_options http1_options_of(const protocol_options& proto);

/// A TLS listener's current context (replaced by set_tls_options: new connections take the new
/// one, open ones keep theirs) and its handshake counters.
struct tls_listener {
  std::atomic<std::shared_ptr<const tls_context>> context;
  std::shared_ptr<tls_stats> stats;
};

class protocol_factory {
 public:
  protocol_factory() = default;
  explicit protocol_factory(const protocol_options& proto,
                            std::shared_ptr<tls_listener> tls = nullptr)
      : http1_(http1_options_of(proto)), tls_(std::move(tls)) {}

  /// Spawns the connection actor for an accepted socket (it opens its transport itself).
  caf::actor start(caf::local_actor* parent, int fd, std::shared_ptr<listener_state> ls) const;
  /// The transport of an accepted socket, registered for `owner` (plain TCP, or TLS over it).
  /// nullptr when the reactor refuses the socket (it is closed then).
  std::unique_ptr<transport> open(int fd, std::shared_ptr<rodeo::reactor> r,
                                  caf::actor owner) const;

  const http1_options& http1() const noexcept { return http1_; }
  const std::shared_ptr<tls_listener>& tls() const noexcept { return tls_; }

 private:
  http1_options http1_;
  std::shared_ptr<tls_listener> tls_;
};

/// Spawns the HTTP/1.1 connection actor for an accepted socket (http1_connection.cpp).
caf::actor spawn_http1_connection(caf::local_actor* parent, int fd,
                                  std::shared_ptr<listener_state> ls);

}  // namespace rodeo::detail
