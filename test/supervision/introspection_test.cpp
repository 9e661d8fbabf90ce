// What a running tree tells about itself: which_children's restart type and restart counts, and
// rodeo_supervisor_restarts_total in the node's Prometheus registry (checked with the official
// client's parser).
#include <caf/all.hpp>
#include <catch2/catch.hpp>

#include "prom.hpp"
#include "support.hpp"

using namespace sup_test;
using rodeo::restart_type;

namespace {

// Crashes the running child `id` and waits until the supervisor runs a new one.
void crash_and_wait(caf::actor_system& sys, const caf::actor& sup, const std::string& id) {
  auto before = child_of(sup, id);
  REQUIRE(before);
  caf::anon_send(before, crash_atom::value);
  REQUIRE(wait_down(sys, before));
  REQUIRE(eventually([&] {
    auto now = child_of(sup, id);
    return now && now != before;
  }));
}

const rodeo::child_info* find_child(const std::vector<rodeo::child_info>& v,
                                    const std::string& id) {
  for (auto& c : v)
    if (c.id == id) return &c;
  return nullptr;
}

}  // namespace

TEST_CASE("which_children: restart type and restarts after the child's own exits") {
  captured_log quiet;
  rodeo::node n;
  auto log = std::make_shared<event_log>();
  rodeo::supervisor_spec spec;
  spec.flags.intensity = 10;
  spec.children = {worker_spec(log, "a"), worker_spec(log, "b", restart_type::transient),
                   worker_spec(log, "c", restart_type::temporary)};
  auto sup = rodeo::start_supervisor(n.system(), spec, "shop_sup");
  REQUIRE(sup);
  crash_and_wait(n.system(), *sup, "a");
  crash_and_wait(n.system(), *sup, "a");
  crash_and_wait(n.system(), *sup, "b");
  auto children = rodeo::which_children(*sup, std::chrono::milliseconds{wait_limit});
  REQUIRE(children);
  auto* a = find_child(*children, "a");
  auto* b = find_child(*children, "b");
  auto* c = find_child(*children, "c");
  REQUIRE((a && b && c));
  CHECK(a->restart == restart_type::permanent);
  CHECK(a->restarts == 2);
  CHECK(b->restart == restart_type::transient);
  CHECK(b->restarts == 1);
  CHECK(c->restart == restart_type::temporary);
  CHECK(c->restarts == 0);

  auto text = rodeo::prometheus::registry::of(n)->scrape();
  auto p = rodeo_test::prom_parse(text);
  INFO(text << p.out);
  REQUIRE(p.status == 0);
  CHECK(rodeo_test::has_line(p.out, "family rodeo_supervisor_restarts counter"));
  CHECK(rodeo_test::has_line(
      p.out, "sample rodeo_supervisor_restarts_total child=a,supervisor=shop_sup 2"));
  CHECK(rodeo_test::has_line(
      p.out, "sample rodeo_supervisor_restarts_total child=b,supervisor=shop_sup 1"));
  CHECK(rodeo::stop_supervisor(*sup) == caf::none);
}

TEST_CASE("which_children: simple_one_for_one children report the template's restart type") {
  captured_log quiet;
  rodeo::node n;
  auto log = std::make_shared<event_log>();
  rodeo::supervisor_spec spec;
  spec.flags.strategy = rodeo::strategy::simple_one_for_one;
  spec.children = {worker_spec(log, "session", restart_type::transient)};
  auto sup = rodeo::start_supervisor(n.system(), spec);
  REQUIRE(sup);
  REQUIRE(rodeo::start_child(*sup, caf::make_message(1)));
  auto children = rodeo::which_children(*sup, std::chrono::milliseconds{wait_limit});
  REQUIRE(children);
  REQUIRE(children->size() == 1);
  CHECK(children->front().restart == restart_type::transient);
  CHECK(children->front().restarts == 0);
  CHECK(rodeo::stop_supervisor(*sup) == caf::none);
}
