// rodeo-demo: the HTTP server's tour. Listens on 127.0.0.1:8080 (--host, --port); stops on
// SIGINT/SIGTERM.
//
//   GET  /                   200 "Hello world!"
//   GET  /auth/:token/:user  JSON or text by the accept header; other methods 405
//   POST /echo-body          the request body back (chunked and 100-continue work)
//   GET  /events             server-sent events, "data: tick N" every second
//   GET  /poll               long poll: the next /broadcast body, or 204 after 30 s
//   POST /broadcast          delivers its body to every waiting /poll and every /ws session;
//                            answers the count
//   GET  /crash              the handler throws: 500, and the connection stays usable
//   GET  /inline             "Hello world!" from the inline fast path (no request actor)
//   GET  /ws, /echo, /chat   WebSocket: see ws.hpp (--ws-max-frame-size N raises the 1 MiB limit)
//   GET  /static/[...]       the assets folder (--assets DIR): index.html, style.css, blob.bin
//   *    /rest/items/[:id]   a REST resource of JSON items in a gen_server (see items.hpp);
//                            PUT, POST and DELETE need basic auth demo:demo
//   GET  /metrics            Prometheus metrics (text format 0.0.4): HTTP, listeners, process;
//                            --metrics off removes the route and the counting
//
// The clear port also accepts HTTP/2 (prior knowledge and Upgrade: h2c).
// --tls-port N serves every route over TLS as well (HTTP/2 or HTTP/1.1 by ALPN; wss:// for the
// WebSocket routes),
// with --cert FILE --key FILE, or a self-signed certificate for 127.0.0.1/localhost made at start
// (its path is printed, for curl --cacert). Port 0 picks a free port (printed too).
//
// SIGINT/SIGTERM drain every listener (rodeo::drain) for up to --drain-timeout MS (10000): new
// connections are refused, requests in flight finish, SSE and long polls end, WebSocket sessions
// get close 1001; whatever is left then is closed.
//
// --max-connections N|infinity, --request-timeout MS and --idle-timeout MS set Ranch's and
// Cowboy's options of the same names (defaults 1024, 5000, 60000); bench/run raises them to hold
// 10,000 idle connections.
//
// Every request is logged to standard output in the Combined Log Format (access_log_h);
// --access-log FILE|-|off and --access-log-format combined|common|json change that.
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

#include <caf/all.hpp>
#include <nlohmann/json.hpp>

#include "items.hpp"
#include "rodeo/rodeo.hpp"
#include "ws.hpp"

namespace {

using namespace std::chrono_literals;

struct hello_h : rodeo::handler {
  rodeo::handler_result init(rodeo::req& req) override {
    req.reply(200, {{"content-type", "text/plain"}}, "Hello world!");
    return rodeo::ok();
  }
};

struct auth_h : rodeo::handler {
  rodeo::handler_result init(rodeo::req& req) override {
    if (req.method() != "GET" && req.method() != "HEAD") {
      req.reply(405, {{"allow", "GET, HEAD"}, {"content-length", "0"}});
      return rodeo::ok();
    }
    auto token = req.binding("token")->as_string();
    auto user = req.binding("user")->as_string();
    // The client's preference, by accept's q-values; no header means any.
    auto accept = req.parse_header("accept", rodeo::http_header::parse_accept);
    std::string type = "text/plain";
    if (accept) {
      type.clear();
      for (auto& r : *accept) {
        if (r.quality == 0) continue;
        if (r.type == "application" && r.subtype == "json")
          type = "application/json";
        else if (r.type == "text" && (r.subtype == "plain" || r.subtype == "*"))
          type = "text/plain";
        else if (r.type == "*" || (r.type == "application" && r.subtype == "*"))
          type = r.type == "*" ? "text/plain" : "application/json";
        if (!type.empty()) break;
      }
    }
    if (type == "application/json") {
      nlohmann::json body{{"token", token}, {"user", user}};
      req.reply(200, {{"content-type", "application/json"}}, body.dump());
    } else if (type == "text/plain") {
      req.reply(200, {{"content-type", "text/plain"}}, "token=" + token + " user=" + user);
    } else {
      req.reply(406, {{"content-length", "0"}});
    }
    return rodeo::ok();
  }
};

struct echo_h : rodeo::handler {
  std::string body;
  rodeo::handler_result init(rodeo::req& req) override {
    if (req.method() != "POST") {
      req.reply(405, {{"allow", "POST"}, {"content-length", "0"}});
      return rodeo::ok();
    }
    read(req);
    return rodeo::ok();
  }
  void read(rodeo::req& req) {
    req.read_body([this](rodeo::req& r, std::string data, rodeo::is_fin fin) {
      body += data;
      if (fin == rodeo::fin)
        r.reply(200, {{"content-type", r.header("content-type", "application/octet-stream")}},
                std::move(body));
      else
        read(r);
    });
  }
};

using tick_atom = caf::atom_constant<caf::atom("tick")>;

struct events_h : rodeo::handler {
  int n = 0;
  rodeo::handler_result init(rodeo::req& req) override {
    req.stream_reply(200, {{"content-type", "text/event-stream"}, {"cache-control", "no-cache"}});
    req.self()->send(req.self(), tick_atom::value);
    return rodeo::loop();
  }
  rodeo::handler_result info(caf::message& msg, rodeo::req& req) override {
    if (msg.match_elements<tick_atom>()) {
      req.stream_events({.data = "tick " + std::to_string(++n)}, rodeo::nofin);
      req.self()->delayed_send(req.self(), 1s, tick_atom::value);
    }
    return rodeo::ok();
  }
};

struct poll_h : rodeo::handler {
  rodeo::handler_result init(rodeo::req& req) override {
    rodeo::node::of(req.self()->system()).groups().join("poll", req.handle());
    return rodeo::loop(30s);
  }
  rodeo::handler_result info(caf::message& msg, rodeo::req& req) override {
    if (auto m = rodeo::match<rodeo::reply_atom, std::string>(msg)) {
      req.reply(200, {{"content-type", "text/plain"}}, std::get<1>(*m));
      return rodeo::stop();
    }
    return rodeo::ok();
  }
};

struct broadcast_h : rodeo::handler {
  rodeo::handler_result init(rodeo::req& req) override {
    if (req.method() != "POST") {
      req.reply(405, {{"allow", "POST"}, {"content-length", "0"}});
      return rodeo::ok();
    }
    collect(req, std::make_shared<std::string>());
    return rodeo::ok();
  }
  void collect(rodeo::req& req, std::shared_ptr<std::string> acc) {
    req.read_body([this, acc](rodeo::req& r, std::string data, rodeo::is_fin fin) {
      *acc += data;
      if (fin == rodeo::nofin) return collect(r, acc);
      auto& node = rodeo::node::of(r.self()->system());
      auto n = node.groups().send("poll", rodeo::reply_atom::value, *acc);
      n += rodeo_demo::ws_broadcast(node, *acc);
      r.reply(200, {{"content-type", "text/plain"}}, std::to_string(n));
    });
  }
};

struct crash_h : rodeo::handler {
  rodeo::handler_result init(rodeo::req&) override {
    throw std::runtime_error("the /crash handler crashed, as asked");
  }
};

// "--name V" or "--name=V": V, advancing i past it; nullopt when argv[i] is another option.
std::optional<std::string> option_value(const std::string& name, int& i, int argc, char** argv) {
  std::string a = argv[i];
  if (a == name && i + 1 < argc) return std::string{argv[++i]};
  if (a.size() > name.size() && a.compare(0, name.size(), name) == 0 && a[name.size()] == '=')
    return a.substr(name.size() + 1);
  return std::nullopt;
}

// A non-negative decimal count; nullopt when `s` is not one.
std::optional<uint64_t> parse_count(const std::string& s) {
  if (s.empty() || s.find_first_not_of("0123456789") != std::string::npos) return std::nullopt;
  return std::strtoull(s.c_str(), nullptr, 10);
}

}  // namespace

int main(int argc, char** argv) {
  std::string host = "127.0.0.1";
  int port = 8080;
  std::optional<int> tls_port;
  rodeo::tls_certificate cert;
  rodeo_demo::ws_settings ws;
  size_t max_connections = rodeo::transport_options{}.max_connections;
  rodeo::protocol_options proto;
  std::string assets = RODEO_DEMO_ASSETS;
  std::string access_log = "-";
  bool metrics = true;
  std::chrono::milliseconds drain_timeout{10000};
  auto log_format = rodeo::access_log::format::combined;
  std::vector<char*> rest{argv[0]};
  auto bad = [](const std::string& opt, const std::string& v) {
    std::cerr << "rodeo-demo: " << opt << ": not a count: " << v << "\n";
    return 2;
  };
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (auto v = option_value("--max-connections", i, argc, argv)) {
      auto n = parse_count(*v);
      if (!n && *v != "infinity") return bad("--max-connections", *v);
      max_connections = n ? static_cast<size_t>(*n) : rodeo::infinity;
    } else if (auto v = option_value("--request-timeout", i, argc, argv)) {
      auto n = parse_count(*v);
      if (!n) return bad("--request-timeout", *v);
      proto.request_timeout = std::chrono::milliseconds(*n);
    } else if (auto v = option_value("--idle-timeout", i, argc, argv)) {
      auto n = parse_count(*v);
      if (!n) return bad("--idle-timeout", *v);
      proto.idle_timeout = std::chrono::milliseconds(*n);
    } else if (auto v = option_value("--tls-port", i, argc, argv)) {
      tls_port = std::atoi(v->c_str());
    } else if (auto v = option_value("--cert", i, argc, argv)) {
      cert.certfile = *v;
    } else if (auto v = option_value("--key", i, argc, argv)) {
      cert.keyfile = *v;
    } else if ((a == "--port" || a == "--host") && i + 1 < argc) {
      (a == "--port" ? (void)(port = std::atoi(argv[++i])) : (void)(host = argv[++i]));
    } else if (a.rfind("--port=", 0) == 0) {
      port = std::atoi(a.c_str() + 7);
    } else if (a.rfind("--host=", 0) == 0) {
      host = a.substr(7);
    } else if (auto v = option_value("--assets", i, argc, argv)) {
      assets = *v;
    } else if (auto v = option_value("--access-log", i, argc, argv)) {
      access_log = *v;
    } else if (auto v = option_value("--drain-timeout", i, argc, argv)) {
      auto n = parse_count(*v);
      if (!n) return bad("--drain-timeout", *v);
      drain_timeout = std::chrono::milliseconds(*n);
    } else if (auto v = option_value("--metrics", i, argc, argv)) {
      if (*v != "on" && *v != "off") return std::cerr << "rodeo-demo: --metrics: on or off\n", 2;
      metrics = *v == "on";
    } else if (auto v = option_value("--access-log-format", i, argc, argv)) {
      if (*v == "combined")
        log_format = rodeo::access_log::format::combined;
      else if (*v == "common")
        log_format = rodeo::access_log::format::common;
      else if (*v == "json")
        log_format = rodeo::access_log::format::json;
      else
        return std::cerr << "rodeo-demo: --access-log-format: combined, common or json\n", 2;
    } else if (a == "--ws-max-frame-size" && i + 1 < argc) {
      ws.max_frame_size = std::strtoull(argv[++i], nullptr, 10);
    } else if (a.rfind("--ws-max-frame-size=", 0) == 0) {
      ws.max_frame_size = std::strtoull(a.c_str() + 20, nullptr, 10);
    } else if (a == "--help" || a == "-h") {
      std::cout
          << "usage: rodeo-demo [--host 127.0.0.1] [--port 8080] "
             "[--ws-max-frame-size 1048576]\n"
             "                  [--max-connections 1024|N|infinity] [--request-timeout 5000 (ms)]\n"
             "                  [--idle-timeout 60000 (ms)] [--tls-port N [--cert FILE --key "
             "FILE]]\n"
             "                  [--assets DIR] [--access-log -|FILE|off]\n"
             "                  [--access-log-format combined|common|json] [--metrics on|off]\n"
             "                  [--drain-timeout 10000 (ms)]\n"
             "                  [--caf.* options]\n";
      return 0;
    } else {
      rest.push_back(argv[i]);
    }
  }
  rodeo::node node{static_cast<int>(rest.size()), rest.data()};
  auto items = rodeo_demo::start_items(node.system());
  node.on_stop([items] { rodeo::send_exit(items, rodeo::reason::shutdown()); });
  rodeo::path_list paths{
      {"/", rodeo::handler_of<hello_h>()},
      {"/auth/:token/:user", rodeo::handler_of<auth_h>()},
      {"/echo-body", rodeo::handler_of<echo_h>()},
      {"/events", rodeo::handler_of<events_h>()},
      {"/poll", rodeo::handler_of<poll_h>()},
      {"/broadcast", rodeo::handler_of<broadcast_h>()},
      {"/crash", rodeo::handler_of<crash_h>()},
      {"/inline", rodeo::run_inline(rodeo::handler_of<hello_h>())},
      {"/static/[...]", rodeo::static_dir(assets)},
      {"/rest/items/[:id]", rodeo_demo::items_handler(items)},
  };
  if (metrics)
    for (auto& r : rodeo::metrics_routes("/metrics")) paths.push_back(std::move(r));
  ws.idle_timeout = proto.idle_timeout;
  for (auto& r : rodeo_demo::ws_routes(ws)) paths.push_back(std::move(r));
  proto.env.dispatch = std::make_shared<const rodeo::dispatch>(
      rodeo::compile(rodeo::route_list{{"_", std::move(paths)}}));
  // One metrics_h record per request feeds both the Prometheus counters and the access log.
  std::vector<rodeo::metrics::callback> feeds;
  if (metrics) feeds.push_back(rodeo::prometheus::http_callback(node));
  if (access_log != "off") {
    try {
      feeds.push_back(rodeo::access_log::callback({.format = log_format, .path = access_log}));
    } catch (const std::system_error& e) {
      return std::cerr << "rodeo-demo: " << e.what() << "\n", 1;
    }
  }
  if (!feeds.empty()) {
    rodeo::metrics::options m;
    m.callback = [feeds](const rodeo::metrics::record& r) {
      for (auto& f : feeds) f(r);
    };
    m.resp_headers_filter = [](const rodeo::headers&) {
      return rodeo::headers{};
    };
    proto.stream_handlers.insert(proto.stream_handlers.begin(), rodeo::metrics_h(std::move(m)));
  }
  auto tls_proto = proto;
  auto info = rodeo::start_clear(
      node, "http",
      {.ip = host, .port = static_cast<uint16_t>(port), .max_connections = max_connections},
      std::move(proto));
  if (!info) {
    std::cerr << "rodeo-demo: cannot listen on " << host << ":" << port << ": "
              << caf::to_string(info.error()) << "\n";
    return 1;
  }
  std::cout << "rodeo-demo listening on http://" << host << ":" << info->port << "/" << std::endl;
  if (tls_port) {
    if (cert.certfile.empty() != cert.keyfile.empty()) {
      std::cerr << "rodeo-demo: --cert and --key go together\n";
      return 2;
    }
    if (cert.certfile.empty()) {
      cert = rodeo::make_self_signed_certificate({"127.0.0.1", "localhost"});
      char dir[] = "/tmp/rodeo-demo-XXXXXX";
      if (!::mkdtemp(dir)) return std::cerr << "rodeo-demo: mkdtemp failed\n", 1;
      cert.certfile = std::string(dir) + "/cert.pem";
      std::ofstream(cert.certfile) << cert.cert;
      std::cout << "rodeo-demo: self-signed certificate for 127.0.0.1 and localhost: "
                << cert.certfile << std::endl;
    }
    auto tls = rodeo::start_tls(
        node, "https",
        {.ip = host, .port = static_cast<uint16_t>(*tls_port), .max_connections = max_connections},
        {.certificate = cert}, std::move(tls_proto));
    if (!tls) {
      std::cerr << "rodeo-demo: cannot serve TLS on " << host << ":" << *tls_port << ": "
                << caf::to_string(tls.error()) << "\n";
      return 1;
    }
    std::cout << "rodeo-demo listening on https://" << host << ":" << tls->port << "/" << std::endl;
  }
  // SIGINT/SIGTERM: drain first (stop hooks run newest first), then the listeners stop.
  node.on_stop([&node, drain_timeout] {
    auto cut = rodeo::drain(node, drain_timeout);
    std::cout << "rodeo-demo: drained"
              << (cut ? ", " + std::to_string(cut) + " connection(s) cut" : "") << std::endl;
  });
  node.run();
  return 0;
}
