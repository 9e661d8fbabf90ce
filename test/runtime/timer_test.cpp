// Timers, as erlang:send_after/3, erlang:cancel_timer/1, erlang:read_timer/1 and
// timer:send_interval/3 state them.
#include "runtime_test.hpp"

using namespace rodeo_test;

namespace {

using tick_atom = caf::atom_constant<caf::atom("tick")>;
using report_atom = caf::atom_constant<caf::atom("report")>;

// Receives ticks until `go` arrives; returns how many came first.
int ticks_before_go(caf::scoped_actor& self) {
  int ticks = 0;
  bool done = false;
  while (!done)
    self->receive([&](tick_atom) { ++ticks; }, [&](go_atom) { done = true; },
                  caf::after(patience) >>
                      [&] {
                        FAIL("the marker did not arrive");
                        done = true;
                      });
  return ticks;
}

}  // namespace

TEST_CASE("send_after delivers the message once the delay has passed") {
  rodeo::node n;
  caf::scoped_actor self{n.system()};
  auto start = std::chrono::steady_clock::now();
  auto ref = rodeo::send_after(self, self, 20ms, ping_atom::value, 42);
  CHECK(ref);
  self->receive(
      [&](ping_atom, int x) {
        CHECK(x == 42);
        CHECK(std::chrono::steady_clock::now() - start >= 20ms);
        CHECK(self->current_sender() == self.ptr()->ctrl());
      },
      caf::after(patience) >> [] { FAIL("the timer did not fire"); });
}

TEST_CASE("send_after without a message sends timeout") {
  rodeo::node n;
  caf::scoped_actor self{n.system()};
  rodeo::send_after(self, self, 1ms);
  self->receive([](rodeo::timeout_atom) {},
                caf::after(patience) >> [] { FAIL("the timer did not fire"); });
}

TEST_CASE("send_after from an actor system sends an anonymous message") {
  rodeo::node n;
  caf::scoped_actor self{n.system()};
  rodeo::send_after(n.system(), self, 1ms, ping_atom::value);
  self->receive([&](ping_atom) { CHECK(self->current_sender() == nullptr); },
                caf::after(patience) >> [] { FAIL("the timer did not fire"); });
}

TEST_CASE("cancel_timer prevents the delivery of a pending timer") {
  rodeo::node n;
  caf::scoped_actor self{n.system()};
  auto ref = rodeo::send_after(self, self, 30ms, tick_atom::value);
  REQUIRE(read_timer(ref));
  CHECK(rodeo::cancel_timer(ref));
  CHECK_FALSE(rodeo::read_timer(ref));
  // Due later than the cancelled timer: the clock fires in time order, so the tick would be first.
  rodeo::send_after(self, self, 60ms, go_atom::value);
  CHECK(ticks_before_go(self) == 0);
  CHECK_FALSE(rodeo::cancel_timer(ref));
}

TEST_CASE("cancel_timer after the timer fired returns false") {
  rodeo::node n;
  caf::scoped_actor self{n.system()};
  auto ref = rodeo::send_after(self, self, 1ms, tick_atom::value);
  self->receive([](tick_atom) {}, caf::after(patience) >> [] { FAIL("the timer did not fire"); });
  CHECK_FALSE(rodeo::cancel_timer(ref));
  CHECK_FALSE(rodeo::read_timer(ref));
  CHECK_FALSE(rodeo::cancel_timer(rodeo::timer_ref{}));
}

TEST_CASE("read_timer tells the time left") {
  rodeo::node n;
  caf::scoped_actor self{n.system()};
  auto ref = rodeo::send_after(self, self, std::chrono::hours{1}, tick_atom::value);
  auto left = rodeo::read_timer(ref);
  REQUIRE(left);
  CHECK(*left <= std::chrono::hours{1});
  CHECK(*left > std::chrono::minutes{59});
  CHECK(rodeo::cancel_timer(ref));
}

TEST_CASE("an actor cancels its own timer and never sees its message") {
  rodeo::node n;
  caf::scoped_actor self{n.system()};
  auto probe = caf::actor_cast<caf::actor>(self);
  rodeo::spawn(n.system(), [probe](caf::event_based_actor* me) -> caf::behavior {
    auto cancelled = rodeo::send_after(me, me, 20ms, tick_atom::value);
    rodeo::send_after(me, me, 40ms, go_atom::value);
    auto ok = rodeo::cancel_timer(cancelled);
    auto ticks = std::make_shared<int>(0);
    return {
        [ticks](tick_atom) { ++*ticks; },
        [me, probe, ticks, ok](go_atom) {
          me->send(probe, report_atom::value, ok, *ticks);
          me->quit();
        },
    };
  });
  self->receive(
      [](report_atom, bool cancelled, int ticks) {
        CHECK(cancelled);
        CHECK(ticks == 0);
      },
      caf::after(patience) >> [] { FAIL("no report"); });
}

TEST_CASE("send_interval repeats the message until cancelled") {
  rodeo::node n;
  caf::scoped_actor self{n.system()};
  auto ref = rodeo::send_interval(self, self, 5ms, tick_atom::value);
  for (int i = 0; i < 3; ++i)
    self->receive([](tick_atom) {}, caf::after(patience) >> [] { FAIL("no tick"); });
  CHECK(rodeo::read_timer(ref));
  CHECK(rodeo::cancel_timer(ref));
  CHECK_FALSE(rodeo::cancel_timer(ref));
  CHECK_FALSE(rodeo::read_timer(ref));
  // Ticks delivered before the cancel may still be queued ahead of the first marker; none may
  // follow it.
  rodeo::send_after(n.system(), self, 20ms, go_atom::value);
  ticks_before_go(self);
  rodeo::send_after(n.system(), self, 50ms, go_atom::value);
  CHECK(ticks_before_go(self) == 0);
}

TEST_CASE("send_interval stops when the actor that started it dies") {
  rodeo::node n;
  caf::scoped_actor self{n.system()};
  auto probe = caf::actor_cast<caf::actor>(self);
  auto ref = std::make_shared<rodeo::timer_ref>();
  auto starter = rodeo::spawn_monitor(self.ptr(), [probe, ref](caf::event_based_actor* me) {
    *ref = rodeo::send_interval(me, probe, 5ms, tick_atom::value);
    me->send(probe, ready_atom::value);
    return caf::behavior{[me](stop_atom) {
      me->quit();
    }};
  });
  self->receive([](ready_atom) {}, caf::after(patience) >> [] { FAIL("not started"); });
  self->send(starter, stop_atom::value);
  await_down(self, starter);
  // The timer learns of the death through its own monitor: wait for that, bounded.
  auto deadline = std::chrono::steady_clock::now() + patience;
  while (rodeo::read_timer(*ref) && std::chrono::steady_clock::now() < deadline)
    self->receive([](tick_atom) {}, caf::after(5ms) >> [] {});
  REQUIRE_FALSE(rodeo::read_timer(*ref));
  rodeo::send_after(n.system(), self, 20ms, go_atom::value);
  ticks_before_go(self);
  rodeo::send_after(n.system(), self, 50ms, go_atom::value);
  CHECK(ticks_before_go(self) == 0);
}

TEST_CASE("a timer to a dead actor is harmless: pending until due, then done, timers go on") {
  rodeo::node n;
  caf::scoped_actor self{n.system()};
  auto gone = rodeo::spawn_monitor(self.ptr(), [](caf::event_based_actor* me) { me->quit(); });
  await_down(self, gone);
  // As in Erlang, a timer to a dead process is an ordinary timer until it fires into nothing.
  auto ref = rodeo::send_after(n.system(), gone, 100ms, tick_atom::value);
  CHECK(rodeo::read_timer(ref));
  CHECK(eventually([&] { return !rodeo::read_timer(ref); }));
  CHECK_FALSE(rodeo::cancel_timer(ref));
  // The node's timers still work, and nothing reached anyone else.
  rodeo::send_after(n.system(), self, 1ms, go_atom::value);
  CHECK(ticks_before_go(self) == 0);
}
