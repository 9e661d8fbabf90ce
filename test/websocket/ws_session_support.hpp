#pragma once
// Helpers for the WebSocket session tests: an in-process server on 127.0.0.1 port 0, a raw-socket
// WebSocket client built on the codec (client role), a probe actor that records what handlers
// report, and a bounded runner for the python and node clients. Every wait is bounded.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <caf/all.hpp>

#include "loopback.hpp"
#include "rodeo/rodeo.hpp"
#include "rodeo/websocket.hpp"
#include "rodeo/ws_frame.hpp"
#include "shell.hpp"

namespace ws_session_test {

using namespace std::chrono_literals;
using rodeo_test::clock;
using rodeo_test::eventually;

/// A node with one listener named "ws" on 127.0.0.1:0.
class server {
 public:
  void start(rodeo::route_list routes, rodeo::transport_options transport = {}) {
    rodeo::protocol_options proto;
    proto.env.dispatch = std::make_shared<const rodeo::dispatch>(rodeo::compile(std::move(routes)));
    transport.ip = "127.0.0.1";
    transport.port = 0;
    auto info = rodeo::start_clear(node, "ws", transport, std::move(proto));
    if (!info) throw std::runtime_error("start_clear: " + caf::to_string(info.error()));
    port = info->port;
  }

  rodeo::node node;
  uint16_t port = 0;
};

using rodeo_test::http_head;

/// A received frame or event, data copied.
struct frame {
  rodeo::ws::event_kind kind = rodeo::ws::event_kind::need_more;
  uint16_t code = 0;
  std::string data;
};

inline std::string upgrade_request(const std::string& path, const std::string& extra = "") {
  return "GET " + path +
         " HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
         "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n" +
         extra + "\r\n";
}

/// A blocking client socket speaking WebSocket by hand (masked frames out, a client-role
/// decoder in).
class client : public rodeo_test::socket_client {
 public:
  using socket_client::socket_client;

  /// Sends the upgrade request and reads the response head; the decoder is set up for the
  /// agreed permessage-deflate parameters (if any).
  http_head handshake(const std::string& path, const std::string& extra = "") {
    send(upgrade_request(path, extra));
    auto h = read_head();
    if (h.status == 101) {
      rodeo::ws::decoder_options o{rodeo::ws::role::client, uint64_t{64} << 20, uint64_t{64} << 20,
                                   std::nullopt};
      if (auto* ext = h.header("sec-websocket-extensions"))
        o.deflate = rodeo::ws::parse_deflate_response(*ext);
      dec_ = rodeo::ws::decoder{o};
    }
    return h;
  }

  /// Sends one masked frame.
  void send_frame(rodeo::ws::opcode op, std::string_view payload, bool fin = true,
                  bool rsv1 = false) {
    send(rodeo::ws::masked_frame(op, payload, {0x12, 0x34, 0x56, 0x78}, fin, rsv1));
  }
  void send_text(std::string_view s) { send_frame(rodeo::ws::opcode::text, s); }
  void send_close(uint16_t code, std::string_view reason = {}) {
    send_frame(rodeo::ws::opcode::close, rodeo::ws::close_payload(code, reason));
  }

  /// The next message, control frame or close from the server; kind need_more on timeout or
  /// EOF.
  frame next(std::chrono::milliseconds limit = 5s) {
    auto end = clock::now() + limit;
    for (;;) {
      if (!buf_.empty()) {
        std::span<char> in{buf_.data(), buf_.size()};
        auto ev = dec_.next(in);
        if (ev.kind != rodeo::ws::event_kind::need_more) {
          frame f{ev.kind, ev.code, std::string{ev.data}};
          buf_.erase(0, buf_.size() - in.size());
          return f;
        }
        buf_.clear();
      }
      if (!fill(end)) return {};
    }
  }

  /// The next text message's data, or "<kind>" when something else came.
  std::string next_text(std::chrono::milliseconds limit = 5s) {
    auto f = next(limit);
    if (f.kind == rodeo::ws::event_kind::text) return f.data;
    return "<" + std::to_string(static_cast<int>(f.kind)) + ":" + std::to_string(f.code) + ">";
  }

  /// Reads frames until a close frame: its code, or -1 when none came.
  int close_code(std::chrono::milliseconds limit = 5s) {
    auto end = clock::now() + limit;
    for (;;) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(end - clock::now());
      if (left.count() <= 0) return -1;
      auto f = next(left);
      if (f.kind == rodeo::ws::event_kind::close) return f.code;
      if (f.kind == rodeo::ws::event_kind::need_more) return -1;
    }
  }

  /// Nothing arrives within `limit` (nothing buffered either).
  bool quiet_for(std::chrono::milliseconds limit) {
    return buf_.empty() && socket_client::quiet_for(limit);
  }

 private:
  rodeo::ws::decoder dec_{rodeo::ws::decoder_options{rodeo::ws::role::client}};
};

/// Receives strings sent to the probe until one starts with `prefix`; returns it, or "" when
/// none came in time. Other messages stay in the mailbox.
inline std::string wait_for(caf::scoped_actor& probe, const std::string& prefix,
                            std::chrono::milliseconds limit = 5s) {
  auto end = clock::now() + limit;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(end - clock::now());
    if (left.count() <= 0) return {};
    std::optional<std::string> got;
    probe->receive([&](std::string& x) { got = std::move(x); }, caf::after(left) >> [] {});
    if (!got) return {};
    if (got->rfind(prefix, 0) == 0) return *got;
  }
}

/// The next actor handle sent to the probe (a session publishing itself).
inline caf::actor next_handle(caf::scoped_actor& probe, std::chrono::milliseconds limit = 5s) {
  caf::actor h;
  probe->receive([&](caf::actor& a) { h = std::move(a); }, caf::after(limit) >> [] {});
  return h;
}

using resume_atom = caf::atom_constant<caf::atom("resume")>;
using burst_atom = caf::atom_constant<caf::atom("burst")>;

/// What test_h does; given to its constructor through websocket_of.
struct handler_cfg {
  caf::actor probe;  // gets the session's handle and "event:..." strings
  rodeo::ws::options opts;
  bool refuse = false;          // init replies 403 and does not upgrade
  std::string pick_protocol;    // upgrade with this subprotocol when the client offers it
  bool force_protocol = false;  // ... even when it does not
  std::string group;            // join this process group in websocket_init
};

/// A handler that reports everything to a probe and obeys text commands:
///   close → close 4000 "bye"; crash → throws; pause → "paused" + active(false);
///   limit:N → set_options max_frame_size N; nodeflate → deflate(false); ping → a ping;
///   exit → shutdown_reason {shutdown, test} + close 1000; anything else is echoed.
/// websocket_info: resume_atom → active(true); (burst_atom, n) → n 1 KiB text frames in one
/// go; anything else through ws::from_data.
struct test_h : rodeo::websocket_handler {
  explicit test_h(handler_cfg c) : cfg(std::move(c)) {}
  handler_cfg cfg;

  void report(std::string s) {
    if (cfg.probe) caf::anon_send(cfg.probe, std::move(s));
  }

  rodeo::ws::init_result init(rodeo::req& r) override {
    if (cfg.refuse) {
      r.reply(403, {{"content-length", "0"}});
      return rodeo::ws::no_upgrade();
    }
    if (!cfg.pick_protocol.empty()) {
      auto offered = rodeo::ws::protocols(r);
      if (cfg.force_protocol ||
          std::find(offered.begin(), offered.end(), cfg.pick_protocol) != offered.end())
        return rodeo::ws::upgrade(cfg.pick_protocol, cfg.opts);
    }
    return rodeo::ws::upgrade(cfg.opts);
  }

  rodeo::ws::commands websocket_init() override {
    if (!cfg.group.empty()) rodeo::node::of(self()->system()).groups().join(cfg.group, handle());
    if (cfg.probe) caf::anon_send(cfg.probe, handle());
    report("init");
    return {};
  }

  rodeo::ws::commands websocket_handle(const rodeo::ws::in_frame& f) override {
    namespace ws = rodeo::ws;
    static const char* names[] = {"text", "binary", "ping", "pong"};
    std::string shown{f.data.substr(0, 64)};
    report(std::string{"handle:"} + names[static_cast<int>(f.type)] + ":" + shown);
    if (f.type == ws::frame_type::binary) return {ws::binary(std::string{f.data})};
    if (f.type != ws::frame_type::text) return {};
    if (f.data == "close") return {ws::close(4000, "bye")};
    if (f.data == "crash") throw std::runtime_error("asked to crash");
    if (f.data == "pause") return {ws::text("paused"), ws::active(false)};
    if (f.data.rfind("limit:", 0) == 0)
      return {ws::set_options({.max_frame_size = std::stoull(std::string{f.data.substr(6)})}),
              ws::text("limited")};
    if (f.data == "nodeflate") return {ws::deflate(false), ws::text("plain")};
    if (f.data == "ping") return {ws::ping("are you there")};
    if (f.data == "exit")
      return {ws::shutdown_reason(rodeo::reason::shutdown("test")), ws::close()};
    return {ws::text(std::string{f.data}), ws::hibernate};
  }

  rodeo::ws::commands websocket_info(caf::message& msg) override {
    if (msg.match_elements<resume_atom>()) return {rodeo::ws::active(true)};
    if (msg.match_elements<burst_atom, int>()) {
      rodeo::ws::commands out;
      for (int i = 0; i < msg.get_as<int>(1); ++i)
        out.push_back(rodeo::ws::text(std::string(1024, static_cast<char>('a' + i % 26))));
      return out;
    }
    return rodeo::ws::from_data(msg);
  }

  void terminate(const rodeo::ws::terminate_reason& r, const rodeo::request& req) override {
    report("terminate:" + rodeo::ws::to_string(r));
    report("terminate-path:" + req.path);
    report("terminate-headers:" + std::to_string(req.headers.size()));
  }
};

using rodeo_test::run;
using rodeo_test::run_result;

/// /proc/self/status's VmRSS in bytes.
inline size_t rss_bytes() {
  FILE* f = std::fopen("/proc/self/status", "r");
  if (!f) return 0;
  char line[256];
  size_t kb = 0;
  while (std::fgets(line, sizeof line, f))
    if (std::sscanf(line, "VmRSS: %zu kB", &kb) == 1) break;
  std::fclose(f);
  return kb * 1024;
}

}  // namespace ws_session_test
