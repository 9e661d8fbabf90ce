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

#include "rodeo/rodeo.hpp"

namespace net_test {

using namespace std::chrono_literals;
using clock = std::chrono::steady_clock;

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

/// Waits (bounded) until pred() holds.
inline bool eventually(const std::function<bool()>& pred, std::chrono::milliseconds limit = 5s) {
  auto end = clock::now() + limit;
  while (clock::now() < end) {
    if (pred()) return true;
    std::this_thread::sleep_for(2ms);
  }
  return pred();
}

struct response {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;  // names lowercased
  std::string body;
  bool chunked = false;

  const std::string* header(const std::string& name) const {
    for (auto& [n, v] : headers)
      if (n == name) return &v;
    return nullptr;
  }
  std::string header_or(const std::string& name, std::string def = "") const {
    auto* v = header(name);
    return v ? *v : def;
  }
};

/// A blocking client socket with bounded reads.
class client {
 public:
  explicit client(uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0)
      throw std::runtime_error("connect failed");
    int one = 1;
    setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  }
  ~client() {
    if (fd_ >= 0) ::close(fd_);
  }
  client(const client&) = delete;
  client& operator=(const client&) = delete;

  void send(std::string_view bytes) {
    while (!bytes.empty()) {
      auto n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n <= 0) throw std::runtime_error("send failed");
      bytes.remove_prefix(static_cast<size_t>(n));
    }
  }
  void close() {
    ::close(fd_);
    fd_ = -1;
  }
  void shutdown_write() { ::shutdown(fd_, SHUT_WR); }

  /// Reads more bytes into the buffer; false on EOF, error or timeout.
  bool fill(std::chrono::milliseconds limit) {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(limit.count())) <= 0) return false;
    char buf[16384];
    auto n = ::recv(fd_, buf, sizeof buf, 0);
    if (n <= 0) {
      eof_ = true;
      return false;
    }
    buf_.append(buf, static_cast<size_t>(n));
    return true;
  }

  /// One response; nullopt on timeout or a close before it was complete.
  std::optional<response> read_response(bool head_request = false,
                                        std::chrono::milliseconds limit = 5s) {
    auto end = clock::now() + limit;
    auto left = [&] {
      return std::chrono::duration_cast<std::chrono::milliseconds>(end - clock::now());
    };
    size_t pos;
    while ((pos = buf_.find("\r\n\r\n")) == std::string::npos)
      if (left().count() <= 0 || !fill(left())) return std::nullopt;
    response r;
    std::string head = buf_.substr(0, pos);
    buf_.erase(0, pos + 4);
    auto line_end = head.find("\r\n");
    auto status_line = head.substr(0, line_end);
    r.status = std::stoi(status_line.substr(9, 3));
    size_t at = line_end == std::string::npos ? head.size() : line_end + 2;
    while (at < head.size()) {
      auto e = head.find("\r\n", at);
      if (e == std::string::npos) e = head.size();
      auto line = head.substr(at, e - at);
      auto colon = line.find(':');
      std::string name = line.substr(0, colon);
      for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      auto value = line.substr(colon + 1);
      while (!value.empty() && value.front() == ' ') value.erase(0, 1);
      r.headers.emplace_back(name, value);
      at = e + 2;
    }
    if (head_request || r.status < 200 || r.status == 204 || r.status == 304) return r;
    if (auto* te = r.header("transfer-encoding"); te && *te == "chunked") {
      r.chunked = true;
      for (;;) {
        size_t nl;
        while ((nl = buf_.find("\r\n")) == std::string::npos)
          if (left().count() <= 0 || !fill(left())) return std::nullopt;
        size_t size = std::stoul(buf_.substr(0, nl), nullptr, 16);
        buf_.erase(0, nl + 2);
        if (size == 0) {
          // trailers until an empty line
          for (;;) {
            while ((nl = buf_.find("\r\n")) == std::string::npos)
              if (left().count() <= 0 || !fill(left())) return std::nullopt;
            auto line = buf_.substr(0, nl);
            buf_.erase(0, nl + 2);
            if (line.empty()) break;
            auto colon = line.find(':');
            trailers.emplace_back(line.substr(0, colon), line.substr(colon + 2));
          }
          return r;
        }
        while (buf_.size() < size + 2)
          if (left().count() <= 0 || !fill(left())) return std::nullopt;
        r.body += buf_.substr(0, size);
        buf_.erase(0, size + 2);
      }
    }
    if (auto* cl = r.header("content-length")) {
      size_t size = std::stoul(*cl);
      while (buf_.size() < size)
        if (left().count() <= 0 || !fill(left())) return std::nullopt;
      r.body = buf_.substr(0, size);
      buf_.erase(0, size);
      return r;
    }
    while (fill(left())) {
    }
    if (!eof_) return std::nullopt;
    r.body = std::move(buf_);
    buf_.clear();
    return r;
  }

  /// True when the server closed the connection (EOF or reset) within the limit; the bytes read
  /// meanwhile stay in the buffer.
  bool closed_by_peer(std::chrono::milliseconds limit = 5s) {
    auto end = clock::now() + limit;
    while (!eof_) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(end - clock::now());
      if (left.count() <= 0) return false;
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) return false;
      char buf[16384];
      auto n = ::recv(fd_, buf, sizeof buf, 0);
      if (n <= 0)
        eof_ = true;
      else
        buf_.append(buf, static_cast<size_t>(n));
    }
    return true;
  }

  /// Nothing arrives within `limit` and the connection stays open.
  bool quiet_for(std::chrono::milliseconds limit) {
    pollfd p{fd_, POLLIN, 0};
    return ::poll(&p, 1, static_cast<int>(limit.count())) == 0;
  }

  const std::string& buffered() const { return buf_; }
  int fd() const { return fd_; }
  std::vector<std::pair<std::string, std::string>> trailers;

 private:
  int fd_ = -1;
  std::string buf_;
  bool eof_ = false;
};

struct run_result {
  int status = -1;
  std::string out;
};

/// Runs a shell command (curl) and captures its stdout.
inline run_result run(const std::string& cmd) {
  run_result r;
  FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) return r;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
  r.status = ::pclose(p);
  return r;
}

/// curl with a bounded run time against the server: `curl(port, "-X POST ...", "/path")`.
inline run_result curl(uint16_t port, const std::string& args, const std::string& path) {
  return run("curl -s --max-time 10 " + args + " 'http://127.0.0.1:" + std::to_string(port) + path +
             "'");
}

}  // namespace net_test
