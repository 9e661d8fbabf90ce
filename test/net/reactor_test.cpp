// The reactor: readiness notifications to the owning actor, one at a time, and safe removal.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net_support.hpp"
#include "rodeo/reactor.hpp"

using namespace std::chrono_literals;

namespace {

struct socket_pair {
  int a = -1, b = -1;
  socket_pair() {
    int fds[2];
    REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds) == 0);
    a = fds[0];
    b = fds[1];
  }
  ~socket_pair() {
    if (a >= 0) ::close(a);
    if (b >= 0) ::close(b);
  }
};

bool got_readable(caf::scoped_actor& self, std::chrono::milliseconds limit) {
  bool got = false;
  self->receive([&](rodeo::readable_atom) { got = true; }, caf::after(limit) >> [] {});
  return got;
}

bool got_writable(caf::scoped_actor& self, std::chrono::milliseconds limit) {
  bool got = false;
  self->receive([&](rodeo::writable_atom) { got = true; }, caf::after(limit) >> [] {});
  return got;
}

}  // namespace

TEST_CASE("reactor: readable is sent once until the owner re-arms it") {
  rodeo::node n;
  auto r = rodeo::reactor::of(n);
  caf::scoped_actor self{n.system()};
  socket_pair sp;
  auto* h = r->add(sp.a, caf::actor{self});
  REQUIRE(h);
  REQUIRE(::write(sp.b, "x", 1) == 1);
  CHECK(got_readable(self, 5s));
  // More data without re-arming: no second notification queues up.
  REQUIRE(::write(sp.b, "y", 1) == 1);
  CHECK_FALSE(got_readable(self, 200ms));
  h->rearm_read();
  REQUIRE(::write(sp.b, "z", 1) == 1);
  CHECK(got_readable(self, 5s));
  r->remove(h);
}

TEST_CASE("reactor: a hangup of the peer is signalled as readable and flagged") {
  rodeo::node n;
  auto r = rodeo::reactor::of(n);
  caf::scoped_actor self{n.system()};
  socket_pair sp;
  auto* h = r->add(sp.a, caf::actor{self});
  REQUIRE(h);
  ::close(sp.b);
  sp.b = -1;
  CHECK(got_readable(self, 5s));
  CHECK(h->hangup());
  r->remove(h);
}

TEST_CASE("reactor: writable is sent after want_write once the socket drains") {
  rodeo::node n;
  auto r = rodeo::reactor::of(n);
  caf::scoped_actor self{n.system()};
  socket_pair sp;
  auto* h = r->add(sp.a, caf::actor{self});
  REQUIRE(h);
  std::string chunk(65536, 'x');
  while (::write(sp.a, chunk.data(), chunk.size()) > 0) {
  }
  REQUIRE(errno == EAGAIN);
  h->want_write();
  char buf[65536];
  while (::read(sp.b, buf, sizeof buf) > 0) {
  }
  CHECK(got_writable(self, 5s));
  r->remove(h);
}

TEST_CASE("reactor: a removed descriptor's number can be reused at once by another owner") {
  rodeo::node n;
  auto r = rodeo::reactor::of(n);
  caf::scoped_actor first{n.system()};
  caf::scoped_actor second{n.system()};
  int fd_number;
  {
    socket_pair sp;
    auto* h = r->add(sp.a, caf::actor{first});
    REQUIRE(h);
    fd_number = sp.a;
    r->remove(h);
  }
  socket_pair again;
  // The lowest free descriptor is handed out again: the same number, a new socket.
  int fd = again.a == fd_number ? again.a : again.b;
  int peer = fd == again.a ? again.b : again.a;
  auto* h = r->add(fd, caf::actor{second});
  REQUIRE(h);
  REQUIRE(::write(peer, "x", 1) == 1);
  CHECK(got_readable(second, 5s));
  CHECK_FALSE(got_readable(first, 100ms));
  r->remove(h);
  CHECK(r->size() == 0);
}

TEST_CASE("reactor: stops with the node and refuses new descriptors") {
  socket_pair sp;
  std::shared_ptr<rodeo::reactor> r;
  {
    rodeo::node n;
    r = rodeo::reactor::of(n);
    CHECK(r->running());
  }
  CHECK_FALSE(r->running());
  CHECK(r->add(sp.a, caf::actor{}) == nullptr);
}
