// The node-wide deadline service: due deadlines arrive in time order and not before their time,
// cancelled ones never, dead actors' ones are dropped, and a stopped service refuses.
#include "runtime_test.hpp"

using namespace rodeo_test;
using steady = rodeo::deadlines::clock;

namespace {

int64_t ticks(steady::time_point t) {
  return static_cast<int64_t>(t.time_since_epoch().count());
}

// The next deadline message, or nullopt after `limit`.
std::optional<int64_t> next_deadline(caf::scoped_actor& self, std::chrono::milliseconds limit) {
  std::optional<int64_t> at;
  self->receive([&](rodeo::deadline_atom, int64_t t) { at = t; }, caf::after(limit) >> [] {});
  return at;
}

}  // namespace

TEST_CASE("deadlines: each arrives once, in time order, not before it is due") {
  rodeo::node n;
  caf::scoped_actor self{n.system()};
  auto d = rodeo::deadlines::of(n);
  CHECK(d == rodeo::deadlines::of(n));
  auto now = steady::now();
  auto late = now + 120ms, early = now + 40ms;
  d->schedule(late, self->ctrl());
  d->schedule(early, self->ctrl());
  auto first = next_deadline(self, patience);
  REQUIRE(first);
  CHECK(*first == ticks(early));
  CHECK(steady::now() >= early);
  auto second = next_deadline(self, patience);
  REQUIRE(second);
  CHECK(*second == ticks(late));
  CHECK(steady::now() >= late);
  CHECK_FALSE(next_deadline(self, 100ms));
  CHECK(d->size() == 0);
}

TEST_CASE("deadlines: a cancelled deadline never arrives, cancel reports whether it was pending") {
  rodeo::node n;
  caf::scoped_actor self{n.system()};
  auto d = rodeo::deadlines::of(n);
  auto at = steady::now() + 30ms;
  auto id = d->schedule(at, self->ctrl());
  auto kept = d->schedule(at + 10ms, self->ctrl());
  CHECK(d->size() == 2);
  CHECK(d->cancel(id));
  CHECK_FALSE(d->cancel(id));
  CHECK(d->size() == 1);
  auto got = next_deadline(self, patience);
  REQUIRE(got);
  CHECK(*got == ticks(at + 10ms));
  CHECK_FALSE(d->cancel(kept));  // already sent
  CHECK_FALSE(next_deadline(self, 100ms));
}

TEST_CASE("deadlines: an entry does not keep its actor alive, and a dead actor's is dropped") {
  rodeo::node n;
  auto d = rodeo::deadlines::of(n);
  caf::actor_addr watched;
  {
    auto a = rodeo::spawn(n.system(), [](caf::event_based_actor*) -> caf::behavior {
      return {[](rodeo::deadline_atom, int64_t) {
        throw std::logic_error("must not arrive");
      }};
    });
    watched = a.address();
    d->schedule(steady::now() + 50ms, caf::actor_cast<caf::weak_actor_ptr>(a));
    caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
  }
  caf::scoped_actor self{n.system()};
  // The deadline passes with its actor gone: it is dropped (nothing crashes, nothing leaks).
  CHECK(eventually([&] { return d->size() == 0; }));
  CHECK(caf::actor_cast<caf::strong_actor_ptr>(watched) == nullptr);
}

TEST_CASE("deadlines: a stopped service refuses new deadlines and drops pending ones") {
  rodeo::node n;
  caf::scoped_actor self{n.system()};
  auto d = rodeo::deadlines::of(n);
  d->schedule(steady::now() + 50ms, self->ctrl());
  n.stop();
  CHECK(d->size() == 0);
  CHECK(d->schedule(steady::now(), self->ctrl()) == 0);
  CHECK_FALSE(next_deadline(self, 150ms));
}
