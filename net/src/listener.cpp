// Listeners (Ranch): the listening socket, acceptor actors, the connections supervisor, and the
// blocking API around them.
#include "rodeo/listener.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <any>
#include <cerrno>
#include <cstring>
#include <map>
#include <thread>
#include <unordered_map>

#include <caf/all.hpp>

#include "listener_registry.hpp"
#include "rodeo/atoms.hpp"
#include "rodeo/exit.hpp"
#include "rodeo/log.hpp"
#include "rodeo/process.hpp"
#include "rodeo/prometheus.hpp"
#include "rodeo/supervisor.hpp"

namespace rodeo {
namespace detail {
namespace {

using drain_timeout_atom = caf::atom_constant<caf::atom("draintmo")>;

std::string errno_name(int err) {
  switch (err) {
    case EADDRINUSE:
      return "eaddrinuse";
    case EACCES:
      return "eacces";
    case EADDRNOTAVAIL:
      return "eaddrnotavail";
    case EINVAL:
      return "einval";
    case EAFNOSUPPORT:
      return "eafnosupport";
    case EMFILE:
      return "emfile";
    case ENFILE:
      return "enfile";
    default:
      return std::string{"errno "} + std::to_string(err) + " (" + std::strerror(err) + ")";
  }
}

caf::error socket_error(int err, const std::string& what) {
  return caf::make_error(caf::sec::cannot_open_port,
                         errno_name(err) + ": " + what + ": " + std::strerror(err));
}

// Resolves ip/port into ls->addr.
caf::error resolve(listener_state& ls) {
  auto& t = ls.transport;
  std::memset(&ls.addr, 0, sizeof ls.addr);
  if (t.ip.find(':') != std::string::npos) {
    auto& a = reinterpret_cast<sockaddr_in6&>(ls.addr);
    a.sin6_family = AF_INET6;
    a.sin6_port = htons(t.port);
    if (inet_pton(AF_INET6, t.ip.c_str(), &a.sin6_addr) != 1)
      return socket_error(EINVAL, "invalid IPv6 address " + t.ip);
    ls.addr_len = sizeof a;
  } else {
    auto& a = reinterpret_cast<sockaddr_in&>(ls.addr);
    a.sin_family = AF_INET;
    a.sin_port = htons(t.port);
    if (inet_pton(AF_INET, t.ip.c_str(), &a.sin_addr) != 1)
      return socket_error(EINVAL, "invalid IPv4 address " + t.ip);
    ls.addr_len = sizeof a;
  }
  return {};
}

// Opens the listening socket on ls.addr (the bound port is written back, so a resume after a
// port-0 start listens on the same port). Caller holds ls.mutex.
caf::error open_socket(listener_state& ls) {
  int fd = ::socket(ls.addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return socket_error(errno, "socket");
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (ls.addr.ss_family == AF_INET6) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&ls.addr), ls.addr_len) != 0) {
    int err = errno;
    ::close(fd);
    return socket_error(err, "bind " + ls.transport.ip + ":" + std::to_string(ls.transport.port));
  }
  if (::listen(fd, ls.transport.backlog) != 0) {
    int err = errno;
    ::close(fd);
    return socket_error(err, "listen");
  }
  sockaddr_storage bound{};
  socklen_t len = sizeof bound;
  getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &len);
  ls.port = bound.ss_family == AF_INET6 ? ntohs(reinterpret_cast<sockaddr_in6&>(bound).sin6_port)
                                        : ntohs(reinterpret_cast<sockaddr_in&>(bound).sin_port);
  if (ls.addr.ss_family == AF_INET6)
    reinterpret_cast<sockaddr_in6&>(ls.addr).sin6_port = htons(ls.port);
  else
    reinterpret_cast<sockaddr_in&>(ls.addr).sin_port = htons(ls.port);
  ls.listen_fd = fd;
  return {};
}

void close_socket(listener_state& ls) {
  std::lock_guard<std::mutex> guard{ls.mutex};
  if (ls.listen_fd >= 0) ::close(ls.listen_fd);
  ls.listen_fd = -1;
}

void set_socket_options(int fd, const transport_options& t) {
  int one = 1;
  if (t.nodelay) setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (t.keepalive) setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof one);
  if (t.send_buffer > 0)
    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &t.send_buffer, sizeof t.send_buffer);
  if (t.recv_buffer > 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &t.recv_buffer, sizeof t.recv_buffer);
}

// -- Acceptor -------------------------------------------------------------------------------------

struct acceptor_state {
  caf::stateful_actor<acceptor_state>* self = nullptr;
  std::shared_ptr<listener_state> ls;
  caf::actor conns;
  int fd = -1;  // this acceptor's dup() of the listening socket (epoll registers descriptors)
  io_handle* io = nullptr;
  bool waiting = false;      // stopped at max_connections
  bool backing_off = false;  // out of descriptors: a retry is scheduled
  bool reported = false;     // the current accept failure was logged

  acceptor_state() = default;
  explicit acceptor_state(caf::stateful_actor<acceptor_state>* s) : self(s) {}
  ~acceptor_state() { release(); }

  void release() {
    if (fd < 0) return;
    ls->reactor->remove(io);
    ::close(fd);
    fd = -1;
    std::lock_guard<std::mutex> guard{ls->mutex};
    auto& v = ls->acceptors;
    auto me = self->address();
    v.erase(
        std::remove_if(v.begin(), v.end(), [&](const caf::actor& a) { return a.address() == me; }),
        v.end());
  }

  void accept_loop() {
    if (backing_off || fd < 0) return;
    io->rearm_read();
    auto max = ls->max_connections.load();
    for (;;) {
      if (ls->connections.load() >= max) {
        waiting = true;
        ls->acceptor_waiting = true;
        // A connection may have closed between the check and the flag.
        if (ls->connections.load() < (max = ls->max_connections.load())) {
          waiting = false;
          continue;
        }
        return;
      }
      sockaddr_storage ss;
      socklen_t len = sizeof ss;
      int cfd = ::accept4(fd, reinterpret_cast<sockaddr*>(&ss), &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (cfd < 0) {
        int err = errno;
        if (err == EINTR || err == ECONNABORTED || err == EPROTO) continue;
        if (err == EAGAIN || err == EWOULDBLOCK) return;
        // Out of descriptors or memory (EMFILE, ENFILE, ENOBUFS, ENOMEM) or worse: report once,
        // then retry later; never spin, never crash.
        ++ls->accept_errors;
        if (!reported)
          log::error("listener ", ls->name, ": accept failed: ", std::strerror(err),
                     "; retrying every 100 ms");
        reported = true;
        backing_off = true;
        self->delayed_send(self, std::chrono::milliseconds{100}, retry_atom::value);
        return;
      }
      if (reported) log::info("listener ", ls->name, ": accepting again");
      reported = false;
      set_socket_options(cfd, ls->transport);
      ++ls->accepted;
      ++ls->connections;
      auto conn = ls->protocols.start(self, cfd, ls);
      self->send(conns, conn_started_atom::value, conn);
    }
  }
};

caf::behavior acceptor(caf::stateful_actor<acceptor_state>* self,
                       std::shared_ptr<listener_state> ls) {
  auto& st = self->state;
  st.self = self;
  st.ls = ls;
  {
    std::lock_guard<std::mutex> guard{ls->mutex};
    st.conns = ls->conns;
    if (ls->listen_fd >= 0) st.fd = ::fcntl(ls->listen_fd, F_DUPFD_CLOEXEC, 0);
  }
  if (st.fd < 0) throw std::runtime_error("listener " + ls->name + " has no listening socket");
  st.io = ls->reactor->add(st.fd, caf::actor_cast<caf::actor>(self));
  if (!st.io) {
    ::close(st.fd);
    st.fd = -1;
    throw std::runtime_error("listener " + ls->name + ": the reactor refused the socket");
  }
  {
    std::lock_guard<std::mutex> guard{ls->mutex};
    ls->acceptors.push_back(caf::actor_cast<caf::actor>(self));
  }
  // Stopped by its supervisor: close the socket before exiting, so a suspended listener is
  // really closed when suspend_listener returns.
  self->set_exit_handler([self](caf::exit_msg& msg) {
    self->state.release();
    self->quit(msg.reason);
  });
  self->send(self, readable_atom::value);  // connections may be queued already
  return {
      [self](readable_atom) { self->state.accept_loop(); },
      [self](resume_atom) {
        auto& s = self->state;
        s.waiting = false;
        s.accept_loop();
      },
      [self](retry_atom) {
        self->state.backing_off = false;
        self->state.accept_loop();
      },
  };
}

// -- Connections supervisor
// -------------------------------------------------------------------------

struct conns_state {
  std::shared_ptr<listener_state> ls;
  std::unordered_map<caf::actor_id, caf::actor> conns;
  caf::response_promise drain_rp;
  bool stopping = false;
  caf::error stop_reason;
};

void wake_acceptors(listener_state& ls) {
  if (!ls.acceptor_waiting.exchange(false)) return;
  std::vector<caf::actor> acceptors;
  {
    std::lock_guard<std::mutex> guard{ls.mutex};
    acceptors = ls.acceptors;
  }
  for (auto& a : acceptors) caf::anon_send(a, resume_atom::value);
}

caf::behavior connections_sup(caf::stateful_actor<conns_state>* self,
                              std::shared_ptr<listener_state> ls) {
  self->state.ls = ls;
  auto maybe_done = [self] {
    auto& st = self->state;
    if (!st.conns.empty()) return;
    if (st.drain_rp.pending()) {
      st.drain_rp.deliver(size_t{0});
      st.drain_rp = caf::response_promise{};
    }
    if (st.stopping) self->quit(st.stop_reason);
  };
  self->set_down_handler([self, maybe_done](caf::down_msg& down) {
    auto& st = self->state;
    if (st.conns.erase(down.source.id()) == 0) return;
    auto max = st.ls->max_connections.load();
    if (st.ls->connections.fetch_sub(1) - 1 < max) wake_acceptors(*st.ls);
    maybe_done();
  });
  // Stopped by the listener supervisor: close every connection, wait for them (the supervisor
  // kills this actor after its shutdown timeout).
  self->set_exit_handler([self, maybe_done](caf::exit_msg& msg) {
    auto& st = self->state;
    st.stopping = true;
    st.stop_reason = msg.reason;
    for (auto& [id, c] : st.conns) self->send_exit(c, reason::shutdown());
    maybe_done();
  });
  return {
      [self](conn_started_atom, caf::actor& conn) {
        auto& st = self->state;
        self->monitor(conn);
        if (st.stopping)
          self->send_exit(conn, reason::shutdown());
        else if (st.drain_rp.pending())
          self->send(conn, drain_atom::value);
        st.conns.emplace(conn.id(), std::move(conn));
      },
      [self](count_atom) { return self->state.conns.size(); },
      [self](which_atom) {
        std::vector<caf::actor> out;
        out.reserve(self->state.conns.size());
        for (auto& [id, c] : self->state.conns) out.push_back(c);
        return out;
      },
      [self](resume_atom) { wake_acceptors(*self->state.ls); },
      [self](drain_atom, int64_t ms) {
        auto& st = self->state;
        auto rp = self->make_response_promise();
        if (st.conns.empty()) {
          rp.deliver(size_t{0});
          return;
        }
        if (st.drain_rp.pending()) {
          rp.deliver(caf::make_error(caf::sec::invalid_argument, "already draining"));
          return;
        }
        st.drain_rp = std::move(rp);
        for (auto& [id, c] : st.conns) self->send(c, drain_atom::value);
        self->delayed_send(self, std::chrono::milliseconds{ms}, drain_timeout_atom::value);
      },
      [self](drain_timeout_atom) {
        auto& st = self->state;
        if (!st.drain_rp.pending()) return;
        // What is left at the deadline is closed, and counted.
        for (auto& [id, c] : st.conns) self->send_exit(c, reason::shutdown("drain_timeout"));
        st.drain_rp.deliver(st.conns.size());
        st.drain_rp = caf::response_promise{};
      },
  };
}

// -- The listener's supervision tree
// ------------------------------------------------------------------

supervisor_spec listener_tree(const std::shared_ptr<listener_state>& ls) {
  child_spec conns{
      .id = "connections",
      .start =
          [ls](caf::actor_system& sys) {
            auto c = rodeo::spawn(sys, connections_sup, ls);
            std::lock_guard<std::mutex> guard{ls->mutex};
            ls->conns = c;
            return c;
          },
      .restart = restart_type::permanent,
      .shutdown = shutdown_spec{ls->transport.shutdown_timeout},
      .type = child_type::worker,
  };
  supervisor_init acceptors_init = [ls]() -> caf::expected<supervisor_spec> {
    {
      std::lock_guard<std::mutex> guard{ls->mutex};
      if (ls->listen_fd < 0)
        if (auto err = open_socket(*ls)) return err;
    }
    supervisor_spec spec{.flags = {.strategy = strategy::one_for_one,
                                   .intensity = 10,
                                   .period = std::chrono::seconds{10},
                                   .clock = {}},
                         .children = {}};
    for (size_t i = 0; i < std::max<size_t>(1, ls->transport.num_acceptors); ++i)
      spec.children.push_back({
          .id = "acceptor_" + std::to_string(i + 1),
          .start = [ls](caf::actor_system& sys) { return rodeo::spawn(sys, acceptor, ls); },
          .restart = restart_type::permanent,
          .shutdown = std::nullopt,
          .type = child_type::worker,
      });
    return spec;
  };
  child_spec acceptors{
      .id = "acceptors",
      .start = [ls, acceptors_init](caf::actor_system& sys) -> caf::expected<caf::actor> {
        auto sup = start_supervisor(sys, acceptors_init);
        if (!sup) return sup;
        // The acceptors' supervisor owns the listening socket: it closes when the supervisor ends
        // (suspend_listener, stop, or a restart of the acceptors).
        caf::actor_cast<caf::abstract_actor*>(*sup)->attach_functor([ls] { close_socket(*ls); });
        return sup;
      },
      .restart = restart_type::permanent,
      .shutdown = std::nullopt,
      .type = child_type::supervisor,
  };
  return supervisor_spec{
      .flags = {.strategy = strategy::rest_for_one,
                .intensity = 10,
                .period = std::chrono::seconds{10},
                .clock = {}},
      .children = {conns, acceptors},
  };
}

}  // namespace
}  // namespace detail

using namespace detail;

namespace {

caf::expected<listener_info> start_listener(node& n, std::string name, transport_options transport,
                                            protocol_options proto,
                                            std::shared_ptr<tls_listener> tls) {
  auto ls = std::make_shared<listener_state>();
  ls->name = name;
  ls->transport = std::move(transport);
  ls->protocols = protocol_factory{proto, std::move(tls)};
  ls->env = std::make_shared<const env>(proto.env);
  ls->proto = std::make_shared<const protocol_options>(std::move(proto));
  ls->max_connections = ls->transport.max_connections;
  if (auto err = resolve(*ls)) return err;
  bool first = false;
  {
    std::lock_guard<std::mutex> guard{registry_mutex};
    auto& all = listeners();
    first = all.find(&n) == all.end();
    auto& mine = all[&n];
    if (mine.count(name)) return make_error(supervisor_error::already_started);
    mine[name] = listener_entry{ls, caf::actor{}};  // reserved while starting
  }
  auto unreserve = [&] {
    std::lock_guard<std::mutex> guard{registry_mutex};
    listeners()[&n].erase(name);
  };
  prometheus::registry::of(n)->add_once("listeners", [np = &n]() -> prometheus::collector {
    return [np](prometheus::exposition& e) {
      collect_listeners(np, e);
    };
  });
  // The reactor's stop hook is registered before the listeners' one, so it runs after it.
  ls->reactor = reactor::of(n);
  if (first)
    n.on_stop([np = &n] {
      std::vector<std::string> names;
      {
        std::lock_guard<std::mutex> guard{registry_mutex};
        for (auto& [nm, e] : listeners()[np]) names.push_back(nm);
      }
      for (auto& nm : names) stop_listener(*np, nm);
      std::lock_guard<std::mutex> guard{registry_mutex};
      listeners().erase(np);
    });
  {
    std::lock_guard<std::mutex> guard{ls->mutex};
    if (auto err = open_socket(*ls)) {
      unreserve();
      return err;
    }
  }
  auto sup = start_supervisor(n.system(), listener_tree(ls));
  if (!sup) {
    close_socket(*ls);
    unreserve();
    return sup.error();
  }
  {
    std::lock_guard<std::mutex> guard{registry_mutex};
    listeners()[&n][name].sup = *sup;
  }
  return info_of(name, {ls, *sup});
}

// The protocols a TLS listener offers by ALPN: those it serves (Cowboy's `protocols`).
tls_options served_by_alpn(tls_options tls, const protocol_options& proto) {
  std::erase_if(tls.alpn_preferred_protocols, [&](const std::string& p) {
    if (p == "h2") return !proto.accepts(http_protocol::http2);
    return p != "http/1.1" || !proto.accepts(http_protocol::http);
  });
  return tls;
}

}  // namespace

caf::expected<listener_info> start_clear(node& n, std::string name, transport_options transport,
                                         protocol_options proto) {
  return start_listener(n, std::move(name), std::move(transport), std::move(proto), nullptr);
}

caf::expected<listener_info> start_tls(node& n, std::string name, transport_options transport,
                                       tls_options tls, protocol_options proto) {
  auto listener = std::make_shared<tls_listener>();
  try {
    listener->context = std::make_shared<const tls_context>(served_by_alpn(std::move(tls), proto));
  } catch (const tls_error& e) {
    return caf::make_error(caf::sec::invalid_argument, e.what());
  }
  listener->stats = std::make_shared<tls_stats>(name);
  return start_listener(n, std::move(name), std::move(transport), std::move(proto),
                        std::move(listener));
}

caf::error set_tls_options(node& n, const std::string& name, tls_options tls) {
  auto e = find(n, name);
  if (!e || !e->ls->protocols.tls()) return make_error(supervisor_error::not_found);
  try {
    e->ls->protocols.tls()->context =
        std::make_shared<const tls_context>(served_by_alpn(std::move(tls), *e->ls->proto));
  } catch (const tls_error& err) {
    return caf::make_error(caf::sec::invalid_argument, err.what());
  }
  return {};
}

std::shared_ptr<const tls_stats> get_tls_stats(node& n, const std::string& name) {
  auto e = find(n, name);
  if (!e || !e->ls->protocols.tls()) return nullptr;
  return e->ls->protocols.tls()->stats;
}

bool stop_listener(node& n, const std::string& name) {
  auto e = find(n, name);
  if (!e) return false;
  {
    std::lock_guard<std::mutex> guard{registry_mutex};
    listeners()[&n].erase(name);
  }
  stop_supervisor(e->sup, reason::shutdown());
  close_socket(*e->ls);
  return true;
}

bool suspend_listener(node& n, const std::string& name) {
  auto e = find(n, name);
  if (!e) return false;
  auto err = terminate_child(e->sup, "acceptors");
  if (err && err != supervisor_error::not_found) return false;
  // The supervisor's own close runs after its exit is reported (CAF runs the newest attachable, the
  // parent's monitor, first): close here so the socket is shut when this returns.
  close_socket(*e->ls);
  return true;
}

caf::error resume_listener(node& n, const std::string& name) {
  auto e = find(n, name);
  if (!e) return make_error(supervisor_error::not_found);
  {
    std::lock_guard<std::mutex> guard{e->ls->mutex};
    if (e->ls->listen_fd >= 0) return {};
  }
  auto r = restart_child(e->sup, "acceptors");
  if (!r) return r.error();
  return {};
}

std::optional<uint16_t> get_port(node& n, const std::string& name) {
  auto e = find(n, name);
  if (!e) return std::nullopt;
  std::lock_guard<std::mutex> guard{e->ls->mutex};
  return e->ls->port;
}

std::optional<size_t> connection_count(node& n, const std::string& name) {
  auto e = find(n, name);
  if (!e) return std::nullopt;
  return e->ls->connections.load();
}

std::optional<size_t> get_max_connections(node& n, const std::string& name) {
  auto e = find(n, name);
  if (!e) return std::nullopt;
  return e->ls->max_connections.load();
}

bool set_max_connections(node& n, const std::string& name, size_t max) {
  auto e = find(n, name);
  if (!e) return false;
  e->ls->max_connections = max;
  if (auto c = conns_of(*e)) caf::anon_send(c, resume_atom::value);
  return true;
}

namespace {

// Drains one listener; the connections closed at the deadline (nullopt: no such listener).
std::optional<size_t> drain_one(node& n, const std::string& name,
                                std::chrono::milliseconds timeout) {
  auto e = find(n, name);
  if (!e) return std::nullopt;
  // Suspended first: once the status reads draining, new connections are refused.
  suspend_listener(n, name);
  e->ls->draining = true;
  size_t cut = 0;
  if (auto c = conns_of(*e)) {
    caf::scoped_actor self{n.system()};
    self->request(c, timeout + std::chrono::seconds{5}, drain_atom::value,
                  static_cast<int64_t>(timeout.count()))
        .receive([&](size_t left) { cut = left; },
                 [&](caf::error&) { cut = e->ls->connections.load(); });
  }
  if (cut > 0)
    log::warning("listener ", name, ": drain deadline passed, ", cut, " connection(s) closed");
  stop_listener(n, name);
  return cut;
}

}  // namespace

bool drain_listener(node& n, const std::string& name, std::chrono::milliseconds timeout) {
  auto cut = drain_one(n, name, timeout);
  return cut && *cut == 0;
}

size_t drain(node& n, std::chrono::milliseconds timeout) {
  std::vector<std::string> names;
  {
    std::lock_guard<std::mutex> guard{registry_mutex};
    if (auto i = listeners().find(&n); i != listeners().end())
      for (auto& [name, e] : i->second)
        if (e.sup) names.push_back(name);
  }
  // Every listener drains at once, against the same deadline.
  std::vector<std::thread> threads;
  std::atomic<size_t> cut{0};
  for (auto& name : names)
    threads.emplace_back([&, name] { cut += drain_one(n, name, timeout).value_or(0); });
  for (auto& t : threads) t.join();
  return cut.load();
}

bool set_env(node& n, const std::string& name, const std::string& key, std::any value) {
  auto e = find(n, name);
  if (!e) return false;
  std::lock_guard<std::mutex> guard{e->ls->mutex};
  auto next = std::make_shared<env>(*e->ls->env);
  if (key == "dispatch") {
    if (auto* d = std::any_cast<rodeo::dispatch>(&value))
      next->dispatch = std::make_shared<const rodeo::dispatch>(std::move(*d));
    else if (auto* p = std::any_cast<std::shared_ptr<const rodeo::dispatch>>(&value))
      next->dispatch = *p;
    else
      return false;
  } else {
    next->values[key] = std::move(value);
  }
  e->ls->env = std::move(next);
  return true;
}

bool set_env(node& n, const std::string& name, rodeo::dispatch d) {
  return set_env(n, name, "dispatch", std::any{std::move(d)});
}

}  // namespace rodeo
