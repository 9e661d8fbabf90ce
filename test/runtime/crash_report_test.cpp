// Crash reports, as OTP's proc_lib/SASL write them: one per process that fails by itself.
#include "runtime_test.hpp"

using namespace rodeo_test;

// The actors here start lazily (on their first message), so the test's monitor is in place
// before an actor's own crash reporter: CAF runs an actor's cleanup steps newest first, so when
// the down message arrives the report, if any, is written.

namespace {

caf::behavior crasher(caf::event_based_actor* self) {
  return {
      [](crash_atom) { throw std::runtime_error("boom"); },
      [self](stop_atom, caf::error& reason) { self->quit(std::move(reason)); },
      [](ping_atom) { return ready_atom::value; },
  };
}

caf::behavior follower(caf::event_based_actor* self, caf::actor other) {
  self->link_to(other);
  return {[](ping_atom) {
    return ready_atom::value;
  }};
}

template <class... Ts>
caf::actor start(caf::scoped_actor& self, Ts&&... xs) {
  return rodeo::spawn_monitor<caf::lazy_init>(self.ptr(), std::forward<Ts>(xs)...);
}

// Makes `who` run its start-up code and waits until it did.
void wake(caf::scoped_actor& self, const caf::actor& who) {
  bool awake = false;
  self->request(who, patience, ping_atom::value)
      .receive([&](ready_atom) { awake = true; }, [](caf::error&) {});
  REQUIRE(awake);
}

}  // namespace

TEST_CASE("an actor that throws is logged exactly once with its id and registered name") {
  log_capture logs;
  rodeo::node n;
  caf::scoped_actor self{n.system()};
  auto a = start(self, crasher);
  wake(self, a);
  REQUIRE(rodeo::register_name(n.system(), "thrower", a));
  self->send(a, crash_atom::value);
  await_down(self, a);
  auto reports = logs.errors({"CRASH REPORT"});
  REQUIRE(reports.size() == 1);
  CHECK(reports[0].find("actor " + std::to_string(a.id())) != std::string::npos);
  CHECK(reports[0].find("(thrower)") != std::string::npos);
  CHECK(reports[0].find("{crash,\"boom\"}") != std::string::npos);
}

TEST_CASE("a crash report names an actor registered before it first ran") {
  log_capture logs;
  rodeo::node n;
  caf::scoped_actor self{n.system()};
  auto a = start(self, crasher);
  REQUIRE(rodeo::register_name(n.system(), "early_bird", a));
  self->send(a, crash_atom::value);
  await_down(self, a);
  CHECK(logs.errors({"CRASH REPORT", "(early_bird)", "{crash,\"boom\"}"}).size() == 1);
}

TEST_CASE("an actor that quits with an abnormal reason is logged once") {
  log_capture logs;
  rodeo::node n;
  caf::scoped_actor self{n.system()};
  auto a = start(self, crasher);
  wake(self, a);
  REQUIRE(rodeo::register_name(n.system(), "quitter", a));
  self->send(a, stop_atom::value, caf::make_error(caf::sec::invalid_argument));
  await_down(self, a);
  auto reports = logs.errors({"CRASH REPORT"});
  REQUIRE(reports.size() == 1);
  CHECK(reports[0].find("(quitter)") != std::string::npos);
}

TEST_CASE("a normal or shutdown exit is not logged") {
  log_capture logs;
  rodeo::node n;
  caf::scoped_actor self{n.system()};
  for (auto reason :
       {rodeo::reason::normal(), rodeo::reason::shutdown(), rodeo::reason::shutdown("rotated")}) {
    auto a = start(self, crasher);
    self->send(a, stop_atom::value, reason);
    await_down(self, a);
  }
  auto killed = start(self, crasher);
  wake(self, killed);
  self->send_exit(killed, rodeo::reason::kill());
  await_down(self, killed);
  CHECK(logs.errors().empty());
}

TEST_CASE("a linked follower adds no second report") {
  log_capture logs;
  rodeo::node n;
  caf::scoped_actor self{n.system()};
  auto a = start(self, crasher);
  auto b = start(self, follower, a);
  wake(self, b);
  auto c = start(self, follower, b);
  wake(self, c);
  self->send(a, crash_atom::value);
  await_down(self, a);
  CHECK(rodeo::reason::is_crash(await_down(self, b)));
  CHECK(rodeo::reason::is_crash(await_down(self, c)));
  auto reports = logs.errors({"CRASH REPORT"});
  REQUIRE(reports.size() == 1);
  CHECK(reports[0].find("actor " + std::to_string(a.id())) != std::string::npos);
}

TEST_CASE("a follower of an abnormal quit adds no second report") {
  log_capture logs;
  rodeo::node n;
  caf::scoped_actor self{n.system()};
  auto a = start(self, crasher);
  auto b = start(self, follower, a);
  wake(self, b);
  self->send(a, stop_atom::value, caf::make_error(caf::sec::invalid_argument));
  await_down(self, a);
  CHECK(await_down(self, b) == caf::sec::invalid_argument);
  CHECK(logs.errors({"CRASH REPORT"}).size() == 1);
}

TEST_CASE("identical crash reports are written once, then counted and summarised at node stop") {
  log_capture logs;
  {
    rodeo::node n;
    caf::scoped_actor self{n.system()};
    for (int i = 0; i < 50; ++i) {
      auto a = start(self, crasher);
      self->send(a, crash_atom::value);
      await_down(self, a);
    }
    auto other = start(self, crasher);
    self->send(other, stop_atom::value, caf::make_error(caf::sec::invalid_argument));
    await_down(self, other);
    auto reports = logs.errors({"CRASH REPORT"});
    REQUIRE(reports.size() == 2);  // the first "boom" whole, and the other kind whole
    CHECK(reports[0].find("{crash,\"boom\"}") != std::string::npos);
    CHECK(n.crash_reports().suppressed() == 49);
  }
  auto summary = logs.errors({"49 more identical reports in the last", "{crash,\"boom\"}"});
  CHECK(summary.size() == 1);
}

TEST_CASE("with a zero window every crash report is written") {
  log_capture logs;
  rodeo::node n;
  n.crash_reports().set_options({.window = std::chrono::milliseconds{0}});
  caf::scoped_actor self{n.system()};
  for (int i = 0; i < 3; ++i) {
    auto a = start(self, crasher);
    self->send(a, crash_atom::value);
    await_down(self, a);
  }
  CHECK(logs.errors({"CRASH REPORT", "{crash,\"boom\"}"}).size() == 3);
}

TEST_CASE("a window's count is logged when the window ends, with no report after it") {
  log_capture logs;
  rodeo::node n;
  constexpr auto window = std::chrono::milliseconds{500};
  n.crash_reports().set_options({.window = window});
  caf::scoped_actor self{n.system()};
  auto first = std::chrono::steady_clock::now();
  for (int i = 0; i < 10; ++i) {
    auto a = start(self, crasher);
    self->send(a, crash_atom::value);
    await_down(self, a);
  }
  REQUIRE(logs.errors({"CRASH REPORT"}).size() == 1);
  auto summarised = [&] {
    return logs.errors({"9 more identical reports in the last", "{crash,\"boom\"}"}).size() == 1;
  };
  CHECK(eventually(summarised));
  CHECK(std::chrono::steady_clock::now() - first >= window);  // not before the window ended
  CHECK(n.crash_reports().suppressed() == 0);
  // The next crash of that kind opens a new window: written whole again.
  auto a = start(self, crasher);
  self->send(a, crash_atom::value);
  await_down(self, a);
  CHECK(logs.errors({"CRASH REPORT", "{crash,\"boom\"}"}).size() == 3);  // 2 reports + 1 summary
}
