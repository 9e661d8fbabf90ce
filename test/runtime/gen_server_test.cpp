// gen_server, as OTP's gen_server behaviour states it: init/1, handle_call/3, handle_cast/2,
// handle_info/2, terminate/2, and call/3 with its timeout.
#include "runtime_test.hpp"

using namespace rodeo_test;

namespace {

using never_atom = caf::atom_constant<caf::atom("never")>;
using later_atom = caf::atom_constant<caf::atom("later")>;
using count_atom = caf::atom_constant<caf::atom("count")>;
using watch_atom = caf::atom_constant<caf::atom("watch")>;
using ended_atom = caf::atom_constant<caf::atom("ended")>;
using info_atom = caf::atom_constant<caf::atom("info")>;

// The callback module under test: a counter that tells `probe` about infos and its end.
struct counter {
  caf::event_based_actor* self;
  caf::actor probe;
  int n;
  std::optional<caf::response_promise> pending;

  counter(caf::event_based_actor* self, caf::actor probe, int start)
      : self(self), probe(std::move(probe)), n(start) {
    if (start < 0) throw std::invalid_argument("negative start");
  }

  caf::behavior handle_call() {
    return {
        [this](get_atom) { return n; },
        [this](add_atom, int x) { return n += x; },
        [this](stop_atom) {
          self->quit(rodeo::reason::shutdown("asked"));
          return n;
        },
        [](crash_atom) -> int { throw std::runtime_error("call crashed"); },
        [](never_atom) { return caf::delegated<int>{}; },
        [this](later_atom) {
          pending = self->make_response_promise();
          return caf::delegated<int>{};
        },
        [](ping_atom) {},
    };
  }

  caf::behavior handle_cast() {
    return {
        [this](reset_atom) { n = 0; },
        [this](add_atom, int x) { n += x; },
        [this](later_atom) {
          if (pending) pending->deliver(n);
          pending.reset();
        },
    };
  }

  caf::behavior handle_info() {
    return {
        [this](info_atom, int x) { self->send(probe, info_atom::value, x + n); },
        [this](watch_atom, caf::actor who) { self->monitor(who); },
        [this](caf::down_msg& d) { self->send(probe, info_atom::value, d.reason); },
    };
  }

  void terminate(const caf::error& reason) {
    self->send(probe, ended_atom::value, rodeo::reason::to_string(reason), n);
  }
};

// A module with handle_call only, and no self pointer.
struct echo {
  caf::behavior handle_call() {
    return {[](const std::string& s) { return s; },
            [](int x, int y) {
              return std::make_tuple(x, y);
            }};
  }
};

std::pair<std::string, int> await_end(caf::scoped_actor& self) {
  std::pair<std::string, int> result;
  self->receive(
      [&](ended_atom, std::string reason, int n) {
        result = {reason, n};
      },
      caf::after(patience) >> [] { FAIL("terminate did not run"); });
  return result;
}

}  // namespace

TEST_CASE("gen_server call returns the reply of handle_call") {
  rodeo::node n;
  caf::scoped_actor self{n.system()};
  auto srv = rodeo::gen_server<counter>::start(n.system(), caf::actor_cast<caf::actor>(self), 5);
  CHECK(rodeo::call<int>(self, srv, patience, get_atom::value) == 5);
  CHECK(rodeo::call<int>(self, srv, patience, add_atom::value, 3) == 8);
  CHECK(rodeo::call<>(self, srv, patience, ping_atom::value));
  auto pair = rodeo::call<int, int>(self, srv, patience, add_atom::value, 0);
  CHECK_FALSE(pair);
  self->send_exit(srv, rodeo::reason::shutdown());
  await_end(self);
}

TEST_CASE("gen_server call with several reply values returns a tuple") {
  rodeo::node n;
  caf::scoped_actor self{n.system()};
  auto srv = rodeo::gen_server<echo>::start(n.system());
  CHECK(rodeo::call<std::string>(self, srv, patience, std::string{"hi"}) == std::string{"hi"});
  auto both = rodeo::call<int, int>(self, srv, patience, 1, 2);
  REQUIRE(both);
  CHECK(*both == std::make_tuple(1, 2));
  self->send_exit(srv, rodeo::reason::kill());
}

TEST_CASE("gen_server cast reaches handle_cast and gets no reply") {
  rodeo::node n;
  caf::scoped_actor self{n.system()};
  auto srv = rodeo::gen_server<counter>::start(n.system(), caf::actor_cast<caf::actor>(self), 5);
  rodeo::cast(srv, add_atom::value, 10);
  rodeo::cast(srv, reset_atom::value);
  rodeo::cast(srv, add_atom::value, 2);
  // Casts and calls from one sender keep their order.
  CHECK(rodeo::call<int>(self, srv, patience, get_atom::value) == 2);
  self->send_exit(srv, rodeo::reason::shutdown());
  await_end(self);
}

TEST_CASE("gen_server handle_info gets every other message including down messages") {
  log_capture logs;
  rodeo::node n;
  caf::scoped_actor self{n.system()};
  auto srv = rodeo::gen_server<counter>::start(n.system(), caf::actor_cast<caf::actor>(self), 1);
  self->send(srv, info_atom::value, 41);
  self->receive([](info_atom, int x) { CHECK(x == 42); },
                caf::after(patience) >> [] { FAIL("no info"); });
  // A message that matches a call handler but is not a call is an info: no reply, no change.
  self->send(srv, add_atom::value, 100);
  auto watched = rodeo::spawn(n.system(), [](caf::event_based_actor* me) {
    return caf::behavior{[me](stop_atom) {
      me->quit(rodeo::reason::shutdown("watched"));
    }};
  });
  self->send(srv, watch_atom::value, watched);
  CHECK(rodeo::call<int>(self, srv, patience, get_atom::value) == 1);
  self->send(watched, stop_atom::value);
  self->receive(
      [](info_atom, caf::error& reason) {
        CHECK(rodeo::reason::to_string(reason) == "{shutdown,watched}");
      },
      caf::after(patience) >> [] { FAIL("no down info"); });
  CHECK(logs.warnings().size() == 1);  // the unexpected {add, 100} info
  self->send_exit(srv, rodeo::reason::shutdown());
  await_end(self);
}

TEST_CASE("gen_server terminate runs with the exit reason and the last state") {
  rodeo::node n;
  caf::scoped_actor self{n.system()};
  auto probe = caf::actor_cast<caf::actor>(self);
  auto srv = rodeo::gen_server<counter>::start(n.system(), probe, 7);
  self->send_exit(srv, rodeo::reason::shutdown("bye"));
  CHECK(await_end(self) == std::make_pair(std::string{"{shutdown,bye}"}, 7));
  auto killed = rodeo::gen_server<counter>::start(n.system(), probe, 8);
  self->send_exit(killed, rodeo::reason::kill());
  CHECK(await_end(self) == std::make_pair(std::string{"killed"}, 8));
}

TEST_CASE("gen_server: a handler that stops the server still sends its reply") {
  rodeo::node n;
  caf::scoped_actor self{n.system()};
  auto srv =
      rodeo::gen_server<counter>::start_monitor(self.ptr(), caf::actor_cast<caf::actor>(self), 3);
  CHECK(rodeo::call<int>(self, srv, patience, stop_atom::value) == 3);
  CHECK(await_end(self) == std::make_pair(std::string{"{shutdown,asked}"}, 3));
  CHECK(rodeo::reason::to_string(await_down(self, srv)) == "{shutdown,asked}");
}

TEST_CASE("gen_server call times out like Erlang's call timeout") {
  rodeo::node n;
  caf::scoped_actor self{n.system()};
  auto srv = rodeo::gen_server<counter>::start(n.system(), caf::actor_cast<caf::actor>(self), 0);
  auto reply = rodeo::call<int>(self, srv, 20ms, never_atom::value);
  REQUIRE_FALSE(reply);
  CHECK(rodeo::reason::is_timeout(reply.error()));
  CHECK(rodeo::reason::to_string(reply.error()) == "timeout");
  // The server is unaffected.
  CHECK(rodeo::call<int>(self, srv, patience, get_atom::value) == 0);
  self->send_exit(srv, rodeo::reason::shutdown());
  await_end(self);
}

TEST_CASE("gen_server replies later through a response promise") {
  rodeo::node n;
  caf::scoped_actor self{n.system()};
  auto srv = rodeo::gen_server<counter>::start(n.system(), caf::actor_cast<caf::actor>(self), 4);
  auto waiter = rodeo::spawn(
      n.system(), [srv, probe = caf::actor_cast<caf::actor>(self)](caf::event_based_actor* me) {
        rodeo::call(me, srv, patience, later_atom::value).then([me, probe](int x) {
          me->send(probe, later_atom::value, x);
        });
      });
  // The promise is taken before the cast that fulfils it: calls and casts from one sender are
  // ordered, but these come from two. Retry the cast until the answer comes, bounded.
  bool answered = false;
  auto deadline = std::chrono::steady_clock::now() + patience;
  while (!answered && std::chrono::steady_clock::now() < deadline) {
    rodeo::cast(srv, later_atom::value);
    self->receive(
        [&](later_atom, int x) {
          CHECK(x == 4);
          answered = true;
        },
        caf::after(10ms) >> [] {});
  }
  CHECK(answered);
  self->send_exit(srv, rodeo::reason::shutdown());
  await_end(self);
}

TEST_CASE("gen_server: a call no handler matches fails and the server lives on") {
  log_capture logs;
  rodeo::node n;
  caf::scoped_actor self{n.system()};
  auto srv = rodeo::gen_server<counter>::start(n.system(), caf::actor_cast<caf::actor>(self), 1);
  auto reply = rodeo::call<int>(self, srv, patience, std::string{"what?"});
  REQUIRE_FALSE(reply);
  CHECK(reply.error() == caf::sec::unexpected_message);
  rodeo::cast(srv, std::string{"and this?"});
  CHECK(rodeo::call<int>(self, srv, patience, get_atom::value) == 1);
  CHECK(logs.warnings().size() == 1);  // the unexpected cast
  self->send_exit(srv, rodeo::reason::shutdown());
  await_end(self);
}

TEST_CASE("gen_server: a call to a dead server fails with noproc") {
  rodeo::node n;
  caf::scoped_actor self{n.system()};
  auto srv =
      rodeo::gen_server<counter>::start_monitor(self.ptr(), caf::actor_cast<caf::actor>(self), 1);
  self->send_exit(srv, rodeo::reason::shutdown());
  await_down(self, srv);
  auto reply = rodeo::call<int>(self, srv, patience, get_atom::value);
  REQUIRE_FALSE(reply);
  CHECK(rodeo::reason::to_string(reply.error()) == "noproc");
}

TEST_CASE(
    "gen_server: a crash in handle_call fails the call with the crash reason and is reported "
    "once") {
  log_capture logs;
  rodeo::node n;
  caf::scoped_actor self{n.system()};
  // Lazily started: the monitor is in place before the server's crash reporter (see
  // crash_report_test.cpp), so the report is written when the down message arrives.
  auto srv = rodeo::gen_server<counter>::start_monitor<caf::lazy_init>(
      self.ptr(), caf::actor_cast<caf::actor>(self), 1);
  REQUIRE(rodeo::register_name(n.system(), "counter", srv));
  auto reply = rodeo::call<int>(self, srv, patience, crash_atom::value);
  REQUIRE_FALSE(reply);
  CHECK(rodeo::reason::to_string(reply.error()) == "{crash,\"call crashed\"}");
  CHECK(await_end(self).first == "{crash,\"call crashed\"}");
  await_down(self, srv);
  auto reports = logs.errors({"CRASH REPORT"});
  REQUIRE(reports.size() == 1);
  CHECK(reports[0].find("(counter)") != std::string::npos);
}

TEST_CASE("gen_server: an exception in init ends the server with the crash reason") {
  log_capture logs;
  rodeo::node n;
  caf::scoped_actor self{n.system()};
  auto srv = rodeo::gen_server<counter>::start_monitor<caf::lazy_init>(
      self.ptr(), caf::actor_cast<caf::actor>(self), -1);
  self->send(srv, info_atom::value, 0);  // starts it
  CHECK(rodeo::reason::to_string(await_down(self, srv)) == "{crash,\"negative start\"}");
  CHECK(logs.errors({"CRASH REPORT"}).size() == 1);
}

TEST_CASE("gen_server: a linked server dies with its parent") {
  rodeo::node n;
  caf::scoped_actor self{n.system()};
  auto probe = caf::actor_cast<caf::actor>(self);
  auto parent = rodeo::spawn_monitor(self.ptr(), [probe](caf::event_based_actor* me) {
    auto srv = rodeo::gen_server<counter>::start_link(me, probe, 9);
    me->send(probe, ready_atom::value, srv);
    return caf::behavior{[me](stop_atom) {
      me->quit(rodeo::reason::shutdown("parent"));
    }};
  });
  caf::actor srv;
  self->receive([&](ready_atom, caf::actor s) { srv = s; },
                caf::after(patience) >> [] { FAIL("no server"); });
  self->send(parent, stop_atom::value);
  CHECK(await_end(self) == std::make_pair(std::string{"{shutdown,parent}"}, 9));
}

TEST_CASE("gen_server: an event-based caller without error handler exits with timeout") {
  log_capture logs;
  rodeo::node n;
  caf::scoped_actor self{n.system()};
  auto srv = rodeo::gen_server<counter>::start(n.system(), caf::actor_cast<caf::actor>(self), 0);
  auto caller = rodeo::spawn_monitor<caf::lazy_init>(self.ptr(), [srv](caf::event_based_actor* me) {
    rodeo::call(me, srv, 20ms, never_atom::value).then([](int) {});
    return caf::behavior{[](go_atom) {
    }};
  });
  self->send(caller, go_atom::value);  // starts it
  CHECK(rodeo::reason::to_string(await_down(self, caller)) == "timeout");
  CHECK(logs.errors({"CRASH REPORT", "timeout"}).size() == 1);
  self->send_exit(srv, rodeo::reason::shutdown());
  await_end(self);
}
