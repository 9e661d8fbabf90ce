// The plain-TCP transport over loopback: reads, partial writes, EAGAIN and `writable`, peer
// reset, half close, close.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "net_support.hpp"
#include "rodeo/reactor.hpp"
#include "rodeo/transport.hpp"

using namespace std::chrono_literals;
using rodeo::io_status;
using rodeo_test::eventually;

namespace {

// A connected loopback pair: `client` is blocking, `server` non-blocking (the transport's).
struct tcp_pair {
  int client = -1, server = -1;
  explicit tcp_pair(int server_sndbuf = 0) {
    int l = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(l, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    REQUIRE(::listen(l, 1) == 0);
    socklen_t len = sizeof a;
    REQUIRE(::getsockname(l, reinterpret_cast<sockaddr*>(&a), &len) == 0);
    client = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    REQUIRE(::connect(client, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    server = ::accept4(l, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    REQUIRE(server >= 0);
    ::close(l);
    if (server_sndbuf > 0)
      setsockopt(server, SOL_SOCKET, SO_SNDBUF, &server_sndbuf, sizeof server_sndbuf);
  }
  ~tcp_pair() {
    if (client >= 0) ::close(client);
  }
  uint16_t client_port() const {
    sockaddr_in a{};
    socklen_t len = sizeof a;
    getsockname(client, reinterpret_cast<sockaddr*>(&a), &len);
    return ntohs(a.sin_port);
  }
};

bool got(caf::scoped_actor& self, bool readable, std::chrono::milliseconds limit) {
  bool seen = false;
  if (readable)
    self->receive([&](rodeo::readable_atom) { seen = true; }, caf::after(limit) >> [] {});
  else
    self->receive([&](rodeo::writable_atom) { seen = true; }, caf::after(limit) >> [] {});
  return seen;
}

std::string read_some(rodeo::transport& t) {
  char buf[256];
  auto r = t.read(buf);
  return r.what == io_status::ok ? std::string{buf, r.bytes} : std::string{};
}

}  // namespace

TEST_CASE("transport: reads what the peer sent, writes a vector of buffers in order") {
  rodeo::node n;
  caf::scoped_actor self{n.system()};
  tcp_pair p;
  auto t = rodeo::make_tcp_transport(p.server, rodeo::reactor::of(n), caf::actor{self});
  REQUIRE(t);
  CHECK(t->is_open());
  CHECK_FALSE(t->secure());
  CHECK(t->peer().ip == "127.0.0.1");
  CHECK(t->peer().port == p.client_port());
  CHECK(t->sock().ip == "127.0.0.1");
  char buf[16];
  CHECK(t->read(buf).what == io_status::would_block);
  REQUIRE(::send(p.client, "hello", 5, 0) == 5);
  REQUIRE(got(self, true, 5s));
  t->rearm_read();
  CHECK(read_some(*t) == "hello");
  std::string a = "one ", b = "two";
  iovec iov[] = {{a.data(), a.size()}, {b.data(), b.size()}};
  auto w = t->write(iov);
  CHECK(w.what == io_status::ok);
  CHECK(w.bytes == 7);
  char in[8] = {};
  CHECK(::recv(p.client, in, 7, MSG_WAITALL) == 7);
  CHECK(std::string{in, 7} == "one two");
}

TEST_CASE(
    "transport: a write the kernel cannot take whole is partial, then would_block, then "
    "writable once the peer reads") {
  rodeo::node n;
  caf::scoped_actor self{n.system()};
  tcp_pair p{4096};
  auto t = rodeo::make_tcp_transport(p.server, rodeo::reactor::of(n), caf::actor{self});
  REQUIRE(t);
  std::string big(8 << 20, 'x');
  iovec iov{big.data(), big.size()};
  auto w = t->write({&iov, 1});
  REQUIRE(w.what == io_status::ok);
  CHECK(w.bytes > 0);
  CHECK(w.bytes < big.size());
  size_t sent = w.bytes;
  // Fill the socket until it refuses: would_block, and `writable` was asked for.
  for (int i = 0; i < 1000; ++i) {
    iovec rest{big.data() + sent, big.size() - sent};
    w = t->write({&rest, 1});
    if (w.what != io_status::ok) break;
    sent += w.bytes;
  }
  CHECK(w.what == io_status::would_block);
  std::vector<char> sink(1 << 20);
  size_t drained = 0;
  while (drained < sent) {
    auto r = ::recv(p.client, sink.data(), sink.size(), 0);
    REQUIRE(r > 0);
    drained += static_cast<size_t>(r);
  }
  CHECK(got(self, false, 5s));
}

TEST_CASE("transport: the peer's close is `closed`, a peer reset fails reads and writes") {
  rodeo::node n;
  caf::scoped_actor self{n.system()};
  SECTION("orderly close") {
    tcp_pair p;
    auto t = rodeo::make_tcp_transport(p.server, rodeo::reactor::of(n), caf::actor{self});
    REQUIRE(t);
    ::close(p.client);
    p.client = -1;
    REQUIRE(got(self, true, 5s));
    CHECK(eventually([&] { return t->hangup(); }));
    char buf[16];
    CHECK(t->read(buf).what == io_status::closed);
  }
  SECTION("reset") {
    tcp_pair p;
    auto t = rodeo::make_tcp_transport(p.server, rodeo::reactor::of(n), caf::actor{self});
    REQUIRE(t);
    linger l{1, 0};
    setsockopt(p.client, SOL_SOCKET, SO_LINGER, &l, sizeof l);
    ::close(p.client);
    p.client = -1;
    REQUIRE(got(self, true, 5s));
    CHECK(eventually([&] { return t->hangup(); }));
    char buf[16];
    auto r = t->read(buf);
    CHECK(r.what == io_status::error);
    CHECK(r.error == ECONNRESET);
    std::string s = "late";
    iovec iov{s.data(), s.size()};
    CHECK(t->write({&iov, 1}).what == io_status::error);
  }
}

TEST_CASE("transport: shutdown_write ends our side, reading goes on, close is idempotent") {
  rodeo::node n;
  auto r = rodeo::reactor::of(n);
  caf::scoped_actor self{n.system()};
  tcp_pair p;
  auto before = r->size();
  auto t = rodeo::make_tcp_transport(p.server, r, caf::actor{self});
  REQUIRE(t);
  CHECK(r->size() == before + 1);
  t->shutdown_write();
  char c;
  CHECK(::recv(p.client, &c, 1, 0) == 0);  // EOF at the peer
  REQUIRE(::send(p.client, "after", 5, 0) == 5);
  REQUIRE(got(self, true, 5s));
  CHECK(read_some(*t) == "after");
  t->close();
  CHECK_FALSE(t->is_open());
  t->close();
  CHECK(r->size() == before);
}

TEST_CASE("transport: a descriptor the reactor refuses gives no transport and is closed") {
  rodeo::node n;
  caf::scoped_actor self{n.system()};
  int fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);  // epoll refuses regular files
  REQUIRE(fd >= 0);
  CHECK_FALSE(rodeo::make_tcp_transport(fd, rodeo::reactor::of(n), caf::actor{self}));
  CHECK(::fcntl(fd, F_GETFD) == -1);
}
