// Restart strategies and restart types, as OTP's supervisor documentation states them.
#include <caf/all.hpp>
#include <catch2/catch.hpp>

#include "support.hpp"

using namespace sup_test;
using rodeo::restart_type;
using rodeo::strategy;
using strings = std::vector<std::string>;

namespace {

rodeo::supervisor_spec spec_of(strategy s, std::vector<rodeo::child_spec> children,
                               int intensity = 10) {
  rodeo::supervisor_spec spec;
  spec.flags.strategy = s;
  spec.flags.intensity = intensity;
  spec.children = std::move(children);
  return spec;
}

}  // namespace

TEST_CASE("children are started in order") {
  captured_log quiet;
  rodeo::node n;
  auto log = std::make_shared<event_log>();
  auto sup = rodeo::start_supervisor(
      n.system(), spec_of(strategy::one_for_one,
                          {worker_spec(log, "a"), worker_spec(log, "b"), worker_spec(log, "c")}));
  REQUIRE(sup);
  CHECK(log->since(0) == strings{"start:a", "start:b", "start:c"});
  CHECK(rodeo::stop_supervisor(*sup) == caf::none);
}

TEST_CASE("one_for_one: only the crashed child is restarted") {
  captured_log quiet;
  rodeo::node n;
  auto log = std::make_shared<event_log>();
  auto sup = rodeo::start_supervisor(
      n.system(), spec_of(strategy::one_for_one,
                          {worker_spec(log, "a"), worker_spec(log, "b"), worker_spec(log, "c")}));
  REQUIRE(sup);
  auto a = child_of(*sup, "a");
  auto b = child_of(*sup, "b");
  auto c = child_of(*sup, "c");
  auto mark = log->size();
  caf::anon_send(b, crash_atom::value);
  REQUIRE(log->wait_count("start:b", 2));
  // which_children is answered after the restart: nothing else happened in between.
  auto b2 = child_of(*sup, "b");
  CHECK(log->since(mark) == strings{"stop:b:crash", "start:b"});
  CHECK(b2 != b);
  CHECK(child_of(*sup, "a") == a);
  CHECK(child_of(*sup, "c") == c);
  CHECK(rodeo::stop_supervisor(*sup) == caf::none);
}

TEST_CASE(
    "one_for_all: all children are restarted, the others stopped in reverse order, all "
    "started in order") {
  captured_log quiet;
  rodeo::node n;
  auto log = std::make_shared<event_log>();
  auto sup = rodeo::start_supervisor(
      n.system(), spec_of(strategy::one_for_all, {worker_spec(log, "a"), worker_spec(log, "b"),
                                                  worker_spec(log, "c"), worker_spec(log, "d")}));
  REQUIRE(sup);
  auto a = child_of(*sup, "a");
  auto mark = log->size();
  caf::anon_send(child_of(*sup, "b"), crash_atom::value);
  REQUIRE(log->wait_count("start:d", 2));
  child_of(*sup, "a");  // synchronises with the supervisor
  CHECK(log->since(mark) == strings{"stop:b:crash", "stop:d:shutdown", "stop:c:shutdown",
                                    "stop:a:shutdown", "start:a", "start:b", "start:c", "start:d"});
  CHECK(child_of(*sup, "a") != a);
  CHECK(rodeo::stop_supervisor(*sup) == caf::none);
}

TEST_CASE("rest_for_one: a crash of child 2 of 4 restarts 2, 3 and 4 in order and leaves 1 alone") {
  captured_log quiet;
  rodeo::node n;
  auto log = std::make_shared<event_log>();
  auto sup = rodeo::start_supervisor(
      n.system(), spec_of(strategy::rest_for_one, {worker_spec(log, "1"), worker_spec(log, "2"),
                                                   worker_spec(log, "3"), worker_spec(log, "4")}));
  REQUIRE(sup);
  auto one = child_of(*sup, "1");
  auto mark = log->size();
  caf::anon_send(child_of(*sup, "2"), crash_atom::value);
  REQUIRE(log->wait_count("start:4", 2));
  CHECK(child_of(*sup, "1") == one);
  CHECK(log->since(mark) == strings{"stop:2:crash", "stop:4:shutdown", "stop:3:shutdown", "start:2",
                                    "start:3", "start:4"});
  CHECK(rodeo::stop_supervisor(*sup) == caf::none);
}

TEST_CASE("a permanent child is restarted after a normal exit") {
  captured_log quiet;
  rodeo::node n;
  auto log = std::make_shared<event_log>();
  auto sup =
      rodeo::start_supervisor(n.system(), spec_of(strategy::one_for_one, {worker_spec(log, "p")}));
  REQUIRE(sup);
  caf::anon_send(child_of(*sup, "p"), finish_atom::value);
  REQUIRE(log->wait_count("start:p", 2));
  CHECK(child_of(*sup, "p"));
  CHECK(rodeo::stop_supervisor(*sup) == caf::none);
}

TEST_CASE("a transient child is restarted only after an abnormal exit") {
  captured_log quiet;
  rodeo::node n;
  auto log = std::make_shared<event_log>();
  auto sup = rodeo::start_supervisor(
      n.system(), spec_of(strategy::one_for_one, {worker_spec(log, "t", restart_type::transient)}));
  REQUIRE(sup);
  caf::anon_send(child_of(*sup, "t"), crash_atom::value);
  REQUIRE(log->wait_count("start:t", 2));
  auto t = child_of(*sup, "t");
  REQUIRE(t);
  caf::anon_send(t, finish_atom::value);
  REQUIRE(wait_down(n.system(), t));
  REQUIRE(eventually([&] { return active_children(*sup) == 0; }));
  // The exit was normal: the spec stays, the child is not running and not restarted.
  auto children = rodeo::which_children(*sup);
  REQUIRE(children);
  REQUIRE(children->size() == 1);
  CHECK(children->front().id == "t");
  CHECK_FALSE(children->front().handle);
  CHECK_FALSE(children->front().restarting);
  CHECK(log->count("start:t") == 2);
  CHECK(rodeo::stop_supervisor(*sup) == caf::none);
}

TEST_CASE("a transient child exiting with shutdown or {shutdown, R} is not restarted") {
  captured_log quiet;
  rodeo::node n;
  auto log = std::make_shared<event_log>();
  auto sup = rodeo::start_supervisor(
      n.system(), spec_of(strategy::one_for_one, {worker_spec(log, "t", restart_type::transient),
                                                  worker_spec(log, "u", restart_type::transient)}));
  REQUIRE(sup);
  auto t = child_of(*sup, "t");
  auto u = child_of(*sup, "u");
  caf::anon_send_exit(t, caf::exit_reason::user_shutdown);
  caf::scoped_actor self{n.system()};
  self->send_exit(u, rodeo::reason::shutdown("done"));
  REQUIRE(eventually([&] { return active_children(*sup) == 0; }));
  CHECK(child_specs(*sup) == 2);
  CHECK(log->count("start:t") == 1);
  CHECK(log->count("start:u") == 1);
  CHECK(rodeo::stop_supervisor(*sup) == caf::none);
}

TEST_CASE("a temporary child is never restarted and its spec is deleted when it exits") {
  captured_log quiet;
  rodeo::node n;
  auto log = std::make_shared<event_log>();
  auto sup = rodeo::start_supervisor(
      n.system(),
      spec_of(strategy::one_for_one,
              {worker_spec(log, "crashes", restart_type::temporary),
               worker_spec(log, "ends", restart_type::temporary), worker_spec(log, "stays")}));
  REQUIRE(sup);
  auto crashes = child_of(*sup, "crashes");
  auto ends = child_of(*sup, "ends");
  caf::anon_send(crashes, crash_atom::value);
  caf::anon_send(ends, finish_atom::value);
  REQUIRE(eventually([&] { return child_specs(*sup) == 1; }));
  auto children = rodeo::which_children(*sup);
  REQUIRE(children);
  REQUIRE(children->size() == 1);
  CHECK(children->front().id == "stays");
  CHECK(log->count("start:crashes") == 1);
  CHECK(log->count("start:ends") == 1);
  CHECK(rodeo::stop_supervisor(*sup) == caf::none);
}

TEST_CASE("a killed child is restarted and its supervisor lives on") {
  captured_log quiet;
  rodeo::node n;
  auto log = std::make_shared<event_log>();
  auto sup =
      rodeo::start_supervisor(n.system(), spec_of(strategy::one_for_one, {worker_spec(log, "k")}));
  REQUIRE(sup);
  caf::anon_send_exit(child_of(*sup, "k"), caf::exit_reason::kill);
  REQUIRE(log->wait_count("start:k", 2));
  CHECK(log->wait_count("killed:k", 1));
  CHECK(child_of(*sup, "k"));
  CHECK(rodeo::stop_supervisor(*sup) == caf::none);
}

TEST_CASE("a crashed child is reported as child_terminated") {
  captured_log reports;
  rodeo::node n;
  auto log = std::make_shared<event_log>();
  auto sup =
      rodeo::start_supervisor(n.system(), spec_of(strategy::one_for_one, {worker_spec(log, "r")}));
  REQUIRE(sup);
  caf::anon_send(child_of(*sup, "r"), crash_atom::value);
  REQUIRE(log->wait_count("start:r", 2));
  child_of(*sup, "r");
  CHECK(reports.contains("context: child_terminated reason: {crash,\"boom\"} offender: r"));
  CHECK(rodeo::stop_supervisor(*sup) == caf::none);
}

TEST_CASE("simple_one_for_one: start_child starts a child of the template with extra arguments") {
  captured_log quiet;
  rodeo::node n;
  auto log = std::make_shared<event_log>();
  auto sup = rodeo::start_supervisor(
      n.system(),
      spec_of(strategy::simple_one_for_one, {worker_spec(log, "conn", restart_type::temporary)}));
  REQUIRE(sup);
  CHECK(log->size() == 0);  // no child at init
  auto first = rodeo::start_child(*sup, caf::make_message(std::string{"alpha"}, 1));
  auto second = rodeo::start_child(*sup, caf::make_message(std::string{"beta"}, 2));
  REQUIRE(first);
  REQUIRE(second);
  caf::scoped_actor self{n.system()};
  self->request(*first, wait_limit, args_atom::value)
      .receive(
          [](const std::string& args) {
            CHECK(args == caf::to_string(caf::make_message(std::string{"alpha"}, 1)));
          },
          [](caf::error& err) { FAIL(caf::to_string(err)); });
  auto children = rodeo::which_children(*sup);
  REQUIRE(children);
  CHECK(children->size() == 2);
  for (auto& c : *children) CHECK(c.id.empty());
  auto counts = rodeo::count_children(*sup);
  REQUIRE(counts);
  CHECK(counts->specs == 1);
  CHECK(counts->active == 2);
  CHECK(counts->workers == 2);
  CHECK(rodeo::terminate_child(*sup, *first) == caf::none);
  CHECK(active_children(*sup) == 1);
  CHECK(rodeo::stop_supervisor(*sup) == caf::none);
  CHECK(wait_down(n.system(), *second));
}

TEST_CASE("simple_one_for_one: a crashed permanent child is restarted with the same arguments") {
  captured_log quiet;
  rodeo::node n;
  auto log = std::make_shared<event_log>();
  auto sup = rodeo::start_supervisor(
      n.system(), spec_of(strategy::simple_one_for_one, {worker_spec(log, "w")}));
  REQUIRE(sup);
  auto child = rodeo::start_child(*sup, caf::make_message(std::string{"gamma"}));
  REQUIRE(child);
  caf::anon_send(*child, crash_atom::value);
  REQUIRE(log->wait_count("start:w", 2));
  auto children = rodeo::which_children(*sup);
  REQUIRE(children);
  REQUIRE(children->size() == 1);
  auto restarted = children->front().handle;
  REQUIRE(restarted);
  CHECK(restarted != *child);
  caf::scoped_actor self{n.system()};
  self->request(restarted, wait_limit, args_atom::value)
      .receive(
          [](const std::string& args) {
            CHECK(args == caf::to_string(caf::make_message(std::string{"gamma"})));
          },
          [](caf::error& err) { FAIL(caf::to_string(err)); });
  CHECK(rodeo::stop_supervisor(*sup) == caf::none);
}

TEST_CASE("simple_one_for_one: children are stopped together when the supervisor stops") {
  captured_log quiet;
  rodeo::node n;
  auto log = std::make_shared<event_log>();
  auto sup = rodeo::start_supervisor(
      n.system(), spec_of(strategy::simple_one_for_one,
                          {worker_spec(log, "h", restart_type::temporary, on_exit_signal::hold,
                                       rodeo::shutdown::infinity)}));
  REQUIRE(sup);
  std::vector<caf::actor> kids;
  for (int i = 0; i < 3; ++i) {
    auto c = rodeo::start_child(*sup, caf::make_message(i));
    REQUIRE(c);
    kids.push_back(*c);
  }
  caf::anon_send_exit(*sup, caf::exit_reason::user_shutdown);
  // All three got their exit signal before any of them exited: they are stopped concurrently.
  REQUIRE(log->wait_count("held:h", 3));
  for (auto& k : kids) caf::anon_send(k, release_atom::value);
  auto reason = wait_down(n.system(), *sup);
  REQUIRE(reason);
  CHECK(rodeo::reason::is_shutdown(*reason));
}
