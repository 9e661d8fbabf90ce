// Listener faults (issue 10): a load client killed with SIGKILL mid-flight, and max_connections
// storms. The node must recover with nothing lost but the cut connections: no descriptor left
// behind, every handler ended, every admitted exchange whole. (Descriptor exhaustion is in
// listener_test.cpp, next to the acceptor's other tests.)
#include <catch2/catch.hpp>

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#include <algorithm>
#include <atomic>
#include <thread>

#include "net_support.hpp"
#include "rodeo/ws_frame.hpp"

using namespace net_test;
using namespace std::chrono_literals;

namespace {

/// Open descriptors of this process (the server runs in it; the clients do not).
size_t open_fds() {
  size_t n = 0;
  DIR* d = ::opendir("/proc/self/fd");
  if (!d) return 0;
  while (auto* e = ::readdir(d))
    if (e->d_name[0] != '.') ++n;
  ::closedir(d);
  return n - 1;  // opendir's own
}

std::string get(const std::string& path) {
  return "GET " + path + " HTTP/1.1\r\nHost: h\r\n\r\n";
}

// What the handlers of the kill test count: each kind started and ended.
struct tally {
  std::atomic<int> held{0}, held_ended{0};
  std::atomic<int> streams{0}, streams_ended{0};
  std::atomic<int> bodies{0}, bodies_ended{0};
  std::atomic<int> bigs{0};
  std::atomic<int> sessions{0}, sessions_ended{0};
};

// A loop handler that waits forever (long polling).
struct held_h : rodeo::handler {
  explicit held_h(std::shared_ptr<tally> t) : t(std::move(t)) {}
  std::shared_ptr<tally> t;
  rodeo::handler_result init(rodeo::req&) override {
    ++t->held;
    return rodeo::loop();
  }
  void terminate(const caf::error&, rodeo::req&) override { ++t->held_ended; }
};

// An endless streamed body: each 16 KiB piece follows when the connection took the last.
struct stream_h : rodeo::handler {
  explicit stream_h(std::shared_ptr<tally> t) : t(std::move(t)) {}
  std::shared_ptr<tally> t;
  static void pump(rodeo::req& req) {
    req.stream_body(std::string(16384, 's'), rodeo::nofin, [](rodeo::req& r) { pump(r); });
  }
  rodeo::handler_result init(rodeo::req& req) override {
    ++t->streams;
    req.stream_reply(200);
    pump(req);
    return rodeo::loop();
  }
  void terminate(const caf::error&, rodeo::req&) override { ++t->streams_ended; }
};

// Reads a body the client sends only the start of.
struct body_h : rodeo::handler {
  explicit body_h(std::shared_ptr<tally> t) : t(std::move(t)) {}
  std::shared_ptr<tally> t;
  rodeo::handler_result init(rodeo::req& req) override {
    ++t->bodies;
    req.read_body([](rodeo::req& r, std::string, rodeo::is_fin) { r.reply(200, {}, "read"); });
    return rodeo::ok();
  }
  void terminate(const caf::error&, rodeo::req&) override { ++t->bodies_ended; }
};

struct echo_h : rodeo::websocket_handler {
  explicit echo_h(std::shared_ptr<tally> t) : t(std::move(t)) {}
  std::shared_ptr<tally> t;
  rodeo::ws::commands websocket_init() override {
    ++t->sessions;
    return {};
  }
  rodeo::ws::commands websocket_handle(const rodeo::ws::in_frame& f) override {
    if (f.type != rodeo::ws::frame_type::text) return {};
    return {rodeo::ws::text(std::string{f.data})};
  }
  void terminate(const rodeo::ws::terminate_reason&, const rodeo::request&) override {
    ++t->sessions_ended;
  }
};

int connect_loopback(uint16_t port, bool nonblocking) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | (nonblocking ? SOCK_NONBLOCK : 0), 0);
  if (fd < 0) return -1;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 && errno != EINPROGRESS) {
    ::close(fd);
    return -1;
  }
  return fd;
}

}  // namespace

TEST_CASE(
    "faults: a handler-heavy load client killed with SIGKILL mid-flight loses only its own "
    "connections and leaves no descriptor behind") {
  constexpr int per_kind = 30;
  auto t = std::make_shared<tally>();
  server srv;
  srv.start({{"_",
              {{"/",
                [](rodeo::req& req) {
                  req.reply(200, {}, "Hello world!");
                }},
               {"/held", rodeo::handler_of<held_h>(t)},
               {"/stream", rodeo::handler_of<stream_h>(t)},
               {"/body", rodeo::handler_of<body_h>(t)},
               {"/big",
                [t](rodeo::req& req) {
                  ++t->bigs;
                  req.reply(200, {}, std::string(size_t{4} << 20, 'b'));
                }},
               {"/echo", rodeo::websocket_of<echo_h>(t)}}}});
  // A client of another process, served before and after the kill on the same connection.
  client bystander{srv.port};
  bystander.send(get("/"));
  REQUIRE(bystander.read_response());
  size_t fds_before = open_fds();

  // Every request is built before fork(): the child only makes system calls (no allocation in a
  // child of a threaded process).
  std::vector<std::string> loads;
  std::string pipelined;
  for (int i = 0; i < 32; ++i) pipelined += get("/");
  std::string frames;
  for (int i = 0; i < 4; ++i)
    frames += rodeo::ws::masked_frame(rodeo::ws::opcode::text, std::string(8192, 'e'),
                                      {0x12, 0x34, 0x56, 0x78});
  for (int i = 0; i < per_kind; ++i) {
    loads.push_back(get("/held"));
    loads.push_back(get("/stream"));
    loads.push_back("POST /body HTTP/1.1\r\nHost: h\r\ncontent-length: 1048576\r\n\r\n" +
                    std::string(1000, 'x'));
    loads.push_back(get("/big"));
    loads.push_back(pipelined);
    loads.push_back(
        "GET /echo HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n" +
        frames);
  }
  int ready[2];
  REQUIRE(::pipe2(ready, O_CLOEXEC) == 0);
  uint16_t port = srv.port;
  pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    for (auto& bytes : loads) {
      int fd = ::socket(AF_INET, SOCK_STREAM, 0);
      if (fd < 0 || ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) ::_exit(3);
      // Small enough for the socket buffers: the child never reads and never blocks here.
      if (::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL) !=
          static_cast<ssize_t>(bytes.size()))
        ::_exit(4);
    }
    char r = 'r';
    if (::write(ready[1], &r, 1) != 1) ::_exit(5);
    for (;;) ::pause();
  }
  ::close(ready[1]);
  pollfd p{ready[0], POLLIN, 0};
  bool child_ready = ::poll(&p, 1, 10000) == 1;
  char r = 0;
  if (child_ready) child_ready = ::read(ready[0], &r, 1) == 1;
  ::close(ready[0]);
  auto kill_child = [&] {
    ::kill(child, SIGKILL);
    int status = 0;
    ::waitpid(child, &status, 0);
    return WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
  };
  if (!child_ready) kill_child();
  REQUIRE(child_ready);
  size_t load_conns = loads.size();
  // Mid-flight: every handler kind running, the streams and big bodies stalled on a client that
  // does not read, the bodies half sent, the pipelines and echoes unread.
  bool busy = eventually([&] {
    return t->held == per_kind && t->streams == per_kind && t->bodies == per_kind &&
           t->bigs == per_kind && t->sessions == per_kind &&
           rodeo::connection_count(srv.node, "test") == load_conns + 1;
  });
  CHECK(busy);
  CHECK(t->held_ended + t->streams_ended + t->bodies_ended + t->sessions_ended == 0);
  REQUIRE(kill_child());

  // Each kind's handler is told, the connections close, the descriptors are given back.
  CHECK(eventually([&] { return rodeo::connection_count(srv.node, "test") == 1u; }));
  CHECK(eventually([&] {
    return t->held_ended == per_kind && t->streams_ended == per_kind &&
           t->bodies_ended == per_kind && t->sessions_ended == per_kind;
  }));
  CHECK(eventually([&] { return open_fds() == fds_before; }));
  INFO("descriptors before " << fds_before << ", after " << open_fds());
  CHECK(open_fds() == fds_before);
  // The node serves on: the bystander's connection and new ones.
  bystander.send(get("/"));
  auto again = bystander.read_response();
  REQUIRE(again);
  CHECK(again->body == "Hello world!");
  client fresh{srv.port};
  fresh.send(get("/"));
  CHECK(fresh.read_response());
}

TEST_CASE(
    "faults: a max_connections storm waits in the backlog and every admitted exchange is "
    "whole") {
  constexpr size_t max_conns = 8;
  constexpr int clients = 400;
  std::string payload(65536, '\0');
  for (size_t i = 0; i < payload.size(); ++i) payload[i] = static_cast<char>('a' + i * 7 % 26);
  server srv;
  srv.start({{"_",
              {{"/",
                [](rodeo::req& req) {
                  req.reply(200, {}, "Hello world!");
                }},
               {"/payload",
                [&payload](rodeo::req& req) {
                  req.reply(200, {}, payload);
                }}}}},
            {}, {.max_connections = max_conns});
  {
    client warm{srv.port};
    warm.send(get("/"));
    REQUIRE(warm.read_response());
  }
  REQUIRE(eventually([&] { return rodeo::connection_count(srv.node, "test") == 0u; }));
  size_t fds_before = open_fds();

  std::atomic<bool> done{false};
  std::atomic<size_t> most{0};
  std::thread sampler([&] {
    while (!done) {
      auto n = rodeo::connection_count(srv.node, "test").value_or(0);
      if (n > most) most = n;
      std::this_thread::sleep_for(1ms);
    }
  });
  // Every fourth client gives up while it waits: it sends its request and closes, half of them
  // with a reset. The others read their 64 KiB response whole, then close.
  struct peer {
    int fd = -1;
    bool sent = false, abandons = false, resets = false, whole = false;
    std::string in;
  };
  std::vector<peer> peers(clients);
  std::string request = get("/payload");
  for (int i = 0; i < clients; ++i) {
    peers[i].fd = connect_loopback(srv.port, true);
    peers[i].abandons = i % 4 == 3;
    peers[i].resets = i % 8 == 7;
  }
  auto end = clock::now() + 60s;
  size_t open = clients;
  for (auto& pe : peers)
    if (pe.fd < 0) --open;
  while (open > 0 && clock::now() < end) {
    std::vector<pollfd> fds;
    std::vector<peer*> who;
    for (auto& pe : peers)
      if (pe.fd >= 0) {
        fds.push_back({pe.fd, static_cast<short>(pe.sent ? POLLIN : POLLOUT), 0});
        who.push_back(&pe);
      }
    if (::poll(fds.data(), fds.size(), 1000) <= 0) continue;
    for (size_t k = 0; k < fds.size(); ++k) {
      auto& pe = *who[k];
      if (!fds[k].revents) continue;
      auto finish = [&] {
        ::close(pe.fd);
        pe.fd = -1;
        --open;
      };
      if (!pe.sent) {
        int err = 0;
        socklen_t len = sizeof err;
        ::getsockopt(pe.fd, SOL_SOCKET, SO_ERROR, &err, &len);
        if (err != 0 || ::send(pe.fd, request.data(), request.size(), MSG_NOSIGNAL) !=
                            static_cast<ssize_t>(request.size())) {
          finish();
          continue;
        }
        pe.sent = true;
        if (pe.abandons) {
          if (pe.resets) {
            linger l{1, 0};
            ::setsockopt(pe.fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
          }
          finish();
        }
        continue;
      }
      char buf[65536];
      auto n = ::recv(pe.fd, buf, sizeof buf, 0);
      if (n <= 0) {
        finish();
        continue;
      }
      pe.in.append(buf, static_cast<size_t>(n));
      auto h = pe.in.find("\r\n\r\n");
      if (h != std::string::npos && pe.in.size() >= h + 4 + payload.size()) {
        pe.whole = pe.in.rfind("HTTP/1.1 200", 0) == 0 &&
                   pe.in.find("content-length: 65536\r\n") < h &&
                   pe.in.size() == h + 4 + payload.size() &&
                   pe.in.compare(h + 4, std::string::npos, payload) == 0;
        finish();
      }
    }
  }
  for (auto& pe : peers)
    if (pe.fd >= 0) ::close(pe.fd);
  int whole = 0, waited = 0;
  for (auto& pe : peers) {
    if (pe.abandons) continue;
    ++waited;
    if (pe.whole) ++whole;
  }
  CHECK(open == 0u);
  CHECK(whole == waited);
  // The abandoned sockets are accepted in their turn too, and found closed.
  CHECK(
      eventually([&] { return rodeo::info(srv.node, "test")->accepted == uint64_t{clients} + 1; }));
  CHECK(eventually([&] { return rodeo::connection_count(srv.node, "test") == 0u; }));
  done = true;
  sampler.join();
  CHECK(most > 0u);
  CHECK(most <= max_conns);
  CHECK(rodeo::info(srv.node, "test")->refused == 0u);
  CHECK(eventually([&] { return open_fds() == fds_before; }));
  client after{srv.port};
  after.send(get("/"));
  CHECK(after.read_response());
}
