#include "rodeo/tls_context.hpp"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <algorithm>
#include <cctype>

namespace rodeo {

namespace {

std::string lowercase(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// OpenSSL's reason for the newest error in this thread's queue, then the queue is cleared.
std::string openssl_reason() {
  unsigned long code = ERR_peek_last_error();
  ERR_clear_error();
  if (code == 0) return "unknown error";
  const char* reason = ERR_reason_error_string(code);
  return reason ? reason : "error " + std::to_string(code);
}

[[noreturn]] void fail(const std::string& what) {
  throw tls_error(what + ": " + openssl_reason());
}

struct bio_deleter {
  void operator()(BIO* b) const { BIO_free(b); }
};
using bio_ptr = std::unique_ptr<BIO, bio_deleter>;

bio_ptr memory_bio(const std::string& pem) {
  return bio_ptr{BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()))};
}

int version_of(tls_version v) {
  return v == tls_version::tls1_3 ? TLS1_3_VERSION : TLS1_2_VERSION;
}

void use_certificate(SSL_CTX* ctx, const tls_certificate& cert, const std::string& what) {
  if (!cert.certfile.empty()) {
    if (SSL_CTX_use_certificate_chain_file(ctx, cert.certfile.c_str()) != 1)
      fail(what + " certfile " + cert.certfile);
  } else if (!cert.cert.empty()) {
    auto bio = memory_bio(cert.cert);
    X509* leaf = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr);
    if (!leaf || SSL_CTX_use_certificate(ctx, leaf) != 1) {
      X509_free(leaf);
      fail(what + " cert");
    }
    X509_free(leaf);
    while (X509* ca = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) {
      if (SSL_CTX_add0_chain_cert(ctx, ca) != 1) {
        X509_free(ca);
        fail(what + " cert chain");
      }
    }
    ERR_clear_error();  // the end of the PEM text reads as an error
  } else {
    throw tls_error(what + ": no certificate (certfile or cert)");
  }
  if (!cert.keyfile.empty()) {
    if (SSL_CTX_use_PrivateKey_file(ctx, cert.keyfile.c_str(), SSL_FILETYPE_PEM) != 1)
      fail(what + " keyfile " + cert.keyfile);
  } else if (!cert.key.empty()) {
    auto bio = memory_bio(cert.key);
    EVP_PKEY* key = PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr);
    if (!key || SSL_CTX_use_PrivateKey(ctx, key) != 1) {
      EVP_PKEY_free(key);
      fail(what + " key");
    }
    EVP_PKEY_free(key);
  } else {
    throw tls_error(what + ": no private key (keyfile or key)");
  }
  if (SSL_CTX_check_private_key(ctx) != 1) fail(what + ": the key does not match the certificate");
}

void use_client_cas(SSL_CTX* ctx, const tls_options& o) {
  if (!o.cacertfile.empty()) {
    if (SSL_CTX_load_verify_locations(ctx, o.cacertfile.c_str(), nullptr) != 1)
      fail("cacertfile " + o.cacertfile);
    // Tells clients which CAs are accepted, so they pick the right certificate.
    if (STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(o.cacertfile.c_str()))
      SSL_CTX_set_client_CA_list(ctx, names);
  }
  if (!o.cacerts.empty()) {
    auto bio = memory_bio(o.cacerts);
    X509_STORE* store = SSL_CTX_get_cert_store(ctx);
    int n = 0;
    while (X509* ca = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) {
      X509_STORE_add_cert(store, ca);
      SSL_CTX_add_client_CA(ctx, ca);
      X509_free(ca);
      ++n;
    }
    ERR_clear_error();
    if (n == 0) throw tls_error("cacerts: no PEM certificate");
  }
}

bool host_matches(const std::string& pattern, const std::string& name) {
  if (pattern.starts_with("*.")) {
    auto dot = name.find('.');
    return dot != std::string::npos && dot > 0 &&
           name.compare(dot, std::string::npos, pattern, 1) == 0;
  }
  return pattern == name;
}

int select_alpn(SSL*, const unsigned char** out, unsigned char* outlen, const unsigned char* in,
                unsigned int inlen, void* arg) {
  const auto& wire = *static_cast<const std::string*>(arg);
  unsigned char* selected = nullptr;
  // Server order: the first of our protocols that the client offers.
  if (SSL_select_next_proto(&selected, outlen, reinterpret_cast<const unsigned char*>(wire.data()),
                            static_cast<unsigned int>(wire.size()), in,
                            inlen) != OPENSSL_NPN_NEGOTIATED)
    return SSL_TLSEXT_ERR_NOACK;
  *out = selected;
  return SSL_TLSEXT_ERR_OK;
}

int select_host(SSL* ssl, int*, void* arg) {
  const auto* self = static_cast<const tls_context*>(arg);
  if (const char* name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name))
    if (SSL_CTX* ctx = self->find_host(name)) SSL_set_SSL_CTX(ssl, ctx);
  return SSL_TLSEXT_ERR_OK;
}

}  // namespace

tls_context::tls_context(const tls_options& options) : options_(options) {
  for (const auto& p : options.alpn_preferred_protocols) {
    if (p.empty() || p.size() > 255)
      throw tls_error("alpn_preferred_protocols: bad name '" + p + "'");
    alpn_wire_.push_back(static_cast<char>(p.size()));
    alpn_wire_ += p;
  }
  if (options.min_version > options.max_version)
    throw tls_error("min_version is above max_version");
  try {
    default_ = make(options.certificate, "certificate");
    for (const auto& h : options.sni_hosts) {
      if (h.hostname.empty()) throw tls_error("sni_hosts: empty hostname");
      hosts_.push_back({lowercase(h.hostname), nullptr});
      hosts_.back().ctx = make(h.certificate, "sni_hosts " + h.hostname);
    }
  } catch (...) {
    for (auto& h : hosts_) SSL_CTX_free(h.ctx);
    SSL_CTX_free(default_);
    throw;
  }
  if (!hosts_.empty()) {
    SSL_CTX_set_tlsext_servername_callback(default_, select_host);
    SSL_CTX_set_tlsext_servername_arg(default_, this);
  }
}

tls_context::~tls_context() {
  for (auto& h : hosts_) SSL_CTX_free(h.ctx);
  SSL_CTX_free(default_);
}

SSL_CTX* tls_context::find_host(std::string_view hostname) const noexcept {
  auto name = lowercase(hostname);
  for (const auto& h : hosts_)  // exact names first, then wildcards
    if (h.name == name) return h.ctx;
  for (const auto& h : hosts_)
    if (host_matches(h.name, name)) return h.ctx;
  return nullptr;
}

SSL_CTX* tls_context::make(const tls_certificate& cert, const std::string& what) {
  ERR_clear_error();
  SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
  if (!ctx) fail("SSL_CTX_new");
  try {
    SSL_CTX_set_min_proto_version(ctx, version_of(options_.min_version));
    SSL_CTX_set_max_proto_version(ctx, version_of(options_.max_version));
    // HTTP/2 forbids compression and renegotiation (RFC 9113 9.2.1); neither is safe anyway.
    SSL_CTX_set_options(
        ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
    // An idle connection gives its 2 x ~17 KB record buffers back (issue 12: idle memory).
    SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS | SSL_MODE_ENABLE_PARTIAL_WRITE |
                              SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    if (SSL_CTX_set_cipher_list(ctx, options_.ciphers.c_str()) != 1) fail("ciphers");
    if (SSL_CTX_set_ciphersuites(ctx, options_.ciphersuites.c_str()) != 1) fail("ciphersuites");
    static const unsigned char session_id[] = "rodeo";
    SSL_CTX_set_session_id_context(ctx, session_id, sizeof session_id - 1);
    if (!options_.reuse_sessions) {
      SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
      SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
      SSL_CTX_set_num_tickets(ctx, 0);
    }
    use_certificate(ctx, cert, what);
    if (options_.verify == tls_verify::verify_peer) {
      if (options_.cacertfile.empty() && options_.cacerts.empty())
        throw tls_error("verify_peer needs cacertfile or cacerts");
      use_client_cas(ctx, options_);
      int mode = SSL_VERIFY_PEER;
      if (options_.fail_if_no_peer_cert) mode |= SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
      SSL_CTX_set_verify(ctx, mode, nullptr);
    }
    if (!alpn_wire_.empty()) SSL_CTX_set_alpn_select_cb(ctx, select_alpn, &alpn_wire_);
  } catch (...) {
    SSL_CTX_free(ctx);
    throw;
  }
  return ctx;
}

}  // namespace rodeo
