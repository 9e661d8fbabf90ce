#pragma once
// What the integration suites share: a blocking loopback client socket with bounded reads, HTTP
// response-head parsing, and the bounded wait for a condition (eventually.hpp).
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <chrono>
#include <functional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "eventually.hpp"

namespace rodeo_test {

using namespace std::chrono_literals;
using clock = std::chrono::steady_clock;

struct http_head {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;  // names lowercased

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

/// A blocking client socket to 127.0.0.1:port; every read is bounded in time.
class socket_client {
 public:
  explicit socket_client(uint16_t port, int rcvbuf = 0) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (rcvbuf > 0) setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0)
      throw std::runtime_error("connect failed");
    int one = 1;
    setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  }
  ~socket_client() {
    if (fd_ >= 0) ::close(fd_);
  }
  socket_client(const socket_client&) = delete;
  socket_client& operator=(const socket_client&) = delete;

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

  /// One response head (status 0 on timeout or close); the body, if any, stays in the buffer.
  http_head read_head(std::chrono::milliseconds limit = 5s) {
    auto end = clock::now() + limit;
    size_t pos;
    while ((pos = buf_.find("\r\n\r\n")) == std::string::npos)
      if (!fill(end)) return {};
    http_head r;
    std::string head = buf_.substr(0, pos);
    buf_.erase(0, pos + 4);
    auto line_end = head.find("\r\n");
    r.status = std::stoi(head.substr(9, 3));
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
    return r;
  }

  /// True when the server closed the connection (EOF or reset) within the limit; the bytes read
  /// meanwhile stay in the buffer.
  bool closed_by_peer(std::chrono::milliseconds limit = 5s) {
    auto end = clock::now() + limit;
    while (!eof_)
      if (!fill(end)) return eof_;
    return true;
  }

  /// Nothing arrives on the socket within `limit` and the connection stays open.
  bool quiet_for(std::chrono::milliseconds limit) {
    pollfd p{fd_, POLLIN, 0};
    return ::poll(&p, 1, static_cast<int>(limit.count())) == 0;
  }

  std::string& buffered() { return buf_; }
  const std::string& buffered() const { return buf_; }
  int fd() const { return fd_; }

  /// Reads more bytes into the buffer; false on EOF, error or the limit.
  bool fill(std::chrono::milliseconds limit) { return fill(clock::now() + limit); }
  bool fill(clock::time_point end) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(end - clock::now());
    if (left.count() <= 0 || eof_) return false;
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) return false;
    char buf[65536];
    auto n = ::recv(fd_, buf, sizeof buf, 0);
    if (n <= 0) {
      eof_ = true;
      return false;
    }
    buf_.append(buf, static_cast<size_t>(n));
    return true;
  }

 protected:
  int fd_ = -1;
  std::string buf_;
  bool eof_ = false;
};

}  // namespace rodeo_test
