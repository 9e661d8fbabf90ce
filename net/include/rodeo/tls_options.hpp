#pragma once
// TLS transport options for start_tls, named as Ranch's ssl options (certfile, keyfile, cacertfile,
// verify, fail_if_no_peer_cert, sni_hosts, alpn_preferred_protocols, ciphers, handshake_timeout).
// Everything has a safe default; only a certificate is required.
#include <chrono>
#include <string>
#include <vector>

namespace rodeo {

/// A certificate chain (PEM, leaf first) and its private key (PEM), from files or from memory.
/// A file wins over the in-memory text when both are given.
struct tls_certificate {
  std::string certfile;
  std::string keyfile;
  std::string cert;
  std::string key;
};

/// A certificate served to clients that ask for `hostname` by SNI. "*.example.com" matches exactly
/// one label ("a.example.com", not "example.com" nor "a.b.example.com"); names compare
/// case-insensitively.
struct tls_sni_host {
  std::string hostname;
  tls_certificate certificate;
};

enum class tls_verify {
  verify_none,  // no client certificate is asked for
  verify_peer,  // a client certificate is asked for and, when sent, must chain to the CAs
};

enum class tls_version { tls1_2, tls1_3 };

struct tls_options {
  /// Served when the client sends no SNI or a name no sni_hosts entry matches.
  tls_certificate certificate;
  std::vector<tls_sni_host> sni_hosts;
  /// ALPN, in the server's order of preference. When the client offers none of these the
  /// handshake goes on without ALPN and the protocol option alpn_default_protocol decides.
  std::vector<std::string> alpn_preferred_protocols{"h2", "http/1.1"};
  tls_verify verify = tls_verify::verify_none;
  /// With verify_peer: refuse the handshake when the client sends no certificate.
  bool fail_if_no_peer_cert = false;
  /// The CAs client certificates must chain to (PEM file, or PEM text in cacerts).
  std::string cacertfile;
  std::string cacerts;
  /// TLS 1.2 cipher list (OpenSSL syntax): ECDHE with AES-GCM or ChaCha20-Poly1305 only, which is
  /// also every TLS 1.2 suite HTTP/2 accepts (RFC 9113 appendix A lists the others as forbidden).
  std::string ciphers =
      "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"
      "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";
  /// TLS 1.3 suites (OpenSSL's default set).
  std::string ciphersuites =
      "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256";
  /// Versions outside [min_version, max_version] are refused; nothing older than TLS 1.2 exists.
  tls_version min_version = tls_version::tls1_2;
  tls_version max_version = tls_version::tls1_3;
  /// Session resumption (tickets and the server-side cache).
  bool reuse_sessions = true;
  /// A connection that has not finished its handshake by then is closed.
  std::chrono::milliseconds handshake_timeout{5000};
};

}  // namespace rodeo
