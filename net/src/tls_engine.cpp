#include "rodeo/tls_engine.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <cerrno>
#include <cstring>

namespace rodeo {

tls_engine::tls_engine(std::shared_ptr<const tls_context> context, int fd)
    : context_(std::move(context)), ssl_(SSL_new(context_->native())) {
  if (!ssl_ || SSL_set_fd(ssl_, fd) != 1) {
    SSL_free(ssl_);
    ERR_clear_error();
    throw tls_error("SSL_new: out of memory");
  }
  SSL_set_accept_state(ssl_);
}

tls_engine::tls_engine(std::shared_ptr<const tls_context> context, BIO* bio)
    : context_(std::move(context)), ssl_(SSL_new(context_->native())) {
  if (!ssl_) {
    BIO_free(bio);
    ERR_clear_error();
    throw tls_error("SSL_new: out of memory");
  }
  SSL_set_bio(ssl_, bio, bio);
  SSL_set_accept_state(ssl_);
}

tls_engine::~tls_engine() {
  SSL_free(ssl_);
}

tls_status tls_engine::status_of(int ret) {
  int err = SSL_get_error(ssl_, ret);
  switch (err) {
    case SSL_ERROR_WANT_READ:
      return tls_status::want_read;
    case SSL_ERROR_WANT_WRITE:
      return tls_status::want_write;
    case SSL_ERROR_ZERO_RETURN:
      ERR_clear_error();
      return tls_status::closed;
    case SSL_ERROR_SYSCALL:
      error_ = errno ? std::strerror(errno) : "unexpected eof while reading";
      ERR_clear_error();
      return established_ && errno == 0 ? tls_status::closed : tls_status::error;
    default: {
      unsigned long code = ERR_peek_last_error();
      ERR_clear_error();
      const char* reason = code ? ERR_reason_error_string(code) : nullptr;
      error_ = reason ? reason : "ssl error " + std::to_string(err);
      // A peer that closes the TCP connection without close_notify once data flowed has closed,
      // as every HTTP client does; during the handshake it is a failed handshake.
      if (established_ && ERR_GET_REASON(code) == SSL_R_UNEXPECTED_EOF_WHILE_READING)
        return tls_status::closed;
      return tls_status::error;
    }
  }
}

tls_status tls_engine::handshake() {
  if (established_) return tls_status::done;
  ERR_clear_error();
  errno = 0;
  int ret = SSL_do_handshake(ssl_);
  if (ret == 1) {
    established_ = true;
    return tls_status::done;
  }
  auto s = status_of(ret);
  return s == tls_status::closed ? tls_status::error : s;
}

tls_io tls_engine::read(char* buf, size_t len) {
  ERR_clear_error();
  errno = 0;
  size_t n = 0;
  int ret = SSL_read_ex(ssl_, buf, len, &n);
  if (ret == 1) return {tls_status::done, n};
  return {status_of(ret), 0};
}

tls_io tls_engine::write(const char* buf, size_t len) {
  if (len == 0) return {tls_status::done, 0};
  ERR_clear_error();
  errno = 0;
  size_t n = 0;
  int ret = SSL_write_ex(ssl_, buf, len, &n);
  if (ret == 1) return {tls_status::done, n};
  auto s = status_of(ret);
  return {s == tls_status::closed ? tls_status::error : s, 0};
}

tls_status tls_engine::shutdown() {
  ERR_clear_error();
  errno = 0;
  int ret = SSL_shutdown(ssl_);
  if (ret >= 0) return tls_status::done;  // 0: sent, the peer's close_notify is not awaited
  return status_of(ret);
}

std::string_view tls_engine::alpn() const noexcept {
  const unsigned char* p = nullptr;
  unsigned int n = 0;
  SSL_get0_alpn_selected(ssl_, &p, &n);
  return p ? std::string_view(reinterpret_cast<const char*>(p), n) : std::string_view{};
}

std::string_view tls_engine::server_name() const noexcept {
  const char* name = SSL_get_servername(ssl_, TLSEXT_NAMETYPE_host_name);
  return name ? name : "";
}

std::string tls_engine::peer_certificate() const {
  X509* cert = SSL_get1_peer_certificate(ssl_);
  if (!cert) return {};
  unsigned char* der = nullptr;
  int n = i2d_X509(cert, &der);
  X509_free(cert);
  if (n <= 0) return {};
  std::string out(reinterpret_cast<const char*>(der), static_cast<size_t>(n));
  OPENSSL_free(der);
  return out;
}

std::string_view tls_engine::version() const noexcept {
  return SSL_get_version(ssl_);
}

std::string_view tls_engine::cipher() const noexcept {
  const char* name = SSL_get_cipher_name(ssl_);
  return name ? name : "";
}

}  // namespace rodeo
