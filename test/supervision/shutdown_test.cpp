// Stopping children: shutdown specs (brutal_kill, timeout, infinity), reverse start order, and
// how a supervisor reacts to exit signals.
#include <caf/all.hpp>
#include <catch2/catch.hpp>

#include "support.hpp"

using namespace sup_test;
using rodeo::restart_type;
using strings = std::vector<std::string>;

namespace {

rodeo::supervisor_spec one_for_one(std::vector<rodeo::child_spec> children) {
  rodeo::supervisor_spec spec;
  spec.children = std::move(children);
  return spec;
}

}  // namespace

TEST_CASE("children stop in reverse start order when the supervisor shuts down") {
  captured_log quiet;
  rodeo::node n;
  auto log = std::make_shared<event_log>();
  auto sup = rodeo::start_supervisor(
      n.system(),
      one_for_one({worker_spec(log, "a"), worker_spec(log, "b"), worker_spec(log, "c")}));
  REQUIRE(sup);
  auto mark = log->size();
  caf::anon_send_exit(*sup, caf::exit_reason::user_shutdown);
  auto reason = wait_down(n.system(), *sup);
  REQUIRE(reason);
  CHECK(*reason == caf::exit_reason::user_shutdown);
  CHECK(log->since(mark) == strings{"stop:c:shutdown", "stop:b:shutdown", "stop:a:shutdown"});
}

TEST_CASE("stop_supervisor stops the children in reverse order and waits for the supervisor") {
  captured_log quiet;
  rodeo::node n;
  auto log = std::make_shared<event_log>();
  auto sup = rodeo::start_supervisor(n.system(),
                                     one_for_one({worker_spec(log, "a"), worker_spec(log, "b")}));
  REQUIRE(sup);
  auto mark = log->size();
  CHECK(rodeo::stop_supervisor(*sup) == caf::none);
  CHECK(log->since(mark) == strings{"stop:b:shutdown", "stop:a:shutdown"});
}

TEST_CASE("brutal_kill kills the child without sending it shutdown") {
  captured_log quiet;
  rodeo::node n;
  auto log = std::make_shared<event_log>();
  auto sup = rodeo::start_supervisor(
      n.system(), one_for_one({worker_spec(log, "b", restart_type::permanent, on_exit_signal::hold,
                                           rodeo::shutdown::brutal_kill)}));
  REQUIRE(sup);
  auto child = child_of(*sup, "b");
  CHECK(rodeo::terminate_child(*sup, "b") == caf::none);
  auto reason = wait_down(n.system(), child);
  REQUIRE(reason);
  CHECK(rodeo::reason::is_kill(*reason));
  CHECK(log->wait_count("killed:b", 1));
  CHECK(log->count("held:b") == 0);  // it never saw an exit(shutdown)
  CHECK(rodeo::stop_supervisor(*sup) == caf::none);
}

TEST_CASE("a shutdown timeout kills a child that traps and ignores shutdown") {
  captured_log reports;
  rodeo::node n;
  auto log = std::make_shared<event_log>();
  auto sup = rodeo::start_supervisor(
      n.system(),
      one_for_one({worker_spec(log, "stubborn", restart_type::permanent, on_exit_signal::ignore,
                               std::chrono::milliseconds{50})}));
  REQUIRE(sup);
  auto child = child_of(*sup, "stubborn");
  CHECK(rodeo::terminate_child(*sup, "stubborn") == caf::none);
  // terminate_child returned: the child got shutdown first, then was killed.
  // (A killed worker records its death from a cleanup hook that may run after its DOWN.)
  REQUIRE(log->wait_count("killed:stubborn", 1));
  CHECK(log->since(0) == strings{"start:stubborn", "ignored:stubborn", "killed:stubborn"});
  CHECK(wait_down(n.system(), child));
  CHECK(reports.contains("context: shutdown_error reason: killed offender: stubborn"));
  CHECK(rodeo::stop_supervisor(*sup) == caf::none);
}

TEST_CASE("a child that traps shutdown and exits within its timeout is not killed") {
  captured_log quiet;
  rodeo::node n;
  auto log = std::make_shared<event_log>();
  auto sup = rodeo::start_supervisor(
      n.system(), one_for_one({worker_spec(log, "polite", restart_type::permanent,
                                           on_exit_signal::hold, std::chrono::minutes{10})}));
  REQUIRE(sup);
  auto child = child_of(*sup, "polite");
  caf::anon_send_exit(*sup, caf::exit_reason::user_shutdown);
  REQUIRE(log->wait_count("held:polite", 1));
  caf::anon_send(child, release_atom::value);
  auto reason = wait_down(n.system(), *sup);
  REQUIRE(reason);
  CHECK(log->count("stop:polite:shutdown") == 1);
  CHECK(log->count("killed:polite") == 0);
}

TEST_CASE("shutdown infinity waits for the child however long it takes") {
  captured_log quiet;
  rodeo::node n;
  auto log = std::make_shared<event_log>();
  // Two trees stopped together: the one with a 20 ms timeout kills its child; the one with
  // infinity still waits for its child after that.
  auto patient = rodeo::start_supervisor(
      n.system(), one_for_one({worker_spec(log, "slow", restart_type::permanent,
                                           on_exit_signal::hold, rodeo::shutdown::infinity)}));
  auto hasty = rodeo::start_supervisor(
      n.system(),
      one_for_one({worker_spec(log, "timed", restart_type::permanent, on_exit_signal::ignore,
                               std::chrono::milliseconds{20})}));
  REQUIRE(patient);
  REQUIRE(hasty);
  auto slow = child_of(*patient, "slow");
  caf::anon_send_exit(*patient, caf::exit_reason::user_shutdown);
  REQUIRE(log->wait_count("held:slow", 1));
  caf::anon_send_exit(*hasty, caf::exit_reason::user_shutdown);
  REQUIRE(log->wait_count("killed:timed", 1));
  REQUIRE(wait_down(n.system(), *hasty));
  CHECK(log->count("killed:slow") == 0);
  CHECK_FALSE(wait_down(n.system(), *patient, std::chrono::milliseconds{100}));
  caf::anon_send(slow, release_atom::value);
  auto reason = wait_down(n.system(), *patient);
  REQUIRE(reason);
  CHECK(*reason == caf::exit_reason::user_shutdown);
  CHECK(log->count("stop:slow:shutdown") == 1);
}

TEST_CASE("a supervisor child's shutdown defaults to infinity and a worker's to 5 seconds") {
  captured_log quiet;
  rodeo::node n;
  auto log = std::make_shared<event_log>();
  rodeo::supervisor_spec inner;
  inner.children = {worker_spec(log, "leaf", restart_type::permanent, on_exit_signal::hold,
                                rodeo::shutdown::infinity)};
  auto sub = rodeo::supervisor_child("sub", inner);
  CHECK(sub.type == rodeo::child_type::supervisor);
  REQUIRE(sub.shutdown);
  CHECK(*sub.shutdown == rodeo::shutdown::infinity);
  CHECK_FALSE(worker_spec(log, "w").shutdown);  // empty: the supervisor uses 5000 ms
  auto sup = rodeo::start_supervisor(n.system(), one_for_one({sub}));
  REQUIRE(sup);
  auto leaf = child_of(child_of(*sup, "sub"), "leaf");
  REQUIRE(leaf);
  caf::anon_send_exit(*sup, caf::exit_reason::user_shutdown);
  REQUIRE(log->wait_count("held:leaf", 1));
  CHECK_FALSE(wait_down(n.system(), *sup, std::chrono::milliseconds{100}));
  caf::anon_send(leaf, release_atom::value);
  CHECK(wait_down(n.system(), *sup));
}

TEST_CASE(
    "an exit signal from its parent makes a supervisor stop its children in reverse order "
    "and exit with the same reason") {
  captured_log quiet;
  rodeo::node n;
  auto log = std::make_shared<event_log>();
  rodeo::supervisor_spec inner;
  inner.children = {worker_spec(log, "x"), worker_spec(log, "y")};
  auto sup =
      rodeo::start_supervisor(n.system(), one_for_one({rodeo::supervisor_child("sub", inner)}));
  REQUIRE(sup);
  auto sub = child_of(*sup, "sub");
  REQUIRE(sub);
  auto mark = log->size();
  CHECK(rodeo::terminate_child(*sup, "sub") == caf::none);
  CHECK(log->since(mark) == strings{"stop:y:shutdown", "stop:x:shutdown"});
  auto reason = wait_down(n.system(), sub);
  REQUIRE(reason);
  CHECK(*reason == caf::exit_reason::user_shutdown);
  CHECK(rodeo::stop_supervisor(*sup) == caf::none);
}

TEST_CASE("exit signals from other actors are ignored by a supervisor that has a parent") {
  captured_log quiet;
  rodeo::node n;
  auto log = std::make_shared<event_log>();
  rodeo::supervisor_spec inner;
  inner.children = {worker_spec(log, "x")};
  auto sup =
      rodeo::start_supervisor(n.system(), one_for_one({rodeo::supervisor_child("sub", inner)}));
  REQUIRE(sup);
  auto sub = child_of(*sup, "sub");
  caf::scoped_actor stranger{n.system()};
  stranger->send_exit(sub, rodeo::reason::shutdown());
  // Answered after the exit signal was handled: the supervisor and its child are still there.
  CHECK(child_of(sub, "x"));
  CHECK(child_of(*sup, "sub") == sub);
  CHECK(log->count("stop:x:shutdown") == 0);
  CHECK(rodeo::stop_supervisor(*sup) == caf::none);
}

TEST_CASE("a supervisor that is killed takes its children with it") {
  captured_log quiet;
  rodeo::node n;
  auto log = std::make_shared<event_log>();
  auto sup = rodeo::start_supervisor(n.system(),
                                     one_for_one({worker_spec(log, "a"), worker_spec(log, "b")}));
  REQUIRE(sup);
  auto a = child_of(*sup, "a");
  auto b = child_of(*sup, "b");
  caf::anon_send_exit(*sup, caf::exit_reason::kill);
  CHECK(wait_down(n.system(), *sup));
  CHECK(wait_down(n.system(), a));
  CHECK(wait_down(n.system(), b));
}
