#include <caf/all.hpp>
#include <catch2/catch.hpp>

#include "rodeo/runtime.hpp"

TEST_CASE("a node uses the sharing scheduler with one worker per core") {
  rodeo::node n;
  auto policy = caf::get_or(n.config(), "scheduler.policy", caf::atom("stealing"));
  CHECK(policy == caf::atom("sharing"));
  CHECK(caf::get_or(n.config(), "scheduler.max-threads", size_t{0}) ==
        std::max(1u, std::thread::hardware_concurrency()));
}

TEST_CASE("node::of finds the node of an actor system") {
  rodeo::node n;
  CHECK(&rodeo::node::of(n.system()) == &n);
}
