// Process groups, as OTP's pg module states them: join/2, leave/2, get_members/1, which_groups/0.
#include <algorithm>

#include "runtime_test.hpp"

using namespace rodeo_test;

namespace {

using hello_atom = caf::atom_constant<caf::atom("hello")>;

// Forwards every hello to `probe`, tagged with its own handle.
caf::behavior member(caf::event_based_actor* self, caf::actor probe) {
  return {
      [self, probe](hello_atom, int x) {
        self->send(probe, hello_atom::value, caf::actor_cast<caf::actor>(self), x);
      },
      [self](stop_atom) { self->quit(); },
  };
}

bool contains(const std::vector<caf::actor>& xs, const caf::actor& x) {
  return std::find(xs.begin(), xs.end(), x) != xs.end();
}

}  // namespace

TEST_CASE("pg join adds a member and leave removes it") {
  rodeo::node n;
  caf::scoped_actor self{n.system()};
  auto& groups = n.groups();
  auto a = rodeo::spawn_monitor(self.ptr(), member, caf::actor_cast<caf::actor>(self));
  auto b = rodeo::spawn_monitor(self.ptr(), member, caf::actor_cast<caf::actor>(self));
  groups.join("room", a);
  groups.join("room", b);
  auto members = groups.members("room");
  CHECK(members.size() == 2);
  CHECK(contains(members, a));
  CHECK(contains(members, b));
  CHECK(groups.which_groups() == std::vector<std::string>{"room"});
  CHECK(groups.leave("room", a));
  CHECK(groups.members("room") == std::vector<caf::actor>{b});
  CHECK_FALSE(groups.leave("room", a));
  CHECK_FALSE(groups.leave("elsewhere", b));
  CHECK(groups.leave("room", b));
  CHECK(groups.members("room").empty());
  CHECK(groups.which_groups().empty());
  for (auto& x : {a, b}) {
    self->send(x, stop_atom::value);
    await_down(self, x);
  }
}

TEST_CASE("pg: a member that joined twice needs two leaves") {
  rodeo::node n;
  caf::scoped_actor self{n.system()};
  auto& groups = n.groups();
  auto a = rodeo::spawn_monitor(self.ptr(), member, caf::actor_cast<caf::actor>(self));
  groups.join("room", a);
  groups.join("room", a);
  CHECK(groups.members("room").size() == 1);
  CHECK(groups.leave("room", a));
  CHECK(groups.members("room") == std::vector<caf::actor>{a});
  CHECK(groups.leave("room", a));
  CHECK(groups.members("room").empty());
  self->send(a, stop_atom::value);
  await_down(self, a);
}

TEST_CASE("pg: leave_all leaves every group at once, whatever the join counts") {
  rodeo::node n;
  caf::scoped_actor self{n.system()};
  auto& groups = n.groups();
  auto a = rodeo::spawn_monitor(self.ptr(), member, caf::actor_cast<caf::actor>(self));
  auto b = rodeo::spawn_monitor(self.ptr(), member, caf::actor_cast<caf::actor>(self));
  groups.join("room", a);
  groups.join("room", a);
  groups.join("lobby", a);
  groups.join("room", b);
  CHECK(groups.leave_all(a) == 2);
  CHECK(groups.members("room") == std::vector<caf::actor>{b});
  CHECK(groups.members("lobby").empty());
  CHECK(groups.leave_all(a) == 0);
  for (auto& x : {a, b}) {
    self->send(x, stop_atom::value);
    await_down(self, x);
  }
}

TEST_CASE("pg send reaches every member exactly once") {
  rodeo::node n;
  caf::scoped_actor self{n.system()};
  auto& groups = n.groups();
  auto probe = caf::actor_cast<caf::actor>(self);
  std::vector<caf::actor> all;
  for (int i = 0; i < 3; ++i) all.push_back(rodeo::spawn_monitor(self.ptr(), member, probe));
  auto outsider = rodeo::spawn_monitor(self.ptr(), member, probe);
  for (auto& x : all) groups.join("room", x);
  groups.join("room", all[0]);  // joined twice, still one member
  groups.join("lobby", outsider);
  CHECK(groups.send("room", hello_atom::value, 7) == all.size());
  std::vector<caf::actor> reached;
  for (size_t i = 0; i < all.size(); ++i)
    self->receive(
        [&](hello_atom, caf::actor who, int x) {
          CHECK(x == 7);
          reached.push_back(who);
        },
        caf::after(patience) >> [] { FAIL("a member got nothing"); });
  for (auto& x : all) CHECK(std::count(reached.begin(), reached.end(), x) == 1);
  // A second copy, or a copy to the outsider, would be answered before the marker sent now.
  all.push_back(outsider);
  for (auto& x : all) self->send(x, hello_atom::value, 0);
  for (size_t i = 0; i < all.size(); ++i)
    self->receive([](hello_atom, caf::actor, int x) { CHECK(x == 0); },
                  caf::after(patience) >> [] { FAIL("marker reply missing"); });
  CHECK(groups.send("nobody-here", hello_atom::value, 1) == 0);
  for (auto& x : all) {
    self->send(x, stop_atom::value);
    await_down(self, x);
  }
}

TEST_CASE("pg: a member leaves every group when it dies") {
  rodeo::node n;
  caf::scoped_actor self{n.system()};
  auto& groups = n.groups();
  auto a = rodeo::spawn(n.system(), member, caf::actor_cast<caf::actor>(self));
  auto b = rodeo::spawn_monitor(self.ptr(), member, caf::actor_cast<caf::actor>(self));
  groups.join("room", a);
  groups.join("lobby", a);
  groups.join("room", b);
  self->monitor(a);  // after joining: the down message may precede pg's own cleanup
  self->send(a, stop_atom::value);
  await_down(self, a);
  CHECK(groups.members("room") == std::vector<caf::actor>{b});
  CHECK(groups.members("lobby").empty());
  CHECK(groups.send("lobby", hello_atom::value, 1) == 0);
  self->send(b, stop_atom::value);
  await_down(self, b);
}
