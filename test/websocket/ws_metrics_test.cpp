// rodeo_websocket_* in the node's Prometheus registry, parsed by the official client's parser.
#include "prom.hpp"
#include "ws_session_support.hpp"

using namespace ws_session_test;
using rodeo_test::has_line;

namespace {

struct quiet_h : rodeo::websocket_handler {
  rodeo::ws::commands websocket_handle(const rodeo::ws::in_frame& f) override {
    if (f.type == rodeo::ws::frame_type::text && f.data == "bye")
      return {rodeo::ws::close(4001, "bye")};
    return {};
  }
};

std::string parsed(rodeo::node& n) {
  auto text = rodeo::prometheus::registry::of(n)->scrape();
  auto p = rodeo_test::prom_parse(text);
  INFO(text << p.out);
  REQUIRE(p.status == 0);
  return p.out;
}

}  // namespace

TEST_CASE("websocket metrics: sessions open and total, closes by the code sent") {
  server srv;
  srv.start({{"_", {{"/ws", rodeo::websocket_of<quiet_h>()}}}});
  client a{srv.port}, b{srv.port}, c{srv.port};
  for (auto* x : {&a, &b, &c}) REQUIRE(x->handshake("/ws").status == 101);
  REQUIRE(eventually(
      [&] { return has_line(parsed(srv.node), "sample rodeo_websocket_sessions_open  3"); }));
  a.send_close(1000);  // echoed: 1000
  CHECK(a.close_code() == 1000);
  b.send_text("bye");  // the handler closes with 4001
  CHECK(b.close_code() == 4001);
  b.send_close(4001);
  c.close();  // gone without a close frame: 1006
  std::string out;
  CHECK(eventually([&] {
    out = parsed(srv.node);
    return has_line(out, "sample rodeo_websocket_sessions_open  0");
  }));
  INFO(out);
  CHECK(has_line(out, "family rodeo_websocket_sessions_open gauge"));
  CHECK(has_line(out, "sample rodeo_websocket_sessions_total  3"));
  CHECK(has_line(out, "sample rodeo_websocket_closes_total code=1000 1"));
  CHECK(has_line(out, "sample rodeo_websocket_closes_total code=4001 1"));
  CHECK(has_line(out, "sample rodeo_websocket_closes_total code=1006 1"));
}
