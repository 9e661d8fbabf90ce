#pragma once
// Helpers for the TLS tests: certificates (made in process and with the openssl command), a
// client SSL over a socketpair pumped against a server tls_engine, and a one-connection TLS
// server thread on 127.0.0.1 for real clients (curl, openssl s_client, python3 ssl).
#include <fcntl.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>

#include "rodeo/tls_context.hpp"
#include "rodeo/tls_engine.hpp"
#include "rodeo/tls_self_signed.hpp"
#include "shell.hpp"

namespace tls_test {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

inline void set_nonblocking(int fd) {
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
}

/// A temporary directory removed at the end of the test.
struct temp_dir {
  fs::path path;
  temp_dir() {
    char tmpl[] = "/tmp/rodeo-tls-XXXXXX";
    path = ::mkdtemp(tmpl);
  }
  ~temp_dir() { fs::remove_all(path); }
  std::string file(const std::string& name, const std::string& content) const {
    std::ofstream(path / name) << content;
    return (path / name).string();
  }
  std::string operator/(const std::string& name) const { return (path / name).string(); }
};

using rodeo_test::run;
using rodeo_test::run_result;

/// A CA and certificates it signed, made with the openssl command in `dir`: ca.pem,
/// <name>.pem / <name>.key for each issue() call.
struct test_ca {
  const temp_dir& dir;
  explicit test_ca(const temp_dir& d) : dir(d) {
    sh("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj "
       "'/CN=Rodeo Test CA' -keyout " +
       dir / "ca.key" + " -out " + dir / "ca.pem");
  }
  /// A certificate for `cn` (also its DNS subjectAltName), signed by this CA.
  void issue(const std::string& name, const std::string& cn) const {
    dir.file(name + ".ext", "subjectAltName=DNS:" + cn + "\n");
    sh("openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj '/CN=" + cn +
       "' -keyout " + dir / (name + ".key") + " -out " + dir / (name + ".csr"));
    sh("openssl x509 -req -in " + dir / (name + ".csr") + " -CA " + dir / "ca.pem" + " -CAkey " +
       dir / "ca.key" + " -CAcreateserial -days 2 -extfile " + dir / (name + ".ext") + " -out " +
       dir / (name + ".pem"));
  }
  static void sh(const std::string& cmd) {
    if (std::system((cmd + " 2>/dev/null").c_str()) != 0)
      throw std::runtime_error("failed: " + cmd);
  }
};

/// The subject CN of a DER or PEM certificate held by an X509*.
inline std::string common_name(X509* cert) {
  char buf[256] = {};
  X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, buf, sizeof buf);
  return buf;
}

/// A client SSL on one end of a socketpair and a server tls_engine on the other, both
/// non-blocking, driven in turn until the handshake ends either way.
struct pair_conn {
  int fds[2] = {-1, -1};
  SSL_CTX* client_ctx;
  SSL* client;
  std::unique_ptr<rodeo::tls_engine> server;
  rodeo::tls_status server_status = rodeo::tls_status::want_read;
  int client_ret = 0;

  explicit pair_conn(std::shared_ptr<const rodeo::tls_context> ctx,
                     const std::function<void(SSL_CTX*, SSL*)>& setup = {}) {
    ::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds);
    set_nonblocking(fds[0]);
    set_nonblocking(fds[1]);
    client_ctx = SSL_CTX_new(TLS_client_method());
    client = SSL_new(client_ctx);
    SSL_set_fd(client, fds[0]);
    SSL_set_connect_state(client);
    if (setup) setup(client_ctx, client);
    server = std::make_unique<rodeo::tls_engine>(std::move(ctx), fds[1]);
  }
  ~pair_conn() {
    server.reset();
    SSL_free(client);
    SSL_CTX_free(client_ctx);
    ::close(fds[0]);
    ::close(fds[1]);
  }
  /// True when both sides finished the handshake.
  bool handshake() {
    for (int i = 0; i < 100; ++i) {
      if (client_ret != 1) client_ret = SSL_do_handshake(client);
      if (client_ret != 1) {
        int e = SSL_get_error(client, client_ret);
        if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) client_ret = -2;
      }
      if (server_status != rodeo::tls_status::done && server_status != rodeo::tls_status::error)
        server_status = server->handshake();
      if (client_ret == 1 && server_status == rodeo::tls_status::done) return true;
      if (server_status == rodeo::tls_status::error) {
        SSL_do_handshake(client);  // let the client read the alert
        ERR_clear_error();
        return false;
      }
      if (client_ret == -2) {
        ERR_clear_error();
        server_status = server->handshake();  // let the server read the client's alert
        for (int j = 0; j < 10 && server_status != rodeo::tls_status::error; ++j)
          server_status = server->handshake();
        return false;
      }
    }
    return false;
  }
};

/// Serves one TLS connection on 127.0.0.1 in a thread: handshake, read one HTTP/1.1 request head,
/// answer with `respond(engine)` as the body, close_notify. Every wait is bounded (10 s).
class one_shot_server {
 public:
  explicit one_shot_server(std::shared_ptr<const rodeo::tls_context> ctx,
                           std::function<std::string(rodeo::tls_engine&)> respond) {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
    ::listen(listen_fd_, 4);
    socklen_t len = sizeof a;
    ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port = ntohs(a.sin_port);
    thread_ = std::thread(
        [this, ctx = std::move(ctx), respond = std::move(respond)] { serve(ctx, respond); });
  }
  ~one_shot_server() {
    join();
    ::close(listen_fd_);
  }
  /// Waits for the connection to end; then status and error tell how its handshake went.
  void join() {
    if (thread_.joinable()) thread_.join();
  }
  uint16_t port = 0;
  rodeo::tls_status status = rodeo::tls_status::error;
  std::string error;

 private:
  static bool wait(int fd, rodeo::tls_status s, std::chrono::steady_clock::time_point end) {
    pollfd p{fd, static_cast<short>(s == rodeo::tls_status::want_write ? POLLOUT : POLLIN), 0};
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        end - std::chrono::steady_clock::now());
    return left.count() > 0 && ::poll(&p, 1, static_cast<int>(left.count())) > 0;
  }
  void serve(std::shared_ptr<const rodeo::tls_context> ctx,
             const std::function<std::string(rodeo::tls_engine&)>& respond) {
    auto end = std::chrono::steady_clock::now() + 10s;
    pollfd p{listen_fd_, POLLIN, 0};
    if (::poll(&p, 1, 10000) <= 0) return;
    int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
    rodeo::tls_engine engine(std::move(ctx), fd);
    rodeo::tls_status s;
    while ((s = engine.handshake()) == rodeo::tls_status::want_read ||
           s == rodeo::tls_status::want_write)
      if (!wait(fd, s, end)) break;
    status = s;
    error = engine.error();
    if (s == rodeo::tls_status::done) {
      std::string req;
      char buf[4096];
      while (req.find("\r\n\r\n") == std::string::npos) {
        auto r = engine.read(buf, sizeof buf);
        if (r.status == rodeo::tls_status::done)
          req.append(buf, r.bytes);
        else if (r.status == rodeo::tls_status::closed || r.status == rodeo::tls_status::error ||
                 !wait(fd, r.status, end))
          break;
      }
      std::string body = respond(engine);
      std::string out = "HTTP/1.1 200 OK\r\ncontent-length: " + std::to_string(body.size()) +
                        "\r\nconnection: close\r\n\r\n" + body;
      size_t at = 0;
      while (at < out.size()) {
        auto r = engine.write(out.data() + at, out.size() - at);
        if (r.status == rodeo::tls_status::done)
          at += r.bytes;
        else if (!wait(fd, r.status, end))
          break;
      }
      engine.shutdown();
    }
    ::close(fd);
  }

  int listen_fd_;
  std::thread thread_;
};

}  // namespace tls_test
