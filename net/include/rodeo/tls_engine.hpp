#pragma once
// One server-side TLS connection over a non-blocking socket: the handshake, reads, writes and
// close_notify, each returning at once with what the socket needs next (readable or writable).
// It never blocks and never waits: the owner (a connection actor) calls again on readiness.
// No actors here; the owner must call from one thread at a time (OpenSSL's error queue is per
// thread, and each call clears and reads it before returning).
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "rodeo/tls_context.hpp"

using SSL = struct ssl_st;
using BIO = struct bio_st;

namespace rodeo {

enum class tls_status {
  done,        // the call did what it was asked (read/write: `bytes` moved)
  want_read,   // call again when the socket is readable
  want_write,  // call again when the socket is writable
  closed,      // the peer closed (close_notify, or EOF after the handshake)
  error,       // fatal: error() says why; close the socket
};

struct tls_io {
  tls_status status;
  size_t bytes = 0;
};

class tls_engine {
 public:
  /// Takes no ownership of `fd`; keeps `context` alive as long as the connection.
  tls_engine(std::shared_ptr<const tls_context> context, int fd);
  /// Over any byte stream: `bio` (owned from now on) reads and writes it, and reports
  /// would-block as OpenSSL's retry flags.
  tls_engine(std::shared_ptr<const tls_context> context, BIO* bio);
  ~tls_engine();
  tls_engine(const tls_engine&) = delete;
  tls_engine& operator=(const tls_engine&) = delete;

  /// Drives the handshake: done once it completed.
  tls_status handshake();
  bool handshake_done() const noexcept { return established_; }
  /// Up to `len` decrypted bytes (done with bytes > 0), or what to wait for.
  tls_io read(char* buf, size_t len);
  /// Encrypts and sends up to `len` bytes (a partial write is done with fewer bytes).
  tls_io write(const char* buf, size_t len);
  /// Sends close_notify without waiting for the peer's (done, or what to wait for).
  tls_status shutdown();

  /// The protocol ALPN chose ("h2", "http/1.1"), or "" when none was negotiated.
  std::string_view alpn() const noexcept;
  /// The SNI host name the client asked for, or "".
  std::string_view server_name() const noexcept;
  /// The client's certificate, DER-encoded (cowboy_req:cert/1), or "" when it sent none.
  std::string peer_certificate() const;
  std::string_view version() const noexcept;  // "TLSv1.3"
  std::string_view cipher() const noexcept;
  /// Why the last call returned error: OpenSSL's reason ("no shared cipher", "http request",
  /// "wrong version number", "certificate verify failed", "unexpected eof while reading"...).
  /// Stable per cause, so callers can count and log failures once per cause.
  const std::string& error() const noexcept { return error_; }
  /// The context this connection started with.
  const tls_context& context() const noexcept { return *context_; }

 private:
  tls_status status_of(int ret);

  std::shared_ptr<const tls_context> context_;
  SSL* ssl_;
  bool established_ = false;
  std::string error_;
};

}  // namespace rodeo
