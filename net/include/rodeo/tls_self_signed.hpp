#pragma once
// A self-signed certificate made at start, for demos and tests (never for production).
#include <string>
#include <vector>

#include "rodeo/tls_options.hpp"

namespace rodeo {

/// A new ECDSA P-256 key and a certificate signed by it (SHA-256, valid 1 year) for the given DNS
/// names and IP literals (subjectAltName; the first is also the CN), as PEM text in
/// tls_certificate::cert and ::key. Throws tls_error (rodeo/tls_context.hpp) if OpenSSL fails.
tls_certificate make_self_signed_certificate(const std::vector<std::string>& names);

}  // namespace rodeo
