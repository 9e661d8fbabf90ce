#pragma once
// Helpers for the net suite: an in-process server on 127.0.0.1 port 0, a raw socket client that
// reads HTTP/1.1 responses, and a curl runner. Every wait is bounded.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <caf/all.hpp>

#include "loopback.hpp"
#include "rodeo/rodeo.hpp"
#include "shell.hpp"

namespace net_test {

using namespace std::chrono_literals;
using rodeo_test::clock;
using rodeo_test::eventually;

/// A node with one listener named "test" on 127.0.0.1:0, started by start() (so routes can use
/// actors of the node, such as a test probe).
class server {
 public:
  server() = default;

  void start(rodeo::route_list routes, std::function<void(rodeo::protocol_options&)> tweak = {},
             rodeo::transport_options transport = {}) {
    rodeo::protocol_options proto;
    proto.env.dispatch = std::make_shared<const rodeo::dispatch>(rodeo::compile(std::move(routes)));
    if (tweak) tweak(proto);
    transport.ip = "127.0.0.1";
    transport.port = 0;
    auto info = rodeo::start_clear(node, "test", transport, std::move(proto));
    if (!info) throw std::runtime_error("start_clear: " + caf::to_string(info.error()));
    port = info->port;
    sup = info->sup;
  }

  rodeo::node node;
  uint16_t port = 0;
  caf::actor sup;
};

struct response : rodeo_test::http_head {
  std::string body;
  bool chunked = false;
};

/// A blocking HTTP/1.1 client socket with bounded reads.
class client : public rodeo_test::socket_client {
 public:
  using socket_client::socket_client;

  /// One response; nullopt on timeout or a close before it was complete.
  std::optional<response> read_response(bool head_request = false,
                                        std::chrono::milliseconds limit = 5s) {
    auto end = clock::now() + limit;
    auto head = read_head(limit);
    if (head.status == 0) return std::nullopt;
    response r;
    static_cast<rodeo_test::http_head&>(r) = std::move(head);
    if (head_request || r.status < 200 || r.status == 204 || r.status == 304) return r;
    if (auto* te = r.header("transfer-encoding"); te && *te == "chunked") {
      r.chunked = true;
      for (;;) {
        size_t nl;
        while ((nl = buf_.find("\r\n")) == std::string::npos)
          if (!fill(end)) return std::nullopt;
        size_t size = std::stoul(buf_.substr(0, nl), nullptr, 16);
        buf_.erase(0, nl + 2);
        if (size == 0) {
          // trailers until an empty line
          for (;;) {
            while ((nl = buf_.find("\r\n")) == std::string::npos)
              if (!fill(end)) return std::nullopt;
            auto line = buf_.substr(0, nl);
            buf_.erase(0, nl + 2);
            if (line.empty()) break;
            auto colon = line.find(':');
            trailers.emplace_back(line.substr(0, colon), line.substr(colon + 2));
          }
          return r;
        }
        while (buf_.size() < size + 2)
          if (!fill(end)) return std::nullopt;
        r.body += buf_.substr(0, size);
        buf_.erase(0, size + 2);
      }
    }
    if (auto* cl = r.header("content-length")) {
      size_t size = std::stoul(*cl);
      while (buf_.size() < size)
        if (!fill(end)) return std::nullopt;
      r.body = buf_.substr(0, size);
      buf_.erase(0, size);
      return r;
    }
    while (fill(end)) {
    }
    if (!eof_) return std::nullopt;
    r.body = std::move(buf_);
    buf_.clear();
    return r;
  }

  std::vector<std::pair<std::string, std::string>> trailers;
};

using rodeo_test::run;
using rodeo_test::run_result;

/// curl with a bounded run time against the server: `curl(port, "-X POST ...", "/path")`.
inline run_result curl(uint16_t port, const std::string& args, const std::string& path) {
  return run("curl -s --max-time 10 " + args + " 'http://127.0.0.1:" + std::to_string(port) + path +
             "'");
}

}  // namespace net_test
