// Real WebSocket clients against an in-process server: Python's websockets (Debian's
// python3-websockets, seen only by /usr/bin/python3) and Node's ws (npm, pinned in
// test/websocket/node/package.json; scripts/deps.sh installs it). The client scripts live in
// test/websocket/clients/ws_client.py and test/websocket/node/client.js.
#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <thread>

#include "ws_session_support.hpp"

using namespace ws_session_test;
using namespace std::chrono_literals;

namespace {

const std::string python =
    "/usr/bin/python3 " RODEO_SOURCE_DIR "/test/websocket/clients/ws_client.py";
const std::string node_dir = RODEO_SOURCE_DIR "/test/websocket/node";

// scripts/deps.sh installs node's ws into test/websocket/node.
void require_node_ws() {
  struct stat st {};
  INFO("node's ws is missing: run scripts/deps.sh (npm install in test/websocket/node)");
  REQUIRE(::stat((node_dir + "/node_modules/ws/package.json").c_str(), &st) == 0);
}

struct fixture {
  server srv;
  caf::scoped_actor probe{srv.node.system()};

  fixture() {
    handler_cfg echo;
    echo.probe = caf::actor_cast<caf::actor>(probe);
    echo.opts.compress = true;
    echo.pick_protocol = "chat";
    handler_cfg room;
    room.probe = echo.probe;
    room.group = "room";
    srv.start({{"_",
                {{"/echo", rodeo::websocket_of<test_h>(echo)},
                 {"/room", rodeo::websocket_of<test_h>(room)}}}});
  }

  std::string py(const std::string& kase) {
    return run(python + " " + kase + " " + std::to_string(srv.port)).out;
  }

  std::string js(const std::string& kase) {
    require_node_ws();
    return run("node " + node_dir + "/client.js " + kase + " " + std::to_string(srv.port)).out;
  }

  // Opens n sessions with `cmd`, broadcasts once they are all up, returns the client's output.
  std::string broadcast(const std::string& cmd, int n) {
    std::string out;
    std::thread t([&] {
      out = run(cmd + " broadcast " + std::to_string(srv.port) + " " + std::to_string(n), 110).out;
    });
    int up = 0;
    while (up < n && wait_for(probe, "init", 90s) == "init") ++up;
    CHECK(up == n);
    CHECK(rodeo::ws_broadcast(srv.node, "room", "to everyone") == static_cast<size_t>(n));
    t.join();
    return out;
  }
};

}  // namespace

TEST_CASE("clients: python websockets echoes text, binary and large messages") {
  fixture f;
  CHECK(f.py("echo") == "ok echo\n");
}

TEST_CASE("clients: python websockets negotiates permessage-deflate") {
  fixture f;
  CHECK(f.py("deflate") == "ok deflate\n");
}

TEST_CASE("clients: python websockets sends fragmented messages and pings") {
  fixture f;
  CHECK(f.py("fragments") == "ok fragments\n");
}

TEST_CASE("clients: python websockets sees the server's close code and reason") {
  fixture f;
  CHECK(f.py("server_close") == "ok 4000 bye\n");
  CHECK(wait_for(f.probe, "terminate:") == "terminate:stop");
}

TEST_CASE("clients: python websockets gets its close code echoed") {
  fixture f;
  CHECK(f.py("client_close") == "ok 4001 done\n");
  CHECK(wait_for(f.probe, "terminate:") == "terminate:{remote,4001,<<\"done\">>}");
}

TEST_CASE("clients: python websockets is closed with 1009 for a message over 1 MiB") {
  fixture f;
  CHECK(f.py("too_big") == "ok 1009\n");
}

TEST_CASE("clients: python websockets gets the subprotocol the handler picked") {
  fixture f;
  CHECK(f.py("subprotocol") == "ok chat\n");
}

TEST_CASE("clients: python websockets sessions all receive a broadcast") {
  fixture f;
  CHECK(f.broadcast(python, 200) == "ready\nok 200\n");
}

TEST_CASE("clients: node ws echoes text, binary and large messages", "[node]") {
  fixture f;
  CHECK(f.js("echo") == "ok echo\n");
}

TEST_CASE("clients: node ws negotiates permessage-deflate", "[node]") {
  fixture f;
  CHECK(f.js("deflate") == "ok deflate\n");
}

TEST_CASE("clients: node ws sends fragmented messages and pings", "[node]") {
  fixture f;
  CHECK(f.js("fragments") == "ok fragments\n");
}

TEST_CASE("clients: node ws sees the server's close code and reason", "[node]") {
  fixture f;
  CHECK(f.js("server_close") == "ok 4000 bye\n");
}

TEST_CASE("clients: node ws gets its close code echoed", "[node]") {
  fixture f;
  CHECK(f.js("client_close") == "ok 4001 done\n");
}

TEST_CASE("clients: node ws is closed with 1009 for a message over 1 MiB", "[node]") {
  fixture f;
  CHECK(f.js("too_big") == "ok 1009\n");
}

TEST_CASE("clients: node ws gets the subprotocol the handler picked", "[node]") {
  fixture f;
  CHECK(f.js("subprotocol") == "ok chat\n");
}

TEST_CASE("clients: node ws sessions all receive a broadcast", "[node]") {
  fixture f;
  require_node_ws();
  CHECK(f.broadcast("node " + node_dir + "/client.js", 200) == "ready\nok 200\n");
}
