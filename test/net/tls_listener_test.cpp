// start_tls: the HTTP/1.1 listener over TLS with real clients (curl, openssl s_client,
// /usr/bin/python3 ssl and websockets): every handler kind as over clear, SNI, client
// certificates, certificate reload, failed handshakes counted and logged once per cause.
#include <catch2/catch.hpp>

#include "net_support.hpp"
#include "rodeo/tls_self_signed.hpp"
#include "rodeo/tls_transport.hpp"
#include "tls_support.hpp"

using namespace std::chrono_literals;
using net_test::eventually;
using tls_test::run;
using tls_test::temp_dir;

namespace {

struct hello_h : rodeo::handler {
  rodeo::handler_result init(rodeo::req& req) override {
    req.reply(200, {{"content-type", "text/plain"}}, "hello " + req.scheme());
    return rodeo::ok();
  }
};

// The subject CN of the client's certificate, or "none".
struct cert_h : rodeo::handler {
  rodeo::handler_result init(rodeo::req& req) override {
    std::string cn = "none";
    if (!req.cert().empty()) {
      auto* p = reinterpret_cast<const unsigned char*>(req.cert().data());
      if (X509* x = d2i_X509(nullptr, &p, static_cast<long>(req.cert().size()))) {
        cn = tls_test::common_name(x);
        X509_free(x);
      }
    }
    req.reply(200, {}, cn);
    return rodeo::ok();
  }
};

struct echo_h : rodeo::handler {
  size_t total = 0;
  void more(rodeo::req& req) {
    req.read_body([this](rodeo::req& r, std::string data, rodeo::is_fin fin) {
      total += data.size();
      if (fin == rodeo::fin)
        r.reply(200, {}, std::to_string(total));
      else
        more(r);
    });
  }
  rodeo::handler_result init(rodeo::req& req) override {
    more(req);
    return rodeo::ok();
  }
};

struct stream_h : rodeo::handler {
  rodeo::handler_result init(rodeo::req& req) override {
    req.stream_reply(200, {{"content-type", "text/event-stream"}});
    for (int i = 0; i < 3; ++i)
      req.stream_body("data: " + std::to_string(i) + "\n\n", rodeo::nofin);
    req.stream_body("", rodeo::fin);
    return rodeo::ok();
  }
};

struct ws_echo_h : rodeo::websocket_handler {
  rodeo::ws::commands websocket_handle(const rodeo::ws::in_frame& f) override {
    if (f.type != rodeo::ws::frame_type::text) return {};
    return {rodeo::ws::text("echo " + std::string{f.data})};
  }
};

struct tls_server {
  rodeo::node node;
  uint16_t port = 0;
  rodeo::tls_certificate cert = rodeo::make_self_signed_certificate({"localhost", "127.0.0.1"});

  explicit tls_server(std::function<void(rodeo::tls_options&)> tweak = {},
                      std::function<void(rodeo::protocol_options&)> tweak_proto = {}) {
    rodeo::protocol_options proto;
    if (tweak_proto) tweak_proto(proto);
    proto.env.dispatch = std::make_shared<const rodeo::dispatch>(
        rodeo::compile(rodeo::route_list{{"_",
                                          {{"/", rodeo::handler_of<hello_h>()},
                                           {"/echo", rodeo::handler_of<echo_h>()},
                                           {"/cert", rodeo::handler_of<cert_h>()},
                                           {"/stream", rodeo::handler_of<stream_h>()},
                                           {"/ws", rodeo::websocket_of<ws_echo_h>()}}}}));
    rodeo::tls_options tls;
    tls.certificate = cert;
    if (tweak) tweak(tls);
    auto info =
        rodeo::start_tls(node, "tls", {.ip = "127.0.0.1", .port = 0}, tls, std::move(proto));
    if (!info) throw std::runtime_error("start_tls: " + caf::to_string(info.error()));
    port = info->port;
  }
  std::string url(const std::string& path) const {
    return "https://127.0.0.1:" + std::to_string(port) + path;
  }
  std::string curl(const std::string& args, const std::string& path) const {
    return run("curl -sk --max-time 10 " + args + " '" + url(path) + "'").out;
  }
};

}  // namespace

TEST_CASE("start_tls serves HTTP/1.1 over TLS: plain, body, streamed, keep-alive") {
  tls_server s;
  temp_dir dir;
  auto verified = run("curl -s --max-time 10 --cacert " + dir.file("ca.pem", s.cert.cert) +
                      " --resolve localhost:" + std::to_string(s.port) +
                      ":127.0.0.1 https://localhost:" + std::to_string(s.port) + "/");
  CHECK(verified.out == "hello https");
  CHECK(s.curl("", "/") == "hello https");
  std::string body(1 << 20, 'b');
  CHECK(s.curl("-X POST --data-binary @" + dir.file("body", body), "/echo") == "1048576");
  CHECK(s.curl("", "/stream") == "data: 0\n\ndata: 1\n\ndata: 2\n\n");
  CHECK(s.curl("", "/cert") == "none");  // req.cert() is empty without a client certificate
  // Two requests on one connection: curl reuses it ("Re-using existing connection").
  auto both = run("curl -skv --max-time 10 '" + s.url("/") + "' '" + s.url("/") + "' 2>&1").out;
  CHECK(both.find("Re-using existing connection") != std::string::npos);
  auto stats = rodeo::get_tls_stats(s.node, "tls");
  REQUIRE(stats);
  CHECK(eventually([&] { return stats->handshakes() >= 5; }));
  CHECK(stats->failures() == 0);
}

TEST_CASE(
    "ALPN picks h2 first, http/1.1 for clients that offer only it, SNI picks the certificate") {
  tls_server s([](rodeo::tls_options& o) {
    o.sni_hosts.push_back({"sni.test", rodeo::make_self_signed_certificate({"sni.test"})});
  });
  auto alpn = [&](const std::string& offer) {
    return run("printf 'GET / HTTP/1.1\\r\\nhost: sni.test\\r\\nconnection: close\\r\\n\\r\\n' | "
               "timeout 10 openssl s_client -connect 127.0.0.1:" +
               std::to_string(s.port) + " -servername sni.test -alpn " + offer + " -ign_eof 2>&1")
        .out;
  };
  CHECK(alpn("h2,http/1.1").find("ALPN protocol: h2") != std::string::npos);
  auto out = alpn("http/1.1");
  CHECK(out.find("ALPN protocol: http/1.1") != std::string::npos);
  CHECK(out.find("CN = sni.test") != std::string::npos);
  CHECK(out.find("hello https") != std::string::npos);
  CHECK(s.curl("--http1.1", "/") == "hello https");
}

TEST_CASE("wss:// works: python3 websockets over TLS") {
  tls_server s;
  temp_dir dir;
  auto script =
      "import asyncio, ssl, websockets\n"
      "async def main():\n"
      "    c = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)\n"
      "    c.load_verify_locations('" +
      dir.file("ca.pem", s.cert.cert) +
      "')\n"
      "    async with websockets.connect('wss://127.0.0.1:" +
      std::to_string(s.port) +
      "/ws', ssl=c, open_timeout=10) as ws:\n"
      "        await ws.send('hi')\n"
      "        print(await asyncio.wait_for(ws.recv(), 10), end='')\n"
      "asyncio.run(main())\n";
  auto r = run("timeout 20 /usr/bin/python3 " + dir.file("ws.py", script));
  CHECK(r.out == "echo hi");
}

TEST_CASE("failed handshakes are counted by cause, logged once per cause, serving goes on") {
  std::vector<std::string> logged;
  std::mutex m;
  auto previous = rodeo::log::set_sink([&](rodeo::log::level, std::string_view text) {
    std::lock_guard<std::mutex> g{m};
    if (text.find("TLS handshake failed") != std::string_view::npos) logged.emplace_back(text);
  });
  {
    tls_server s;
    for (int i = 0; i < 3; ++i) {
      net_test::client c(s.port);
      c.send("GET / HTTP/1.1\r\nhost: x\r\n\r\n");  // plain HTTP on the TLS port
      CHECK(c.closed_by_peer());
    }
    {
      net_test::client c(s.port);
      c.send(std::string("\x16\x03\x01\x00\x05", 5));  // a record promising 5 bytes, then EOF
      c.shutdown_write();
      CHECK(c.closed_by_peer());
    }
    auto stats = rodeo::get_tls_stats(s.node, "tls");
    CHECK(eventually([&] { return stats->failures() == 4; }));
    auto causes = stats->failures_by_cause();
    CHECK(causes["http request"] == 3);
    CHECK(causes["unexpected eof while reading"] == 1);
    CHECK(s.curl("", "/") == "hello https");
    std::lock_guard<std::mutex> g{m};
    CHECK(logged.size() == 2);
  }
  rodeo::log::set_sink(previous);
}

TEST_CASE("a client that stalls its handshake is closed by request_timeout") {
  tls_server s({}, [](rodeo::protocol_options& p) { p.request_timeout = 300ms; });
  net_test::client silent(s.port);
  net_test::client partial(s.port);
  partial.send(std::string("\x16\x03\x01\x02\x00\x01", 6));  // a ClientHello cut short
  auto start = std::chrono::steady_clock::now();
  CHECK(silent.closed_by_peer(10s));
  CHECK(partial.closed_by_peer(10s));
  CHECK(std::chrono::steady_clock::now() - start >= 250ms);
  CHECK(s.curl("", "/") == "hello https");
}

TEST_CASE("client certificates: verify_peer with fail_if_no_peer_cert") {
  temp_dir dir;
  tls_test::test_ca ca(dir);
  ca.issue("client", "alice");
  tls_server s([&](rodeo::tls_options& o) {
    o.verify = rodeo::tls_verify::verify_peer;
    o.fail_if_no_peer_cert = true;
    o.cacertfile = dir / "ca.pem";
  });
  CHECK(s.curl("--cert " + dir / "client.pem" + " --key " + dir / "client.key", "/") ==
        "hello https");
  CHECK(s.curl("--cert " + dir / "client.pem" + " --key " + dir / "client.key", "/cert") ==
        "alice");
  CHECK(s.curl("", "/").empty());
  auto stats = rodeo::get_tls_stats(s.node, "tls");
  CHECK(eventually(
      [&] { return stats->failures_by_cause()["peer did not return a certificate"] == 1; }));
}

TEST_CASE("set_tls_options: new connections get the new certificate, bad options are refused") {
  tls_server s;
  auto subject = [&] {
    return run("timeout 10 openssl s_client -connect 127.0.0.1:" + std::to_string(s.port) +
               " </dev/null 2>&1 | grep '^subject='")
        .out;
  };
  CHECK(subject().find("CN = localhost") != std::string::npos);
  rodeo::tls_options next;
  next.certificate = rodeo::make_self_signed_certificate({"reloaded.test"});
  CHECK_FALSE(rodeo::set_tls_options(s.node, "tls", next));
  CHECK(subject().find("CN = reloaded.test") != std::string::npos);
  rodeo::tls_options bad;
  bad.certificate.certfile = "/nonexistent.pem";
  auto err = rodeo::set_tls_options(s.node, "tls", bad);
  CHECK(err);
  CHECK(caf::to_string(err).find("/nonexistent.pem") != std::string::npos);
  CHECK(subject().find("CN = reloaded.test") != std::string::npos);
  CHECK(rodeo::set_tls_options(s.node, "nope", next));
  CHECK(s.curl("", "/") == "hello https");
}

TEST_CASE("start_tls refuses options OpenSSL refuses") {
  rodeo::node n;
  rodeo::tls_options bad;
  bad.certificate.certfile = "/nonexistent.pem";
  auto info = rodeo::start_tls(n, "bad", {.ip = "127.0.0.1", .port = 0}, bad, {});
  REQUIRE_FALSE(info);
  CHECK(caf::to_string(info.error()).find("certificate certfile /nonexistent.pem") !=
        std::string::npos);
}
