// Restart intensity and period: more than `intensity` restarts within `period` make the supervisor
// stop all its children (reverse start order) and exit with reason shutdown.
#include <caf/all.hpp>
#include <catch2/catch.hpp>

#include "support.hpp"

using namespace sup_test;
using rodeo::strategy;
using strings = std::vector<std::string>;

TEST_CASE("the default restart intensity is 1 restart in 5 seconds") {
  rodeo::supervisor_flags flags;
  CHECK(flags.strategy == strategy::one_for_one);
  CHECK(flags.intensity == 1);
  CHECK(flags.period == std::chrono::seconds{5});
}

TEST_CASE(
    "the (intensity+1)th restart within the period makes the supervisor stop its children in "
    "reverse order and exit with shutdown") {
  captured_log reports;
  rodeo::node n;
  auto log = std::make_shared<event_log>();
  manual_clock clock;
  rodeo::supervisor_spec spec;
  spec.flags.intensity = 2;
  spec.flags.period = std::chrono::seconds{10};
  spec.flags.clock = clock.fn();
  spec.children = {worker_spec(log, "a"), worker_spec(log, "b"), worker_spec(log, "c")};
  auto sup = rodeo::start_supervisor(n.system(), spec);
  REQUIRE(sup);
  for (int restart = 1; restart <= 2; ++restart) {
    caf::anon_send(child_of(*sup, "b"), crash_atom::value);
    REQUIRE(log->wait_count("start:b", 1 + restart));
    clock.advance(std::chrono::seconds{4});  // all three crashes stay within 10 s
  }
  auto mark = log->size();
  caf::anon_send(child_of(*sup, "b"), crash_atom::value);
  auto reason = wait_down(n.system(), *sup);
  REQUIRE(reason);
  CHECK(*reason == caf::exit_reason::user_shutdown);
  CHECK(log->since(mark) == strings{"stop:b:crash", "stop:c:shutdown", "stop:a:shutdown"});
  CHECK(reports.contains("context: shutdown reason: reached_max_restart_intensity offender: b"));
}

TEST_CASE("with intensity 0 the first restart escalates") {
  captured_log quiet;
  rodeo::node n;
  auto log = std::make_shared<event_log>();
  rodeo::supervisor_spec spec;
  spec.flags.intensity = 0;
  spec.children = {worker_spec(log, "only")};
  auto sup = rodeo::start_supervisor(n.system(), spec);
  REQUIRE(sup);
  caf::anon_send(child_of(*sup, "only"), crash_atom::value);
  auto reason = wait_down(n.system(), *sup);
  REQUIRE(reason);
  CHECK(*reason == caf::exit_reason::user_shutdown);
  CHECK(log->count("start:only") == 1);
}

TEST_CASE("restarts spread beyond the period do not escalate") {
  captured_log quiet;
  rodeo::node n;
  auto log = std::make_shared<event_log>();
  manual_clock clock;
  rodeo::supervisor_spec spec;  // the default: 1 restart in 5 s
  spec.flags.clock = clock.fn();
  spec.children = {worker_spec(log, "w")};
  auto sup = rodeo::start_supervisor(n.system(), spec);
  REQUIRE(sup);
  for (int restart = 1; restart <= 5; ++restart) {
    caf::anon_send(child_of(*sup, "w"), crash_atom::value);
    REQUIRE(log->wait_count("start:w", 1 + restart));
    clock.advance(std::chrono::milliseconds{5001});
  }
  CHECK(child_of(*sup, "w"));
  // Two restarts within 5 s are one too many.
  caf::anon_send(child_of(*sup, "w"), crash_atom::value);
  REQUIRE(log->wait_count("start:w", 7));
  caf::anon_send(child_of(*sup, "w"), crash_atom::value);
  auto reason = wait_down(n.system(), *sup);
  REQUIRE(reason);
  CHECK(*reason == caf::exit_reason::user_shutdown);
}

TEST_CASE("a restart whose start fails is retried and each attempt counts as a restart") {
  captured_log reports;
  rodeo::node n;
  auto log = std::make_shared<event_log>();
  auto starts = std::make_shared<std::atomic<int>>(0);
  auto fail_from = std::make_shared<std::atomic<int>>(1000);
  manual_clock clock;
  rodeo::child_spec flaky = worker_spec(log, "flaky");
  flaky.start = [log, starts, fail_from](caf::actor_system& sys) -> caf::expected<caf::actor> {
    if (++*starts > *fail_from) {
      log->add("failed:flaky");
      return caf::make_error(caf::sec::runtime_error, "cannot start");
    }
    log->add("start:flaky");
    return rodeo::spawn(sys, worker, log, std::string{"flaky"}, on_exit_signal::exit,
                        caf::message{});
  };
  rodeo::supervisor_spec spec;
  spec.flags.intensity = 3;
  spec.flags.clock = clock.fn();
  spec.children = {flaky};
  auto sup = rodeo::start_supervisor(n.system(), spec);
  REQUIRE(sup);
  *fail_from = 1;  // every restart fails from now on
  caf::anon_send(child_of(*sup, "flaky"), crash_atom::value);
  // Restart 1 fails, try again: restart 2 fails, restart 3 fails, restart 4 exceeds intensity 3.
  auto reason = wait_down(n.system(), *sup);
  REQUIRE(reason);
  CHECK(*reason == caf::exit_reason::user_shutdown);
  CHECK(log->count("failed:flaky") == 3);
  CHECK(reports.contains("context: start_error"));
}

TEST_CASE("a child being restarted shows as restarting") {
  captured_log quiet;
  rodeo::node n;
  auto log = std::make_shared<event_log>();
  auto gate = std::make_shared<std::atomic<bool>>(false);
  rodeo::child_spec gated = worker_spec(log, "gated");
  gated.start = [log, gate](caf::actor_system& sys) -> caf::expected<caf::actor> {
    if (*gate) {
      log->add("failed:gated");
      return caf::make_error(caf::sec::runtime_error, "closed");
    }
    return rodeo::spawn(sys, worker, log, std::string{"gated"}, on_exit_signal::exit,
                        caf::message{});
  };
  rodeo::supervisor_spec spec;
  spec.flags.intensity = 1000000;
  spec.children = {gated};
  auto sup = rodeo::start_supervisor(n.system(), spec);
  REQUIRE(sup);
  *gate = true;
  caf::anon_send(child_of(*sup, "gated"), crash_atom::value);
  REQUIRE(log->wait_count("failed:gated", 1));
  auto children = rodeo::which_children(*sup);
  REQUIRE(children);
  REQUIRE(children->size() == 1);
  CHECK(children->front().restarting);
  CHECK_FALSE(children->front().handle);
  CHECK(rodeo::restart_child(*sup, "gated").error() == rodeo::supervisor_error::restarting);
  CHECK(rodeo::delete_child(*sup, "gated") == rodeo::supervisor_error::restarting);
  // terminate_child ends the retrying; the spec stays.
  CHECK(rodeo::terminate_child(*sup, "gated") == caf::none);
  children = rodeo::which_children(*sup);
  REQUIRE(children);
  CHECK_FALSE(children->front().restarting);
  CHECK(rodeo::stop_supervisor(*sup) == caf::none);
}
