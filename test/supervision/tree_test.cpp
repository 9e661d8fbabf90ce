// Supervision trees and applications: supervisors under supervisors, and trees started and
// stopped with their node.
#include <future>

#include <caf/all.hpp>
#include <catch2/catch.hpp>

#include "support.hpp"

using namespace sup_test;
using rodeo::restart_type;
using strings = std::vector<std::string>;

namespace {

rodeo::supervisor_spec one_for_one(std::vector<rodeo::child_spec> children, int intensity = 1) {
  rodeo::supervisor_spec spec;
  spec.flags.intensity = intensity;
  spec.children = std::move(children);
  return spec;
}

rodeo::child_spec failing_spec(std::string id, log_ptr log) {
  rodeo::child_spec spec;
  spec.id = id;
  spec.start = [log, id](caf::actor_system&) -> caf::expected<caf::actor> {
    log->add("failed:" + id);
    return caf::make_error(caf::sec::runtime_error, "refused");
  };
  return spec;
}

}  // namespace

TEST_CASE("a nested supervisor starts all its children before its parent starts the next child") {
  captured_log quiet;
  rodeo::node n;
  auto log = std::make_shared<event_log>();
  auto sup = rodeo::start_supervisor(
      n.system(), one_for_one({worker_spec(log, "a"),
                               rodeo::supervisor_child("sub", one_for_one({worker_spec(log, "x"),
                                                                           worker_spec(log, "y")})),
                               worker_spec(log, "b")}));
  REQUIRE(sup);
  CHECK(log->since(0) == strings{"start:a", "start:x", "start:y", "start:b"});
  auto mark = log->size();
  CHECK(rodeo::stop_supervisor(*sup) == caf::none);
  CHECK(log->since(mark) ==
        strings{"stop:b:shutdown", "stop:y:shutdown", "stop:x:shutdown", "stop:a:shutdown"});
}

TEST_CASE("a start function that starts a supervisor makes it a child supervisor") {
  captured_log quiet;
  rodeo::node n;
  auto log = std::make_shared<event_log>();
  rodeo::child_spec custom;
  custom.id = "custom";
  custom.type = rodeo::child_type::supervisor;
  custom.start = [log](caf::actor_system& sys) {
    log->add("start:custom");
    return rodeo::start_supervisor(sys, one_for_one({worker_spec(log, "inner")}));
  };
  auto sup = rodeo::start_supervisor(n.system(), one_for_one({custom, worker_spec(log, "after")}));
  REQUIRE(sup);
  CHECK(log->since(0) == strings{"start:custom", "start:inner", "start:after"});
  CHECK(child_of(child_of(*sup, "custom"), "inner"));
  CHECK(rodeo::stop_supervisor(*sup) == caf::none);
  CHECK(log->count("stop:inner:shutdown") == 1);
}

TEST_CASE("a child supervisor that escalates is restarted by its parent") {
  captured_log quiet;
  rodeo::node n;
  auto log = std::make_shared<event_log>();
  auto sup = rodeo::start_supervisor(
      n.system(),
      one_for_one({rodeo::supervisor_child(
                      "sub", one_for_one({worker_spec(log, "w1"), worker_spec(log, "w2")}, 0))},
                  5));
  REQUIRE(sup);
  auto sub = child_of(*sup, "sub");
  REQUIRE(sub);
  auto mark = log->size();
  caf::anon_send(child_of(sub, "w2"), crash_atom::value);
  auto reason = wait_down(n.system(), sub);
  REQUIRE(reason);
  CHECK(*reason == caf::exit_reason::user_shutdown);
  REQUIRE(log->wait_count("start:w2", 2));
  auto restarted = child_of(*sup, "sub");
  CHECK(restarted);
  CHECK(restarted != sub);
  CHECK(log->since(mark) == strings{"stop:w2:crash", "stop:w1:shutdown", "start:w1", "start:w2"});
  CHECK(child_of(restarted, "w1"));
  CHECK(rodeo::stop_supervisor(*sup) == caf::none);
}

TEST_CASE(
    "a transient child supervisor that escalates is not restarted: shutdown is a normal "
    "exit") {
  captured_log quiet;
  rodeo::node n;
  auto log = std::make_shared<event_log>();
  auto sup = rodeo::start_supervisor(
      n.system(),
      one_for_one({rodeo::supervisor_child("sub", one_for_one({worker_spec(log, "w")}, 0),
                                           restart_type::transient)},
                  5));
  REQUIRE(sup);
  auto sub = child_of(*sup, "sub");
  caf::anon_send(child_of(sub, "w"), crash_atom::value);
  REQUIRE(wait_down(n.system(), sub));
  REQUIRE(eventually([&] { return active_children(*sup) == 0; }));
  CHECK(child_specs(*sup) == 1);
  CHECK(log->count("start:w") == 1);
  CHECK(rodeo::stop_supervisor(*sup) == caf::none);
}

TEST_CASE(
    "a nested supervisor failing to start makes its parent's start fail after stopping "
    "what was started, innermost first") {
  captured_log quiet;
  rodeo::node n;
  auto log = std::make_shared<event_log>();
  auto sup = rodeo::start_supervisor(
      n.system(),
      one_for_one({worker_spec(log, "a"),
                   rodeo::supervisor_child(
                       "sub", one_for_one({worker_spec(log, "x"), failing_spec("bad", log)})),
                   worker_spec(log, "b")}));
  REQUIRE_FALSE(sup);
  auto outer = rodeo::failed_to_start_child(sup.error());
  REQUIRE(outer);
  CHECK(outer->id == "sub");
  auto inner = rodeo::failed_to_start_child(outer->reason);
  REQUIRE(inner);
  CHECK(inner->id == "bad");
  CHECK(inner->reason == caf::sec::runtime_error);
  CHECK(rodeo::format_error(sup.error()) ==
        "{failed_to_start_child,\"sub\",{failed_to_start_child,\"bad\"," +
            rodeo::format_error(inner->reason) + "}}");
  CHECK(log->since(0) ==
        strings{"start:a", "start:x", "failed:bad", "stop:x:shutdown", "stop:a:shutdown"});
}

TEST_CASE("start_child adds a supervisor to a running tree") {
  captured_log quiet;
  rodeo::node n;
  auto log = std::make_shared<event_log>();
  auto sup = rodeo::start_supervisor(n.system(), one_for_one({}));
  REQUIRE(sup);
  auto sub = rodeo::start_child(
      *sup, rodeo::supervisor_child("sub", one_for_one({worker_spec(log, "x")})));
  REQUIRE(sub);
  CHECK(log->count("start:x") == 1);  // started before start_child returned
  CHECK(child_of(*sub, "x"));
  auto broken = rodeo::start_child(
      *sup, rodeo::supervisor_child("broken", one_for_one({failing_spec("f", log)})));
  REQUIRE_FALSE(broken);
  CHECK(rodeo::failed_to_start_child(broken.error())->id == "f");
  CHECK(child_specs(*sup) == 1);
  CHECK(rodeo::stop_supervisor(*sup) == caf::none);
}

TEST_CASE("an application starts its tree and the node's stop stops it in reverse order") {
  captured_log quiet;
  auto log = std::make_shared<event_log>();
  rodeo::node n;
  auto app = rodeo::start_application(
      n, "shop",
      one_for_one({worker_spec(log, "cache"),
                   rodeo::supervisor_child("orders", one_for_one({worker_spec(log, "order")}))}));
  REQUIRE(app);
  CHECK(rodeo::which_applications(n) == strings{"shop"});
  CHECK(log->since(0) == strings{"start:cache", "start:order"});
  auto mark = log->size();
  n.stop();
  // node::stop returned: the tree is already down.
  CHECK(log->since(mark) == strings{"stop:order:shutdown", "stop:cache:shutdown"});
  auto reason = wait_down(n.system(), *app, std::chrono::milliseconds{0});
  REQUIRE(reason);
  CHECK(*reason == caf::exit_reason::user_shutdown);
  CHECK(rodeo::which_applications(n).empty());
}

TEST_CASE("applications stop in reverse start order when the node stops") {
  captured_log quiet;
  auto log = std::make_shared<event_log>();
  rodeo::node n;
  REQUIRE(rodeo::start_application(n, "first", one_for_one({worker_spec(log, "one")})));
  REQUIRE(rodeo::start_application(n, "second", one_for_one({worker_spec(log, "two")})));
  CHECK(rodeo::which_applications(n) == strings{"second", "first"});
  auto mark = log->size();
  n.stop();
  CHECK(log->since(mark) == strings{"stop:two:shutdown", "stop:one:shutdown"});
}

TEST_CASE("stop_application stops the tree, and an application name is unique per node") {
  captured_log quiet;
  auto log = std::make_shared<event_log>();
  rodeo::node n;
  auto app = rodeo::start_application(n, "svc", one_for_one({worker_spec(log, "w")}));
  REQUIRE(app);
  auto twin = rodeo::start_application(n, "svc", one_for_one({worker_spec(log, "w2")}));
  REQUIRE_FALSE(twin);
  CHECK(twin.error() == rodeo::supervisor_error::already_started);
  CHECK(log->count("start:w2") == 0);
  CHECK(rodeo::stop_application(n, "svc") == caf::none);
  CHECK(log->count("stop:w:shutdown") == 1);
  CHECK(rodeo::which_applications(n).empty());
  CHECK(rodeo::stop_application(n, "svc") == rodeo::supervisor_error::not_found);
  // The name is free again.
  CHECK(rodeo::start_application(n, "svc", one_for_one({worker_spec(log, "w")})));
}

TEST_CASE("a temporary application whose tree exits is reported and the node runs on") {
  captured_log reports;
  auto log = std::make_shared<event_log>();
  rodeo::node n;
  auto app = rodeo::start_application(n, "fragile", one_for_one({worker_spec(log, "w")}, 0));
  REQUIRE(app);
  caf::anon_send(child_of(*app, "w"), crash_atom::value);
  REQUIRE(wait_down(n.system(), *app));
  CHECK(eventually([&] { return rodeo::which_applications(n).empty(); }));
  CHECK(eventually([&] { return reports.contains("application fragile exited: shutdown"); }));
}

TEST_CASE("a permanent application whose tree exits stops the node") {
  captured_log quiet;
  auto log = std::make_shared<event_log>();
  rodeo::node n;
  auto app = rodeo::start_application(n, "vital", one_for_one({worker_spec(log, "w")}, 0),
                                      rodeo::application_type::permanent);
  REQUIRE(app);
  auto running = std::async(std::launch::async, [&] { return n.run(); });
  caf::anon_send(child_of(*app, "w"), crash_atom::value);
  auto returned = running.wait_for(wait_limit) == std::future_status::ready;
  if (!returned) n.request_stop();  // do not leave the thread blocked
  CHECK(returned);
  CHECK(running.get() == 0);
}

// The README's example, kept compiling and running here.
namespace readme {

using namespace std::chrono_literals;

caf::behavior cache(caf::event_based_actor*, std::size_t capacity) {
  return {[=](rodeo::data_atom, const std::string& key) {
    return "value of " + key + " (of " + std::to_string(capacity) + ")";
  }};
}

caf::behavior session(caf::event_based_actor*, int user) {
  return {[=](rodeo::data_atom) {
    return user;
  }};
}

rodeo::supervisor_spec shop_tree() {
  return {.flags = {.strategy = rodeo::strategy::one_for_one, .intensity = 3, .period = 10s},
          .children = {
              {.id = "cache",
               .start =
                   [](caf::actor_system& sys) {
                     return rodeo::spawn(sys, cache, std::size_t{1000});
                   }},
              rodeo::supervisor_child(
                  "sessions",
                  {.flags = {.strategy = rodeo::strategy::simple_one_for_one},
                   .children = {{.id = "session",
                                 .start =
                                     [](caf::actor_system& sys, const caf::message& args) {
                                       return rodeo::spawn(sys, session, args.get_as<int>(0));
                                     },
                                 .restart = rodeo::restart_type::temporary,
                                 .shutdown = 2s}}}),
          }};
}

}  // namespace readme

TEST_CASE("the README example: an application with a worker and a sub-supervisor") {
  captured_log quiet;
  rodeo::node n;
  auto shop = rodeo::start_application(n, "shop", readme::shop_tree());
  REQUIRE(shop);
  auto sessions = child_of(*shop, "sessions");
  REQUIRE(sessions);
  auto session = rodeo::start_child(sessions, caf::make_message(42));
  REQUIRE(session);
  caf::scoped_actor self{n.system()};
  self->request(*session, wait_limit, rodeo::data_atom::value)
      .receive([](int user) { CHECK(user == 42); },
               [](caf::error& err) { FAIL(caf::to_string(err)); });
  self->request(child_of(*shop, "cache"), wait_limit, rodeo::data_atom::value, std::string{"k"})
      .receive([](const std::string& v) { CHECK(v == "value of k (of 1000)"); },
               [](caf::error& err) { FAIL(caf::to_string(err)); });
  n.stop();
  CHECK(wait_down(n.system(), *session, std::chrono::milliseconds{0}));
}
