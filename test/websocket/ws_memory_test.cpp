// Memory after bursts the limits allow (issue #10, bug 4): rounds of sessions that each send a
// 1 MiB binary frame minus its last byte (a whole-message buffer each), then reset. Nothing is
// live afterwards, so the server's RSS must come back near where it started.
#include <catch2/catch.hpp>

#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>

#include "ws_session_support.hpp"

using namespace ws_session_test;
using namespace std::chrono_literals;
namespace ws = rodeo::ws;

TEST_CASE("memory: RSS returns within 10 % of baseline after bursts of 1 MiB partial frames") {
#if defined(__SANITIZE_ADDRESS__)
  WARN("skipped under AddressSanitizer: its allocator keeps freed memory in quarantine");
  return;
#endif
  constexpr int sessions = 48, rounds = 3;
  constexpr size_t frame_size = size_t{1} << 20;
  server srv;
  caf::scoped_actor probe{srv.node.system()};
  handler_cfg cfg;
  srv.start({{"_", {{"/ws", rodeo::websocket_of<test_h>(cfg)}}}});
  // The frame header of a 1 MiB binary frame and all of its payload but the last byte.
  std::string partial =
      ws::masked_frame(ws::opcode::binary, std::string(frame_size, 'm'), {1, 2, 3, 4});
  partial.pop_back();
  {  // Warm up the paths (threads, arenas, scratch buffers) with one small session.
    client c{srv.port};
    REQUIRE(c.handshake("/ws").status == 101);
    c.send_text("warm");
    REQUIRE(c.next_text() == "warm");
  }
  REQUIRE(eventually([&] { return rodeo::connection_count(srv.node, "ws") == 0u; }, 10s));
  const size_t baseline = rss_bytes();
  for (int round = 0; round < rounds; ++round) {
    std::vector<std::unique_ptr<client>> cs;
    for (int i = 0; i < sessions; ++i) {
      cs.push_back(std::make_unique<client>(srv.port));
      REQUIRE(cs.back()->handshake("/ws").status == 101);
      cs.back()->send(partial);
    }
    // Every session holds (nearly) its whole message.
    CHECK(eventually([&] { return rss_bytes() > baseline + sessions * frame_size * 3 / 4; }, 20s));
    const size_t peak = rss_bytes();
    for (auto& c : cs) {  // a reset (RST), as the hostile client did
      linger l{1, 0};
      setsockopt(c->fd(), SOL_SOCKET, SO_LINGER, &l, sizeof l);
      c->close();
    }
    cs.clear();
    REQUIRE(eventually([&] { return rodeo::connection_count(srv.node, "ws") == 0u; }, 10s));
    bool returned = eventually([&] { return rss_bytes() <= baseline + baseline / 10; }, 10s);
    std::printf("memory round %d: baseline %zu KiB, peak %zu KiB, after %zu KiB\n", round,
                baseline >> 10, peak >> 10, rss_bytes() >> 10);
    CHECK(returned);
  }
}
