// ranch:info and ranch:procs of live listeners: status, port, connections, limits and totals, and
// the connection actors themselves.
#include <catch2/catch.hpp>

#include "net_support.hpp"

using namespace net_test;

namespace {

rodeo::route_list hello() {
  return {{"_", {{"/", [](rodeo::req& req) {
                    req.reply(200, {}, "hi");
                  }}}}};
}

}  // namespace

TEST_CASE("info: a listener's status, port, transport, connections, limits and totals") {
  server srv;
  srv.start(hello(), {}, {.num_acceptors = 2, .max_connections = 50});
  auto i = rodeo::info(srv.node, "test");
  REQUIRE(i);
  CHECK(i->name == "test");
  CHECK(i->ip == "127.0.0.1");
  CHECK(i->port == srv.port);
  CHECK(i->sup == srv.sup);
  CHECK(i->transport == "tcp");
  CHECK(i->protocols == std::vector<std::string>{"http/1.1"});
  CHECK(i->status == rodeo::listener_status::running);
  CHECK(i->max_connections == 50);
  CHECK(i->num_acceptors == 2);
  CHECK(i->active_connections == 0);
  CHECK(i->accepted == 0);
  CHECK(i->refused == 0);
  CHECK(curl(srv.port, "", "/").out == "hi");
  CHECK(curl(srv.port, "", "/").out == "hi");
  client a{srv.port}, b{srv.port};
  REQUIRE(eventually([&] { return rodeo::info(srv.node, "test")->active_connections == 2; }));
  i = rodeo::info(srv.node, "test");
  CHECK(i->accepted == 4);
  REQUIRE(rodeo::suspend_listener(srv.node, "test"));
  CHECK(rodeo::info(srv.node, "test")->status == rodeo::listener_status::suspended);
  CHECK(rodeo::info(srv.node, "test")->active_connections == 2);  // they go on
  REQUIRE(!rodeo::resume_listener(srv.node, "test"));
  CHECK(rodeo::info(srv.node, "test")->status == rodeo::listener_status::running);
  CHECK_FALSE(rodeo::info(srv.node, "nope"));
}

TEST_CASE("info: every listener of the node, by name") {
  server srv;
  srv.start(hello());
  auto other = rodeo::start_clear(srv.node, "other", {.ip = "127.0.0.1"}, {});
  REQUIRE(other);
  auto all = rodeo::info(srv.node);
  REQUIRE(all.size() == 2);
  CHECK(all[0].name == "other");
  CHECK(all[0].port == other->port);
  CHECK(all[1].name == "test");
  CHECK(all[1].port == srv.port);
  REQUIRE(rodeo::stop_listener(srv.node, "other"));
  CHECK(rodeo::info(srv.node).size() == 1);
}

TEST_CASE("procs: the acceptors and the connection actors, ending one closes its client") {
  server srv;
  srv.start(hello(), {}, {.num_acceptors = 3});
  CHECK(rodeo::procs(srv.node, "test", rodeo::proc_type::acceptors).size() == 3);
  CHECK(rodeo::procs(srv.node, "test", rodeo::proc_type::connections).empty());
  client a{srv.port}, b{srv.port};
  CHECK(a.quiet_for(100ms));  // idle keep-alive connections stay open by themselves
  std::vector<caf::actor> conns;
  REQUIRE(eventually([&] {
    conns = rodeo::procs(srv.node, "test", rodeo::proc_type::connections);
    return conns.size() == 2;
  }));
  CHECK(conns[0] != conns[1]);
  for (auto& c : conns) rodeo::send_exit(c, rodeo::reason::kill());
  // Both clients see their connection close (EOF), as Ranch's procs are the connection processes.
  CHECK(a.closed_by_peer());
  CHECK(b.closed_by_peer());
  REQUIRE(eventually([&] { return rodeo::connection_count(srv.node, "test") == 0u; }));
  CHECK(rodeo::procs(srv.node, "nope", rodeo::proc_type::connections).empty());
}
