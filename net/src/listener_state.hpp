#pragma once
// State shared by a listener's actors (connections supervisor, acceptors, connections).
#include <sys/socket.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <caf/actor.hpp>
#include <caf/atom.hpp>

#include "protocol_factory.hpp"
#include "rodeo/listener.hpp"
#include "rodeo/reactor.hpp"
#include "rodeo/stream_handler.hpp"

namespace rodeo::detail {

// Messages inside a listener.
using conn_started_atom = caf::atom_constant<caf::atom("connup")>;  // acceptor -> conns (actor)
using resume_atom = caf::atom_constant<caf::atom("resume")>;        // conns -> acceptor
using rodeo::drain_atom;                                            // -> conns (ms), -> connection
using count_atom = caf::atom_constant<caf::atom("count")>;          // -> conns: size_t
using which_atom = caf::atom_constant<caf::atom("which")>;  // -> conns: std::vector<caf::actor>
using retry_atom = caf::atom_constant<caf::atom("retry")>;  // acceptor's EMFILE back-off
using conn_timer_atom = caf::atom_constant<caf::atom("conntimer")>;  // connection's own timer

struct listener_state {
  std::string name;
  transport_options transport;
  std::shared_ptr<const protocol_options> proto;
  protocol_factory protocols;
  std::shared_ptr<rodeo::reactor> reactor;

  std::atomic<size_t> connections{0};
  std::atomic<uint64_t> accepted{0};       // sockets accepted since start
  std::atomic<uint64_t> accept_errors{0};  // accept4 failures for lack of resources (EMFILE...)
  std::atomic<size_t> max_connections{0};
  std::atomic<bool> draining{false};
  /// An acceptor stopped at max_connections and waits for resume_atom.
  std::atomic<bool> acceptor_waiting{false};

  mutable std::mutex mutex;
  int listen_fd = -1;  // guarded; -1 while suspended
  sockaddr_storage addr{};
  socklen_t addr_len = 0;
  uint16_t port = 0;
  std::vector<caf::actor> acceptors;      // guarded
  caf::actor conns;                       // guarded: the connections supervisor
  std::shared_ptr<const rodeo::env> env;  // guarded; replaced by set_env

  std::shared_ptr<const rodeo::env> current_env() const {
    std::lock_guard<std::mutex> guard{mutex};
    return env;
  }
};

}  // namespace rodeo::detail
