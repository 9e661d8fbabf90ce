// The supervisor API: start_child, terminate_child, restart_child, delete_child, which_children,
// count_children, failed starts, and the message interface for actors.
#include <caf/all.hpp>
#include <catch2/catch.hpp>

#include "support.hpp"

using namespace sup_test;
using rodeo::restart_type;
using rodeo::supervisor_error;
using strings = std::vector<std::string>;

namespace {

rodeo::supervisor_spec one_for_one(std::vector<rodeo::child_spec> children) {
  rodeo::supervisor_spec spec;
  spec.children = std::move(children);
  return spec;
}

rodeo::child_spec failing_spec(std::string id, log_ptr log, bool throws) {
  rodeo::child_spec spec;
  spec.id = id;
  spec.start = [log, id, throws](caf::actor_system&) -> caf::expected<caf::actor> {
    log->add("failed:" + id);
    if (throws) throw std::runtime_error("no can do");
    return caf::make_error(caf::sec::runtime_error, "refused");
  };
  return spec;
}

}  // namespace

TEST_CASE("start_child starts a new child and adds it to the supervisor") {
  captured_log quiet;
  rodeo::node n;
  auto log = std::make_shared<event_log>();
  auto sup = rodeo::start_supervisor(n.system(), one_for_one({worker_spec(log, "a")}));
  REQUIRE(sup);
  auto b = rodeo::start_child(*sup, worker_spec(log, "b"));
  REQUIRE(b);
  CHECK(*b);
  CHECK(child_of(*sup, "b") == *b);
  CHECK(log->since(0) == strings{"start:a", "start:b"});
  // Started last, stopped first.
  auto mark = log->size();
  CHECK(rodeo::stop_supervisor(*sup) == caf::none);
  CHECK(log->since(mark) == strings{"stop:b:shutdown", "stop:a:shutdown"});
}

TEST_CASE(
    "start_child with a running child's id fails with already_started, with a stopped "
    "child's id with already_present") {
  captured_log quiet;
  rodeo::node n;
  auto log = std::make_shared<event_log>();
  auto sup = rodeo::start_supervisor(n.system(), one_for_one({worker_spec(log, "a")}));
  REQUIRE(sup);
  auto again = rodeo::start_child(*sup, worker_spec(log, "a"));
  REQUIRE_FALSE(again);
  CHECK(again.error() == supervisor_error::already_started);
  CHECK(again.error().context().get_as<caf::actor>(0) == child_of(*sup, "a"));
  REQUIRE(rodeo::terminate_child(*sup, "a") == caf::none);
  again = rodeo::start_child(*sup, worker_spec(log, "a"));
  REQUIRE_FALSE(again);
  CHECK(again.error() == supervisor_error::already_present);
  CHECK(log->count("start:a") == 1);
  CHECK(rodeo::stop_supervisor(*sup) == caf::none);
}

TEST_CASE("terminate_child stops the child and keeps its spec, and restart_child starts it again") {
  captured_log quiet;
  rodeo::node n;
  auto log = std::make_shared<event_log>();
  auto sup = rodeo::start_supervisor(n.system(),
                                     one_for_one({worker_spec(log, "a"), worker_spec(log, "b")}));
  REQUIRE(sup);
  auto old = child_of(*sup, "a");
  CHECK(rodeo::terminate_child(*sup, "a") == caf::none);
  CHECK(log->count("stop:a:shutdown") == 1);
  CHECK(wait_down(n.system(), old));
  auto counts = rodeo::count_children(*sup);
  REQUIRE(counts);
  CHECK(counts->specs == 2);
  CHECK(counts->active == 1);
  CHECK_FALSE(child_of(*sup, "a"));
  // A terminated child is not restarted by the supervisor: it was stopped, it did not die.
  CHECK(log->count("start:a") == 1);
  auto restarted = rodeo::restart_child(*sup, "a");
  REQUIRE(restarted);
  CHECK(*restarted);
  CHECK(*restarted != old);
  CHECK(child_of(*sup, "a") == *restarted);
  CHECK(log->count("start:a") == 2);
  CHECK(rodeo::stop_supervisor(*sup) == caf::none);
}

TEST_CASE("terminate_child and restart_child report not_found and running") {
  captured_log quiet;
  rodeo::node n;
  auto log = std::make_shared<event_log>();
  auto sup = rodeo::start_supervisor(n.system(), one_for_one({worker_spec(log, "a")}));
  REQUIRE(sup);
  CHECK(rodeo::terminate_child(*sup, "nope") == supervisor_error::not_found);
  CHECK(rodeo::restart_child(*sup, "nope").error() == supervisor_error::not_found);
  CHECK(rodeo::restart_child(*sup, "a").error() == supervisor_error::running);
  // terminate_child also takes the child's handle.
  auto a = child_of(*sup, "a");
  CHECK(rodeo::terminate_child(*sup, a) == caf::none);
  CHECK_FALSE(child_of(*sup, "a"));
  CHECK(rodeo::terminate_child(*sup, a) == supervisor_error::not_found);
  CHECK(rodeo::stop_supervisor(*sup) == caf::none);
}

TEST_CASE("terminate_child of a temporary child deletes its spec") {
  captured_log quiet;
  rodeo::node n;
  auto log = std::make_shared<event_log>();
  auto sup = rodeo::start_supervisor(
      n.system(), one_for_one({worker_spec(log, "temp", restart_type::temporary)}));
  REQUIRE(sup);
  CHECK(rodeo::terminate_child(*sup, "temp") == caf::none);
  CHECK(child_specs(*sup) == 0);
  CHECK(rodeo::restart_child(*sup, "temp").error() == supervisor_error::not_found);
  CHECK(rodeo::stop_supervisor(*sup) == caf::none);
}

TEST_CASE("delete_child removes a stopped child's spec and refuses a running child") {
  captured_log quiet;
  rodeo::node n;
  auto log = std::make_shared<event_log>();
  auto sup = rodeo::start_supervisor(n.system(),
                                     one_for_one({worker_spec(log, "a"), worker_spec(log, "b")}));
  REQUIRE(sup);
  CHECK(rodeo::delete_child(*sup, "a") == supervisor_error::running);
  CHECK(rodeo::delete_child(*sup, "zzz") == supervisor_error::not_found);
  REQUIRE(rodeo::terminate_child(*sup, "a") == caf::none);
  CHECK(rodeo::delete_child(*sup, "a") == caf::none);
  auto children = rodeo::which_children(*sup);
  REQUIRE(children);
  REQUIRE(children->size() == 1);
  CHECK(children->front().id == "b");
  // The id is free again.
  CHECK(rodeo::start_child(*sup, worker_spec(log, "a")));
  CHECK(rodeo::stop_supervisor(*sup) == caf::none);
}

TEST_CASE("which_children lists id, handle or undefined and type, newest first") {
  captured_log quiet;
  rodeo::node n;
  auto log = std::make_shared<event_log>();
  rodeo::supervisor_spec inner;
  inner.children = {worker_spec(log, "leaf")};
  auto sup = rodeo::start_supervisor(
      n.system(), one_for_one({worker_spec(log, "a"), rodeo::supervisor_child("sub", inner),
                               worker_spec(log, "c")}));
  REQUIRE(sup);
  REQUIRE(rodeo::terminate_child(*sup, "c") == caf::none);
  auto children = rodeo::which_children(*sup);
  REQUIRE(children);
  REQUIRE(children->size() == 3);
  CHECK((*children)[0].id == "c");
  CHECK_FALSE((*children)[0].handle);  // undefined
  CHECK((*children)[0].type == rodeo::child_type::worker);
  CHECK((*children)[1].id == "sub");
  CHECK((*children)[1].handle);
  CHECK((*children)[1].type == rodeo::child_type::supervisor);
  CHECK((*children)[2].id == "a");
  CHECK((*children)[2].handle);
  for (auto& c : *children) CHECK_FALSE(c.restarting);
  CHECK(rodeo::stop_supervisor(*sup) == caf::none);
}

TEST_CASE("count_children counts specs, active children, supervisors and workers") {
  captured_log quiet;
  rodeo::node n;
  auto log = std::make_shared<event_log>();
  rodeo::supervisor_spec inner;
  inner.children = {worker_spec(log, "leaf")};
  auto sup =
      rodeo::start_supervisor(n.system(), one_for_one({worker_spec(log, "a"), worker_spec(log, "b"),
                                                       rodeo::supervisor_child("sub", inner)}));
  REQUIRE(sup);
  REQUIRE(rodeo::terminate_child(*sup, "b") == caf::none);
  auto counts = rodeo::count_children(*sup);
  REQUIRE(counts);
  CHECK(counts->specs == 3);
  CHECK(counts->active == 2);
  CHECK(counts->supervisors == 1);
  CHECK(counts->workers == 2);  // stopped children count too
  CHECK(rodeo::stop_supervisor(*sup) == caf::none);
}

TEST_CASE(
    "a start function that fails or throws is an error to the caller and the supervisor "
    "lives on") {
  captured_log quiet;
  rodeo::node n;
  auto log = std::make_shared<event_log>();
  auto sup = rodeo::start_supervisor(n.system(), one_for_one({worker_spec(log, "a")}));
  REQUIRE(sup);
  auto refused = rodeo::start_child(*sup, failing_spec("refuses", log, false));
  REQUIRE_FALSE(refused);
  CHECK(refused.error() == caf::sec::runtime_error);
  auto thrown = rodeo::start_child(*sup, failing_spec("throws", log, true));
  REQUIRE_FALSE(thrown);
  CHECK(rodeo::reason::is_crash(thrown.error()));
  CHECK(rodeo::format_error(thrown.error()) == "{crash,\"no can do\"}");
  // Neither was added; the supervisor and its child are unaffected.
  CHECK(child_specs(*sup) == 1);
  CHECK(child_of(*sup, "a"));
  CHECK(rodeo::start_child(*sup, worker_spec(log, "b")));
  CHECK(rodeo::stop_supervisor(*sup) == caf::none);
}

TEST_CASE("an invalid child spec is refused with invalid_spec") {
  captured_log quiet;
  rodeo::node n;
  auto log = std::make_shared<event_log>();
  auto sup = rodeo::start_supervisor(n.system(), one_for_one({}));
  REQUIRE(sup);
  rodeo::child_spec no_start;
  no_start.id = "x";
  CHECK(rodeo::start_child(*sup, no_start).error() == supervisor_error::invalid_spec);
  auto no_id = worker_spec(log, "");
  CHECK(rodeo::start_child(*sup, no_id).error() == supervisor_error::invalid_spec);
  rodeo::supervisor_spec duplicate = one_for_one({worker_spec(log, "d"), worker_spec(log, "d")});
  auto bad = rodeo::start_supervisor(n.system(), duplicate);
  REQUIRE_FALSE(bad);
  CHECK(bad.error() == supervisor_error::invalid_spec);
  CHECK(log->size() == 0);
  CHECK(rodeo::stop_supervisor(*sup) == caf::none);
}

TEST_CASE(
    "a child failing to start at init makes start_supervisor fail with "
    "failed_to_start_child after stopping the children already started") {
  captured_log quiet;
  rodeo::node n;
  auto log = std::make_shared<event_log>();
  auto sup = rodeo::start_supervisor(
      n.system(), one_for_one({worker_spec(log, "a"), worker_spec(log, "b"),
                               failing_spec("c", log, false), worker_spec(log, "d")}));
  REQUIRE_FALSE(sup);
  auto failed = rodeo::failed_to_start_child(sup.error());
  REQUIRE(failed);
  CHECK(failed->id == "c");
  CHECK(failed->reason == caf::sec::runtime_error);
  // Stopped before start_supervisor returned, in reverse order; d was never started.
  CHECK(log->since(0) ==
        strings{"start:a", "start:b", "failed:c", "stop:b:shutdown", "stop:a:shutdown"});
}

TEST_CASE("a start function returning ignore leaves the child spec without a process") {
  captured_log quiet;
  rodeo::node n;
  auto log = std::make_shared<event_log>();
  rodeo::child_spec ignored;
  ignored.id = "ignored";
  ignored.start = [](caf::actor_system&) {
    return caf::actor{};
  };
  auto temporary = ignored;
  temporary.id = "temporary";
  temporary.restart = restart_type::temporary;
  auto sup = rodeo::start_supervisor(n.system(), one_for_one({ignored, temporary}));
  REQUIRE(sup);
  auto children = rodeo::which_children(*sup);
  REQUIRE(children);
  REQUIRE(children->size() == 1);  // OTP keeps no spec for an ignored temporary child
  CHECK(children->front().id == "ignored");
  CHECK_FALSE(children->front().handle);
  auto started = rodeo::start_child(*sup, [&] {
    auto spec = ignored;
    spec.id = "later";
    return spec;
  }());
  REQUIRE(started);
  CHECK_FALSE(*started);  // {ok, undefined}
  CHECK(rodeo::stop_supervisor(*sup) == caf::none);
}

TEST_CASE("simple_one_for_one refuses the operations that take a child id") {
  captured_log quiet;
  rodeo::node n;
  auto log = std::make_shared<event_log>();
  rodeo::supervisor_spec spec;
  spec.flags.strategy = rodeo::strategy::simple_one_for_one;
  spec.children = {worker_spec(log, "w")};
  auto sup = rodeo::start_supervisor(n.system(), spec);
  REQUIRE(sup);
  CHECK(rodeo::terminate_child(*sup, "w") == supervisor_error::simple_one_for_one);
  CHECK(rodeo::restart_child(*sup, "w").error() == supervisor_error::simple_one_for_one);
  CHECK(rodeo::delete_child(*sup, "w") == supervisor_error::simple_one_for_one);
  CHECK(rodeo::start_child(*sup, worker_spec(log, "x")).error() ==
        supervisor_error::simple_one_for_one);
  CHECK(rodeo::stop_supervisor(*sup) == caf::none);
  // And a static supervisor has no template to start with arguments.
  auto plain = rodeo::start_supervisor(n.system(), one_for_one({}));
  REQUIRE(plain);
  CHECK(rodeo::start_child(*plain, caf::make_message(1)).error() == supervisor_error::invalid_spec);
  CHECK(rodeo::stop_supervisor(*plain) == caf::none);
}

TEST_CASE("an actor calls a supervisor through the message interface without blocking") {
  captured_log quiet;
  rodeo::node n;
  auto log = std::make_shared<event_log>();
  rodeo::supervisor_spec spec;
  spec.flags.strategy = rodeo::strategy::simple_one_for_one;
  spec.children = {worker_spec(log, "conn", restart_type::temporary)};
  auto sup = rodeo::start_supervisor(n.system(), spec);
  REQUIRE(sup);
  auto results = std::make_shared<event_log>();
  // Arguments, not captures: CAF 0.17 spawns an argument-less function through a null
  // shared_ptr<tuple<>>, which UBSan rejects.
  auto caller = n.system().spawn(
      [](caf::event_based_actor* self, caf::actor sup, log_ptr results) {
        self->request(sup, std::chrono::seconds{10}, rodeo::start_child_atom::value,
                      caf::make_message(7))
            .then(
                [=](const caf::actor& child) {
                  results->add(child ? "started" : "undefined");
                  self->request(sup, std::chrono::seconds{10}, rodeo::count_children_atom::value)
                      .then([=](const rodeo::child_counts& c) {
                        results->add("active:" + std::to_string(c.active));
                        self->request(sup, std::chrono::seconds{10},
                                      rodeo::terminate_child_atom::value, child)
                            .then([=] { results->add("terminated"); },
                                  [=](caf::error& e) { results->add(caf::to_string(e)); });
                      });
                },
                [=](caf::error& e) { results->add(caf::to_string(e)); });
      },
      *sup, results);
  auto got = results->wait_since(0, 3);
  CHECK(got == strings{"started", "active:1", "terminated"});
  CHECK(rodeo::stop_supervisor(*sup) == caf::none);
}

TEST_CASE("a supervisor registers its name and frees it when it exits") {
  captured_log quiet;
  rodeo::node n;
  auto sup = rodeo::start_supervisor(n.system(), one_for_one({}), "top_sup");
  REQUIRE(sup);
  CHECK(rodeo::whereis(n.system(), "top_sup") == *sup);
  auto twin = rodeo::start_supervisor(n.system(), one_for_one({}), "top_sup");
  REQUIRE_FALSE(twin);
  CHECK(twin.error() == supervisor_error::already_started);
  CHECK(rodeo::stop_supervisor(*sup) == caf::none);
  CHECK(eventually([&] { return !rodeo::whereis(n.system(), "top_sup"); }));
}
