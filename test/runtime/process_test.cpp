// Links, monitors and exit signals, as the Erlang reference manual ("Processes") states them.
#include "runtime_test.hpp"

using namespace rodeo_test;

namespace {

using trapped_atom = caf::atom_constant<caf::atom("trapped")>;

// Quits with the reason it is sent; answers pings.
caf::behavior partner(caf::event_based_actor* self) {
  return {
      [self](stop_atom, caf::error& reason) { self->quit(std::move(reason)); },
      [](ping_atom) { return ready_atom::value; },
  };
}

// Links to `other`, tells `probe` it did, answers pings.
caf::behavior linked_to(caf::event_based_actor* self, caf::actor other, caf::actor probe) {
  self->link_to(other);
  self->send(probe, ready_atom::value);
  return {[](ping_atom) {
    return ready_atom::value;
  }};
}

// As linked_to, but traps exits: forwards each exit signal's reason to `probe`.
caf::behavior trapping(caf::event_based_actor* self, caf::actor other, caf::actor probe) {
  self->set_exit_handler(
      [self, probe](caf::exit_msg& msg) { self->send(probe, trapped_atom::value, msg.reason); });
  if (other) self->link_to(other);
  self->send(probe, ready_atom::value);
  return {[](ping_atom) {
    return ready_atom::value;
  }};
}

void await_ready(caf::scoped_actor& self) {
  self->receive([](ready_atom) {}, caf::after(patience) >> [] { FAIL("actor not ready"); });
}

bool answers_ping(caf::scoped_actor& self, const caf::actor& who) {
  bool answered = false;
  self->request(who, patience, ping_atom::value)
      .receive([&](ready_atom) { answered = true; }, [](caf::error&) {});
  return answered;
}

}  // namespace

TEST_CASE("a linked actor dies with the reason of its link partner unless trapping exits") {
  rodeo::node n;
  caf::scoped_actor self{n.system()};
  auto probe = caf::actor_cast<caf::actor>(self);
  auto a = rodeo::spawn_monitor(self.ptr(), partner);
  auto follower = rodeo::spawn_monitor(self.ptr(), linked_to, a, probe);
  await_ready(self);
  auto trapper = rodeo::spawn_monitor(self.ptr(), trapping, a, probe);
  await_ready(self);
  self->send(a, stop_atom::value, rodeo::reason::shutdown("bye"));
  CHECK(rodeo::reason::to_string(await_down(self, a)) == "{shutdown,bye}");
  CHECK(rodeo::reason::to_string(await_down(self, follower)) == "{shutdown,bye}");
  self->receive(
      [](trapped_atom, caf::error& reason) {
        CHECK(rodeo::reason::to_string(reason) == "{shutdown,bye}");
      },
      caf::after(patience) >> [] { FAIL("the trapping actor got no exit message"); });
  CHECK(answers_ping(self, trapper));
  self->send_exit(trapper, rodeo::reason::kill());
  await_down(self, trapper);
}

TEST_CASE("trap_exit turns an exit signal into an exit message") {
  rodeo::node n;
  caf::scoped_actor self{n.system()};
  auto trapper =
      rodeo::spawn_monitor(self.ptr(), trapping, caf::actor{}, caf::actor_cast<caf::actor>(self));
  await_ready(self);
  self->send_exit(trapper, rodeo::reason::shutdown());
  self->receive([](trapped_atom, caf::error& reason) { CHECK(rodeo::reason::is_shutdown(reason)); },
                caf::after(patience) >> [] { FAIL("no exit message"); });
  CHECK(answers_ping(self, trapper));
  self->send_exit(trapper, rodeo::reason::kill());
  await_down(self, trapper);
}

TEST_CASE("kill cannot be trapped") {
  rodeo::node n;
  caf::scoped_actor self{n.system()};
  auto trapper =
      rodeo::spawn_monitor(self.ptr(), trapping, caf::actor{}, caf::actor_cast<caf::actor>(self));
  await_ready(self);
  self->send_exit(trapper, rodeo::reason::kill());
  auto reason = await_down(self, trapper);
  CHECK(rodeo::reason::is_kill(reason));
  CHECK(rodeo::reason::to_string(reason) == "killed");
  bool got_exit_message = false;
  self->receive([&](trapped_atom, caf::error&) { got_exit_message = true; },
                caf::after(std::chrono::seconds{0}) >> [] {});
  CHECK_FALSE(got_exit_message);
}

TEST_CASE("normal exit does not kill linked actors") {
  rodeo::node n;
  caf::scoped_actor self{n.system()};
  auto a = rodeo::spawn_monitor(self.ptr(), partner);
  auto follower = rodeo::spawn_monitor(self.ptr(), linked_to, a, caf::actor_cast<caf::actor>(self));
  await_ready(self);
  self->send(a, stop_atom::value, rodeo::reason::normal());
  CHECK(rodeo::reason::to_string(await_down(self, a)) == "normal");
  CHECK(answers_ping(self, follower));
  self->send_exit(follower, rodeo::reason::kill());
  await_down(self, follower);
}

TEST_CASE("a monitor delivers a down message with the exit reason") {
  rodeo::node n;
  caf::scoped_actor self{n.system()};
  auto a = rodeo::spawn(n.system(), partner);
  self->monitor(a);
  self->send(a, stop_atom::value, rodeo::reason::shutdown("done"));
  CHECK(rodeo::reason::to_string(await_down(self, a)) == "{shutdown,done}");
}

TEST_CASE("monitoring an actor that is already dead delivers a down message at once") {
  rodeo::node n;
  caf::scoped_actor self{n.system()};
  auto a = rodeo::spawn_monitor(self.ptr(), partner);
  self->send(a, stop_atom::value, rodeo::reason::shutdown());
  await_down(self, a);
  self->monitor(a);
  CHECK(rodeo::reason::is_shutdown(await_down(self, a)));
}

TEST_CASE("an exception in a handler becomes the crash exit reason") {
  log_capture quiet;
  rodeo::node n;
  caf::scoped_actor self{n.system()};
  auto a = rodeo::spawn_monitor(self.ptr(), [](caf::event_based_actor*) -> caf::behavior {
    return {[](crash_atom) {
      throw std::runtime_error("boom");
    }};
  });
  self->send(a, crash_atom::value);
  auto reason = await_down(self, a);
  CHECK(rodeo::reason::is_crash(reason));
  CHECK(rodeo::reason::to_string(reason) == "{crash,\"boom\"}");
}

TEST_CASE("an exception while an actor starts becomes the crash exit reason") {
  log_capture quiet;
  rodeo::node n;
  caf::scoped_actor self{n.system()};
  auto a = rodeo::spawn_monitor(self.ptr(), [](caf::event_based_actor*) -> caf::behavior {
    throw std::logic_error("bad init");
  });
  CHECK(rodeo::reason::to_string(await_down(self, a)) == "{crash,\"bad init\"}");
}

TEST_CASE("a linked actor that crashes takes its partner down with the crash reason") {
  log_capture quiet;
  rodeo::node n;
  caf::scoped_actor self{n.system()};
  auto a = rodeo::spawn_monitor(self.ptr(), [](caf::event_based_actor*) -> caf::behavior {
    return {[](crash_atom) {
      throw std::runtime_error("boom");
    }};
  });
  auto follower = rodeo::spawn_monitor(self.ptr(), linked_to, a, caf::actor_cast<caf::actor>(self));
  await_ready(self);
  self->send(a, crash_atom::value);
  await_down(self, a);
  CHECK(rodeo::reason::to_string(await_down(self, follower)) == "{crash,\"boom\"}");
}

TEST_CASE("spawn_link: a child that dies at once still takes its parent down") {
  log_capture quiet;
  rodeo::node n;
  caf::scoped_actor self{n.system()};
  auto parent = rodeo::spawn_monitor(self.ptr(), [](caf::event_based_actor* me) -> caf::behavior {
    rodeo::spawn_link(me, [](caf::event_based_actor*) -> caf::behavior {
      throw std::runtime_error("stillborn");
    });
    return {[](ping_atom) {
    }};
  });
  CHECK(rodeo::reason::to_string(await_down(self, parent)) == "{crash,\"stillborn\"}");
}

TEST_CASE("exit reasons read like Erlang") {
  namespace r = rodeo::reason;
  CHECK(r::to_string(r::normal()) == "normal");
  CHECK(r::to_string(r::shutdown()) == "shutdown");
  CHECK(r::to_string(r::shutdown("restart")) == "{shutdown,restart}");
  CHECK(r::to_string(r::kill()) == "killed");
  CHECK(r::to_string(r::crash("what")) == "{crash,\"what\"}");
  CHECK(r::to_string(caf::sec::request_timeout) == "timeout");
  CHECK(r::to_string(caf::sec::request_receiver_down) == "noproc");
  CHECK(r::is_normal(r::normal()));
  CHECK(r::is_normal(r::shutdown()));
  CHECK(r::is_normal(r::shutdown("restart")));
  CHECK(r::is_shutdown(r::shutdown("restart")));
  CHECK_FALSE(r::is_normal(r::kill()));
  CHECK_FALSE(r::is_normal(r::crash("what")));
  CHECK(r::is_kill(r::kill()));
  CHECK(r::is_crash(r::crash("what")));
  CHECK_FALSE(r::is_crash(r::shutdown()));
  CHECK(r::is_timeout(caf::sec::request_timeout));
}
