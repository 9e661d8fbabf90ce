#pragma once
// The server side of OpenSSL 3, built once from tls_options and shared (immutable) by every
// connection accepted while it is current. Reloading certificates is building a new context and
// handing it to new connections; each connection keeps the context it started with.
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "rodeo/tls_options.hpp"

using SSL_CTX = struct ssl_ctx_st;

namespace rodeo {

/// A configuration that OpenSSL refuses (unreadable file, key not matching its certificate, bad
/// cipher list...): what() names the option and OpenSSL's reason.
struct tls_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class tls_context {
 public:
  /// Throws tls_error.
  explicit tls_context(const tls_options& options);
  ~tls_context();
  tls_context(const tls_context&) = delete;
  tls_context& operator=(const tls_context&) = delete;

  /// The default context (SNI switches a connection to the one of its host).
  SSL_CTX* native() const noexcept { return default_; }
  /// The context serving `hostname`, or nullptr for the default.
  SSL_CTX* find_host(std::string_view hostname) const noexcept;
  const tls_options& options() const noexcept { return options_; }

 private:
  struct host {
    std::string name;  // lowercase; "*.x" for a wildcard
    SSL_CTX* ctx;
  };
  SSL_CTX* make(const tls_certificate& cert, const std::string& what);

  tls_options options_;
  std::string alpn_wire_;  // alpn_preferred_protocols in ALPN wire format
  SSL_CTX* default_ = nullptr;
  std::vector<host> hosts_;
};

}  // namespace rodeo
