#pragma once
// Client-side TLS for the load tools (bench-wsload --tls): non-blocking OpenSSL calls with the
// contract of read(2)/write(2) (-1 and EAGAIN when the socket must become ready again), so the
// event loop stays the same. No certificate verification: the servers under test use
// self-signed certificates on 127.0.0.1.
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <sys/types.h>

#include <cerrno>
#include <string>

namespace bench::tls {

class context {
 public:
  context() {
    ctx_ = SSL_CTX_new(TLS_client_method());
    SSL_CTX_set_verify(ctx_, SSL_VERIFY_NONE, nullptr);
    // WebSocket and HTTP/1.1 only: the server picks http/1.1 by ALPN.
    static const unsigned char alpn[] = "\x08http/1.1";
    SSL_CTX_set_alpn_protos(ctx_, alpn, sizeof alpn - 1);
    // Partial writes as write(2) has them; a retried write may come from a moved buffer (the
    // output string is erased from the front); idle sessions give their buffers back.
    SSL_CTX_set_mode(ctx_, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
                               SSL_MODE_RELEASE_BUFFERS);
  }
  ~context() { SSL_CTX_free(ctx_); }
  context(const context&) = delete;
  context& operator=(const context&) = delete;

  /// A client session on connected socket `fd`, before its handshake.
  SSL* session(int fd, const std::string& host) const {
    SSL* s = SSL_new(ctx_);
    SSL_set_fd(s, fd);
    SSL_set_tlsext_host_name(s, host.c_str());
    SSL_set_connect_state(s);
    return s;
  }

 private:
  SSL_CTX* ctx_ = nullptr;
};

/// SSL_get_error as errno: EAGAIN to wait for the socket, 0 for a clean end, EIO otherwise.
inline int error_of(SSL* s, int ret) {
  switch (SSL_get_error(s, ret)) {
    case SSL_ERROR_WANT_READ:
    case SSL_ERROR_WANT_WRITE:
      return EAGAIN;
    case SSL_ERROR_ZERO_RETURN:
      return 0;
    case SSL_ERROR_SYSCALL:
      return errno ? errno : EIO;
    default:
      ERR_clear_error();
      return EIO;
  }
}

/// 1 when the handshake is done, 0 while it waits for the socket, -1 when it failed.
inline int handshake(SSL* s) {
  int r = SSL_do_handshake(s);
  if (r == 1) return 1;
  return error_of(s, r) == EAGAIN ? 0 : -1;
}

/// As read(2): bytes, 0 at the end, -1 with errno (EAGAIN: nothing more now).
inline ssize_t read(SSL* s, char* buf, size_t size) {
  int n = SSL_read(s, buf, static_cast<int>(size));
  if (n > 0) return n;
  int e = error_of(s, n);
  if (e == 0) return 0;
  errno = e;
  return -1;
}

/// As write(2).
inline ssize_t write(SSL* s, const char* buf, size_t size) {
  int n = SSL_write(s, buf, static_cast<int>(size));
  if (n > 0) return n;
  int e = error_of(s, n);
  errno = e == 0 ? EPIPE : e;
  return -1;
}

}  // namespace bench::tls
