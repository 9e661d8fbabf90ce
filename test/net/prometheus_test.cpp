// Prometheus metrics of a live server: prometheus_h's HTTP counters and the listener collector,
// scraped with curl from metrics_routes and parsed by the official client's parser.
#include <catch2/catch.hpp>

#include "net_support.hpp"
#include "prom.hpp"

using namespace net_test;
using rodeo_test::has_line;
using rodeo_test::prom_parse;

namespace {

rodeo::route_list routes() {
  auto paths = rodeo::metrics_routes("/metrics");
  paths.push_back({"/users/:id", [](rodeo::req& req) {
                     req.reply(200, {}, "user " + req.binding("id")->as_string());
                   }});
  paths.push_back({"/echo", [](rodeo::req& req) {
                     req.read_body([](rodeo::req& r, std::string data, rodeo::is_fin) {
                       r.reply(200, {}, data);
                     });
                   }});
  paths.push_back({"/big", rodeo::run_inline([](rodeo::req& req) {
                     req.reply(200, {}, std::string(50000, 'x'));
                   })});
  paths.push_back({"/crash", [](rodeo::req&) {
                     throw std::runtime_error("boom");
                   }});
  return {{"_", paths}};
}

void start(server& srv, rodeo::transport_options t = {}) {
  srv.start(
      routes(),
      [&](rodeo::protocol_options& p) {
        p.stream_handlers.insert(p.stream_handlers.begin(), rodeo::prometheus_h(srv.node));
      },
      t);
}

// The parsed scrape; fails the test when the parser refuses it.
std::string scrape(uint16_t port) {
  auto r = curl(port, "", "/metrics");
  REQUIRE(r.status == 0);
  auto p = prom_parse(r.out);
  INFO(r.out << p.out);
  REQUIRE(p.status == 0);
  return p.out;
}

}  // namespace

TEST_CASE("prometheus_h: requests by listener, method, status class and route pattern") {
  server srv;
  start(srv);
  CHECK(curl(srv.port, "", "/users/1").out == "user 1");
  CHECK(curl(srv.port, "", "/users/2").out == "user 2");
  CHECK(curl(srv.port, "-X PATCH", "/users/3").status == 0);
  CHECK(curl(srv.port, "--data-binary 0123456789", "/echo").out == "0123456789");
  CHECK(curl(srv.port, "", "/big").out.size() == 50000);
  CHECK(curl(srv.port, "-o /dev/null -w '%{http_code}'", "/nope").out == "404");
  CHECK(curl(srv.port, "-o /dev/null -w '%{http_code}'", "/crash").out == "500");
  {
    client c{srv.port};  // an early error: the protocol answers 400 by itself
    c.send("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n");
    auto r = c.read_response();
    REQUIRE(r);
    CHECK(r->status == 400);
  }
  auto ct = curl(srv.port, "-o /dev/null -w '%{content_type}'", "/metrics");
  CHECK(ct.out == "text/plain; version=0.0.4; charset=utf-8");
  std::string out;
  // A record is counted when its stream ends, which may follow the response by a moment.
  REQUIRE(rodeo_test::eventually([&] {
    out = scrape(srv.port);
    return has_line(out, "sample rodeo_http_early_errors_total listener=test,status=400 1") &&
           has_line(out,
                    "sample rodeo_http_requests_total "
                    "listener=test,method=GET,route=/crash,status_class=5xx 1");
  }));
  INFO(out);
  CHECK(has_line(out, "family rodeo_http_requests counter"));
  CHECK(has_line(out,
                 "sample rodeo_http_requests_total "
                 "listener=test,method=GET,route=/users/:id,status_class=2xx 2"));
  CHECK(has_line(out,
                 "sample rodeo_http_requests_total "
                 "listener=test,method=PATCH,route=/users/:id,status_class=2xx 1"));
  CHECK(has_line(out,
                 "sample rodeo_http_requests_total "
                 "listener=test,method=POST,route=/echo,status_class=2xx 1"));
  CHECK(has_line(out,
                 "sample rodeo_http_requests_total "
                 "listener=test,method=GET,route=/big,status_class=2xx 1"));  // inline
  CHECK(has_line(out,
                 "sample rodeo_http_requests_total "
                 "listener=test,method=GET,route=,status_class=4xx 1"));  // no route
  CHECK(has_line(out,
                 "sample rodeo_http_requests_total "
                 "listener=test,method=GET,route=/metrics,status_class=2xx 1"));
  CHECK(out.find("/users/1") == std::string::npos);  // never the raw path
  CHECK(has_line(out, "family rodeo_http_request_duration_seconds histogram"));
  CHECK(has_line(out,
                 "sample rodeo_http_request_duration_seconds_count "
                 "listener=test,route=/users/:id 3"));
  CHECK(has_line(out,
                 "sample rodeo_http_request_duration_seconds_bucket "
                 "le=+Inf,listener=test,route=/users/:id 3"));
  CHECK(has_line(out, "family rodeo_http_response_size_bytes histogram"));
  CHECK(has_line(out,
                 "sample rodeo_http_response_size_bytes_bucket "
                 "le=10000,listener=test,route=/big 0"));
  CHECK(has_line(out,
                 "sample rodeo_http_response_size_bytes_bucket "
                 "le=100000,listener=test,route=/big 1"));
  CHECK(has_line(out, "sample rodeo_http_response_size_bytes_sum listener=test,route=/big 50000"));
  CHECK(has_line(out, "sample rodeo_http_request_body_bytes_total listener=test 10"));
  CHECK(has_line(out, "family rodeo_listener_connections gauge"));
  CHECK(has_line(out, "sample rodeo_listener_max_connections listener=test 1024"));
  CHECK(has_line(out, "sample rodeo_listener_status listener=test,status=running 1"));
  CHECK(has_line(out, "sample rodeo_listener_status listener=test,status=suspended 0"));
  CHECK(has_line(out, "family process_resident_memory_bytes gauge"));
  // Accepted: 8 curls and the raw client before this scrape's own connection.
  auto at = out.find("sample rodeo_listener_accepted_total listener=test ");
  REQUIRE(at != std::string::npos);
  CHECK(std::stoi(out.substr(at + 51)) >= 10);
}

TEST_CASE("prometheus_h: open connections, suspended status and infinity, over keep-alive") {
  server srv;
  start(srv, {.max_connections = rodeo::infinity});
  client idle1{srv.port}, idle2{srv.port}, scraper{srv.port};
  REQUIRE(rodeo_test::eventually([&] { return rodeo::connection_count(srv.node, "test") == 3u; }));
  REQUIRE(rodeo::suspend_listener(srv.node, "test"));
  scraper.send("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
  auto r = scraper.read_response();
  REQUIRE(r);
  REQUIRE(r->status == 200);
  auto p = prom_parse(r->body);
  INFO(r->body << p.out);
  REQUIRE(p.status == 0);
  CHECK(has_line(p.out, "sample rodeo_listener_connections listener=test 3"));
  CHECK(has_line(p.out, "sample rodeo_listener_max_connections listener=test inf"));
  CHECK(has_line(p.out, "sample rodeo_listener_status listener=test,status=suspended 1"));
  scraper.send("POST /metrics HTTP/1.1\r\nHost: x\r\ncontent-length: 0\r\n\r\n");
  auto no = scraper.read_response();
  REQUIRE(no);
  CHECK(no->status == 405);
  CHECK(no->header_or("allow") == "GET, HEAD");
}
