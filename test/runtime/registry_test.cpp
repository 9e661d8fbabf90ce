// Named registration, as Erlang's register/2, whereis/1, unregister/1 and registered/0 state it.
#include <algorithm>

#include "runtime_test.hpp"

using namespace rodeo_test;

namespace {

caf::behavior idle(caf::event_based_actor* self) {
  return {[self](stop_atom) { self->quit(); },
          [](ping_atom) {
            return ready_atom::value;
          }};
}

}  // namespace

TEST_CASE("register makes an actor findable by name with whereis") {
  rodeo::node n;
  caf::scoped_actor self{n.system()};
  auto a = rodeo::spawn_monitor(self.ptr(), idle);
  CHECK(rodeo::register_name(n.system(), "alpha", a));
  CHECK(rodeo::whereis(n.system(), "alpha") == a);
  CHECK(n.registry().name_of(a.id()) == "alpha");
  auto names = n.registry().registered();
  CHECK(std::find(names.begin(), names.end(), "alpha") != names.end());
  CHECK_FALSE(rodeo::whereis(n.system(), "beta"));
  self->send(a, stop_atom::value);
  await_down(self, a);
}

TEST_CASE("unregister removes the name and keeps the actor") {
  rodeo::node n;
  caf::scoped_actor self{n.system()};
  auto a = rodeo::spawn_monitor(self.ptr(), idle);
  REQUIRE(rodeo::register_name(n.system(), "alpha", a));
  CHECK(rodeo::unregister(n.system(), "alpha"));
  CHECK_FALSE(rodeo::whereis(n.system(), "alpha"));
  CHECK(n.registry().name_of(a.id()).empty());
  CHECK_FALSE(rodeo::unregister(n.system(), "alpha"));
  bool alive = false;
  self->request(a, patience, ping_atom::value)
      .receive([&](ready_atom) { alive = true; }, [](caf::error&) {});
  CHECK(alive);
  self->send(a, stop_atom::value);
  await_down(self, a);
}

TEST_CASE("a name already taken is refused") {
  rodeo::node n;
  caf::scoped_actor self{n.system()};
  auto a = rodeo::spawn_monitor(self.ptr(), idle);
  auto b = rodeo::spawn_monitor(self.ptr(), idle);
  REQUIRE(rodeo::register_name(n.system(), "alpha", a));
  CHECK_FALSE(rodeo::register_name(n.system(), "alpha", b));
  CHECK(rodeo::whereis(n.system(), "alpha") == a);
  CHECK(n.registry().name_of(b.id()).empty());
  for (auto& x : {a, b}) {
    self->send(x, stop_atom::value);
    await_down(self, x);
  }
}

TEST_CASE("an actor has at most one name") {
  rodeo::node n;
  caf::scoped_actor self{n.system()};
  auto a = rodeo::spawn_monitor(self.ptr(), idle);
  REQUIRE(rodeo::register_name(n.system(), "alpha", a));
  CHECK_FALSE(rodeo::register_name(n.system(), "beta", a));
  CHECK_FALSE(rodeo::whereis(n.system(), "beta"));
  CHECK(n.registry().name_of(a.id()) == "alpha");
  self->send(a, stop_atom::value);
  await_down(self, a);
}

TEST_CASE("an invalid handle or an empty name or a dead actor cannot be registered") {
  rodeo::node n;
  caf::scoped_actor self{n.system()};
  auto a = rodeo::spawn_monitor(self.ptr(), idle);
  CHECK_FALSE(rodeo::register_name(n.system(), "nobody", caf::actor{}));
  CHECK_FALSE(rodeo::register_name(n.system(), "", a));
  self->send(a, stop_atom::value);
  await_down(self, a);
  CHECK_FALSE(rodeo::register_name(n.system(), "ghost", a));
  CHECK_FALSE(rodeo::whereis(n.system(), "ghost"));
}

TEST_CASE("the name vanishes when its actor dies") {
  rodeo::node n;
  caf::scoped_actor self{n.system()};
  auto a = rodeo::spawn(n.system(), idle);
  REQUIRE(rodeo::register_name(n.system(), "alpha", a));
  // Monitored after the registration: this down message may be sent before the registry's own
  // cleanup ran, and the name must already be gone.
  self->monitor(a);
  self->send(a, stop_atom::value);
  await_down(self, a);
  CHECK_FALSE(rodeo::whereis(n.system(), "alpha"));
  auto names = n.registry().registered();
  CHECK(std::find(names.begin(), names.end(), "alpha") == names.end());
  auto b = rodeo::spawn_monitor(self.ptr(), idle);
  CHECK(rodeo::register_name(n.system(), "alpha", b));
  CHECK(rodeo::whereis(n.system(), "alpha") == b);
  self->send(b, stop_atom::value);
  await_down(self, b);
}

TEST_CASE("unregistering the only handle of an idle actor lets it end") {
  rodeo::node n;
  caf::scoped_actor self{n.system()};
  auto a = rodeo::spawn_monitor(self.ptr(), idle);
  REQUIRE(rodeo::register_name(n.system(), "alpha", a));
  bool alive = false;
  self->request(a, patience, ping_atom::value)
      .receive([&](ready_atom) { alive = true; }, [](caf::error&) {});
  REQUIRE(alive);
  auto addr = a.address();
  a = nullptr;
  // The registry held the last handle: dropping it destroys the actor, whose cleanup needs the
  // registry again.
  CHECK(rodeo::unregister(n.system(), "alpha"));
  bool down = false;
  self->receive([&](caf::down_msg& d) { down = d.source == addr; },
                caf::after(patience) >> [] { FAIL("the unreachable actor did not end"); });
  CHECK(down);
}

TEST_CASE("whereis on a system without a node is a logic error") {
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
  CHECK_THROWS_AS(rodeo::whereis(sys, "alpha"), std::logic_error);
}
