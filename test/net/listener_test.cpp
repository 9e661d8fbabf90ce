// Listeners: ports, errors, stop, suspend/resume, max_connections, acceptor restarts, drain,
// live route changes.
#include <catch2/catch.hpp>

#include <sys/resource.h>

#include <future>
#include <mutex>
#include <thread>

#include "net_support.hpp"

using namespace net_test;
using namespace std::chrono_literals;

namespace {

using release_atom = caf::atom_constant<caf::atom("release")>;

rodeo::route_list hello_routes() {
  return {{"_", {{"/", [](rodeo::req& req) {
                    req.reply(200, {}, "Hello world!");
                  }}}}};
}

std::string get(const std::string& path) {
  return "GET " + path + " HTTP/1.1\r\nHost: h\r\n\r\n";
}

bool can_connect(uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  ::close(fd);
  return ok;
}

// A request that waits until someone sends it `release` (the handler reports its handle to the
// probe first).
struct held_h : rodeo::handler {
  explicit held_h(caf::actor probe) : probe(std::move(probe)) {}
  caf::actor probe;
  rodeo::handler_result init(rodeo::req& req) override {
    caf::anon_send(probe, req.handle());
    return rodeo::loop();
  }
  rodeo::handler_result info(caf::message& msg, rodeo::req& req) override {
    if (msg.match_elements<release_atom>()) {
      req.reply(200, {}, "released");
      return rodeo::stop();
    }
    // A drain would end the loop by default: this request stays in flight until released.
    if (msg.match_elements<rodeo::drain_atom>()) return rodeo::loop();
    return rodeo::ok();
  }
};

caf::actor next_handle(caf::scoped_actor& probe) {
  caf::actor h;
  probe->receive([&](caf::actor& a) { h = a; }, caf::after(5s) >> [] {});
  return h;
}

caf::actor acceptor_of(const caf::actor& sup) {
  auto children = rodeo::which_children(sup, 5000ms);
  if (!children) return {};
  for (auto& c : *children)
    if (c.id == "acceptors" && c.handle) {
      auto acceptors = rodeo::which_children(c.handle, 5000ms);
      if (acceptors && !acceptors->empty()) return acceptors->front().handle;
    }
  return {};
}

}  // namespace

TEST_CASE("start_clear on port 0 listens on a free port that get_port returns") {
  server srv;
  srv.start(hello_routes());
  CHECK(srv.port != 0);
  CHECK(rodeo::get_port(srv.node, "test") == srv.port);
  CHECK(rodeo::get_status(srv.node, "test") == rodeo::listener_status::running);
  client c{srv.port};
  c.send(get("/"));
  auto r = c.read_response();
  REQUIRE(r);
  CHECK(r->body == "Hello world!");
}

TEST_CASE("start_clear fails with eaddrinuse when the port is taken") {
  server srv;
  srv.start(hello_routes());
  rodeo::protocol_options proto;
  auto second =
      rodeo::start_clear(srv.node, "second", {.ip = "127.0.0.1", .port = srv.port}, proto);
  REQUIRE_FALSE(second);
  CHECK(caf::to_string(second.error()).find("eaddrinuse") != std::string::npos);
  CHECK_FALSE(rodeo::get_port(srv.node, "second"));
}

TEST_CASE("start_clear fails when the listener name is taken") {
  server srv;
  srv.start(hello_routes());
  auto again = rodeo::start_clear(srv.node, "test", {.ip = "127.0.0.1"}, rodeo::protocol_options{});
  REQUIRE_FALSE(again);
  CHECK(again.error() == rodeo::supervisor_error::already_started);
}

TEST_CASE("stop_listener closes its connections and frees the port") {
  server srv;
  srv.start(hello_routes());
  client c{srv.port};
  c.send(get("/"));
  REQUIRE(c.read_response());
  CHECK(rodeo::stop_listener(srv.node, "test"));
  CHECK(c.closed_by_peer());
  CHECK_FALSE(rodeo::get_port(srv.node, "test"));
  CHECK_FALSE(rodeo::stop_listener(srv.node, "test"));
  auto again = rodeo::start_clear(srv.node, "again", {.ip = "127.0.0.1", .port = srv.port},
                                  rodeo::protocol_options{});
  CHECK(again);
}

TEST_CASE(
    "suspend_listener stops accepting, existing connections go on, resume_listener accepts again") {
  server srv;
  srv.start(hello_routes());
  client c{srv.port};
  c.send(get("/"));
  REQUIRE(c.read_response());
  REQUIRE(rodeo::suspend_listener(srv.node, "test"));
  CHECK(rodeo::get_status(srv.node, "test") == rodeo::listener_status::suspended);
  CHECK_FALSE(can_connect(srv.port));
  c.send(get("/"));
  auto r = c.read_response();
  REQUIRE(r);
  CHECK(r->status == 200);
  CHECK_FALSE(rodeo::resume_listener(srv.node, "test"));
  CHECK(rodeo::get_status(srv.node, "test") == rodeo::listener_status::running);
  CHECK(rodeo::get_port(srv.node, "test") == srv.port);
  client d{srv.port};
  d.send(get("/"));
  CHECK(d.read_response());
}

TEST_CASE("connection_count follows open connections") {
  server srv;
  srv.start(hello_routes());
  CHECK(rodeo::connection_count(srv.node, "test") == 0u);
  auto a = std::make_unique<client>(srv.port);
  auto b = std::make_unique<client>(srv.port);
  CHECK(eventually([&] { return rodeo::connection_count(srv.node, "test") == 2u; }));
  a.reset();
  CHECK(eventually([&] { return rodeo::connection_count(srv.node, "test") == 1u; }));
  b.reset();
  CHECK(eventually([&] { return rodeo::connection_count(srv.node, "test") == 0u; }));
}

TEST_CASE("max_connections: accepting pauses at the limit and resumes when a connection closes") {
  server srv;
  srv.start(hello_routes(), {}, {.max_connections = 2});
  CHECK(rodeo::get_max_connections(srv.node, "test") == 2u);
  auto a = std::make_unique<client>(srv.port);
  client b{srv.port};
  for (auto* c : {a.get(), &b}) {
    c->send(get("/"));
    REQUIRE(c->read_response());
  }
  // The kernel completes the third handshake, but the listener does not take the connection.
  client third{srv.port};
  third.send(get("/"));
  CHECK(third.quiet_for(300ms));
  CHECK(rodeo::connection_count(srv.node, "test") == 2u);
  a.reset();
  auto r = third.read_response();
  REQUIRE(r);
  CHECK(r->status == 200);
  // Raising the limit lets a waiting connection in at once.
  client fourth{srv.port};
  fourth.send(get("/"));
  CHECK(fourth.quiet_for(200ms));
  CHECK(rodeo::set_max_connections(srv.node, "test", rodeo::infinity));
  CHECK(fourth.read_response());
}

TEST_CASE("a killed acceptor is restarted and accepting continues") {
  server srv;
  srv.start(hello_routes());
  auto acceptor = acceptor_of(srv.sup);
  REQUIRE(acceptor);
  caf::anon_send_exit(acceptor, caf::exit_reason::kill);
  CHECK(eventually([&] {
    auto now = acceptor_of(srv.sup);
    return now && now != acceptor;
  }));
  client c{srv.port};
  c.send(get("/"));
  auto r = c.read_response();
  REQUIRE(r);
  CHECK(r->status == 200);
}

TEST_CASE("a crashing connection affects no other connection") {
  server srv;
  caf::scoped_actor probe{srv.node.system()};
  srv.start({{"_",
              {{"/held", rodeo::handler_of<held_h>(caf::actor{probe})},
               {"/conn", [p = caf::actor{probe}](rodeo::req& req) {
                  caf::anon_send(p, req.conn());
                  req.reply(200, {}, "ok");
                }}}}});
  client held{srv.port};
  held.send(get("/held"));
  auto handler = next_handle(probe);
  REQUIRE(handler);
  client victim{srv.port};
  victim.send(get("/conn"));
  auto victim_conn = next_handle(probe);
  REQUIRE(victim_conn);
  REQUIRE(victim.read_response());
  rodeo::send_exit(victim_conn, rodeo::reason::crash("injected"));
  CHECK(victim.closed_by_peer());
  CHECK(eventually([&] { return rodeo::connection_count(srv.node, "test") == 1u; }));
  caf::anon_send(handler, release_atom::value);
  auto r = held.read_response();
  REQUIRE(r);
  CHECK(r->body == "released");
  client after{srv.port};
  after.send(get("/conn"));
  CHECK(after.read_response());
}

TEST_CASE("drain: requests in flight finish with connection: close, idle connections close") {
  server srv;
  caf::scoped_actor probe{srv.node.system()};
  srv.start(
      {{"_", {{"/held", rodeo::handler_of<held_h>(caf::actor{probe})}, {"/", [](rodeo::req& req) {
                                                                          req.reply(200, {}, "ok");
                                                                        }}}}});
  client idle{srv.port};
  idle.send(get("/"));
  REQUIRE(idle.read_response());
  client busy{srv.port};
  busy.send(get("/held"));
  auto handler = next_handle(probe);
  REQUIRE(handler);
  auto drained =
      std::async(std::launch::async, [&] { return rodeo::drain_listener(srv.node, "test", 10s); });
  CHECK(idle.closed_by_peer());
  CHECK_FALSE(can_connect(srv.port));
  caf::anon_send(handler, release_atom::value);
  auto r = busy.read_response();
  REQUIRE(r);
  CHECK(r->body == "released");
  CHECK(r->header_or("connection") == "close");
  CHECK(busy.closed_by_peer());
  REQUIRE(drained.wait_for(10s) == std::future_status::ready);
  CHECK(drained.get());
  CHECK_FALSE(rodeo::get_port(srv.node, "test"));
}

TEST_CASE("drain: new connections are refused once the status reads draining") {
  // The status used to turn draining before the listening socket was closed (a CI failure).
  for (int i = 0; i < 20; ++i) {
    server srv;
    caf::scoped_actor probe{srv.node.system()};
    srv.start({{"_", {{"/held", rodeo::handler_of<held_h>(caf::actor{probe})}}}});
    auto busy = std::make_unique<client>(srv.port);
    busy->send(get("/held"));
    auto handler = next_handle(probe);
    REQUIRE(handler);
    auto drained = std::async(std::launch::async,
                              [&] { return rodeo::drain_listener(srv.node, "test", 10s); });
    while (rodeo::get_status(srv.node, "test") != rodeo::listener_status::draining)
      std::this_thread::yield();
    REQUIRE_FALSE(can_connect(srv.port));
    caf::anon_send(handler, release_atom::value);
    REQUIRE(busy->read_response());
    busy.reset();  // the connection lingers until the client closes
    REQUIRE(drained.wait_for(10s) == std::future_status::ready);
  }
}

TEST_CASE("drain: connections still busy at the deadline are closed") {
  server srv;
  caf::scoped_actor probe{srv.node.system()};
  srv.start({{"_", {{"/held", rodeo::handler_of<held_h>(caf::actor{probe})}}}});
  client busy{srv.port};
  busy.send(get("/held"));
  REQUIRE(next_handle(probe));
  CHECK_FALSE(rodeo::drain_listener(srv.node, "test", 200ms));
  CHECK(busy.closed_by_peer());
}

TEST_CASE("set_env replaces the routes of a running listener for new requests") {
  server srv;
  srv.start(hello_routes());
  client c{srv.port};
  c.send(get("/"));
  REQUIRE(c.read_response()->body == "Hello world!");
  CHECK(rodeo::set_env(srv.node, "test",
                       rodeo::compile(rodeo::route_list{{"_", {{"/", [](rodeo::req& req) {
                                                                  req.reply(200, {}, "new table");
                                                                }}}}})));
  c.send(get("/"));
  auto r = c.read_response();
  REQUIRE(r);
  CHECK(r->body == "new table");
}

TEST_CASE("stopping the node stops its listeners and closes their connections") {
  uint16_t port;
  std::unique_ptr<client> conn;
  {
    server srv;
    srv.start(hello_routes());
    port = srv.port;
    conn = std::make_unique<client>(port);
    conn->send(get("/"));
    REQUIRE(conn->read_response());
  }
  CHECK(conn->closed_by_peer());
  CHECK_FALSE(can_connect(port));
}

TEST_CASE(
    "out of descriptors: the acceptor logs once and backs off while open connections are "
    "served and the waiting ones are accepted once descriptors are back") {
  server srv;
  srv.start(hello_routes());
  std::mutex m;
  std::vector<std::string> logged;
  struct sink_guard {
    rodeo::log::sink_fn previous;
    ~sink_guard() { rodeo::log::set_sink(previous); }
  } guard{rodeo::log::set_sink([&](rodeo::log::level, std::string_view text) {
    std::lock_guard<std::mutex> g{m};
    logged.emplace_back(text);
  })};
  auto failures = [&] {
    std::lock_guard<std::mutex> g{m};
    return std::count_if(logged.begin(), logged.end(),
                         [](auto& s) { return s.find("accept failed") != std::string::npos; });
  };
  {
    // Served once first: lazily initialised state (and the sanitizers' type caches, which need
    // to open files) is ready before descriptors run out.
    client warm{srv.port};
    warm.send(get("/"));
    REQUIRE(warm.read_response());
    rodeo::log::error("warm-up of the log path");
  }
  REQUIRE(eventually([&] { return rodeo::connection_count(srv.node, "test") == 0u; }));
  // A keep-alive connection open before the descriptors run out.
  client kept{srv.port};
  kept.send(get("/"));
  REQUIRE(kept.read_response());
  // Three sockets made now, connected once no descriptor is left: they wait in the backlog.
  std::vector<int> waiting;
  for (int i = 0; i < 3; ++i) {
    waiting.push_back(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    REQUIRE(waiting.back() >= 0);
  }
  // No descriptor can be created from here on: the lowest free number is at the limit.
  int probe_fd = ::dup(0);
  REQUIRE(probe_fd >= 0);
  ::close(probe_fd);
  rlimit old{};
  getrlimit(RLIMIT_NOFILE, &old);
  rlimit low = old;
  low.rlim_cur = static_cast<rlim_t>(probe_fd);
  REQUIRE(setrlimit(RLIMIT_NOFILE, &low) == 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(srv.port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool connected = true;
  for (int fd : waiting)
    connected = connected && ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  bool reported = eventually([&] { return failures() > 0; });
  // Still out of descriptors: the open connection is served meanwhile ...
  kept.send(get("/"));
  auto during = kept.read_response();
  // ... and the acceptor retries every 100 ms instead of spinning on accept4 (thousands of
  // failures in this time if it did).
  std::this_thread::sleep_for(300ms);
  auto refused = rodeo::info(srv.node, "test")->refused;
  setrlimit(RLIMIT_NOFILE, &old);
  REQUIRE(connected);
  CHECK(reported);
  REQUIRE(during);
  CHECK(during->body == "Hello world!");
  CHECK(refused >= 1u);
  CHECK(refused <= 40u);
  std::string request = get("/");
  for (int fd : waiting) {
    REQUIRE(::send(fd, request.data(), request.size(), MSG_NOSIGNAL) ==
            static_cast<ssize_t>(request.size()));
    pollfd p{fd, POLLIN, 0};
    CHECK(::poll(&p, 1, 5000) == 1);
    char buf[512];
    auto n = ::recv(fd, buf, sizeof buf, 0);
    CHECK(std::string(buf, n > 0 ? static_cast<size_t>(n) : 0).rfind("HTTP/1.1 200", 0) == 0);
    ::close(fd);
  }
  CHECK(failures() == 1);
  CHECK(eventually([&] { return rodeo::connection_count(srv.node, "test") == 1u; }));
}
