#pragma once
// URI helpers (RFC 3986, RFC 9112 §3.2): strict percent-encoding, path segments, authority and
// request-target parsing. Every function accepts arbitrary bytes.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rodeo::uri {

// Percent-decodes like cow_uri:urldecode: `%XX` is decoded and only characters allowed unencoded
// in a path segment (unreserved, sub-delims, ':' and '@') may appear as themselves. `+` stays
// `+`. Returns nullopt on a bad escape or a byte that should have been encoded.
std::optional<std::string> percent_decode(std::string_view in);
// Appends the decoded form of `in` to `out`; false (out unspecified) on invalid input.
bool percent_decode_to(std::string_view in, std::string& out);
// Encodes every byte that is not allowed unencoded in a path segment, as uppercase `%XX`.
std::string percent_encode(std::string_view in);
void percent_encode_to(std::string_view in, std::string& out);

// RFC 3986 §5.2.4 on decoded segments: "." is dropped, ".." drops the previous segment.
void remove_dot_segments(std::vector<std::string>& segments);

// Splits an absolute path like Cowboy's router: "/" -> [], "/a/" -> ["a"], "/a//b" -> ["a", "",
// "b"]; each segment percent-decoded (a decoded '/' stays inside its segment), then dot segments
// removed. nullopt when the path does not start with '/' or a segment is badly encoded.
std::optional<std::vector<std::string>> split_path(std::string_view path);

// Whether a byte may appear in a path or query as itself (pchar without '%', plus '/' and '?').
bool is_pchar(char c);

struct authority {
  std::string_view host;  // as received: reg-name, IPv4 or "[IPv6]" (brackets kept)
  std::optional<std::uint16_t> port;
};
// host [":" port] (no userinfo, as HTTP forbids it). The port, when present, is 0-65535; an
// empty port ("example.org:") means none. Host may be empty only when allow_empty_host.
std::optional<authority> parse_authority(std::string_view in, bool allow_empty_host = false);

enum class target_form { origin, absolute, authority, asterisk };

struct request_target {
  target_form form = target_form::origin;
  std::string_view scheme;     // absolute-form, as received
  std::string_view authority;  // absolute- and authority-form
  std::string_view host;
  std::optional<std::uint16_t> port;
  std::string_view path;   // "/..." for origin/absolute ("/" when absolute has none), "*", or empty
  std::string_view query;  // without '?'
  bool has_query = false;
};

// Validates and splits a request-target (RFC 9112 §3.2). CONNECT takes authority-form only;
// "*" is accepted for OPTIONS only. Path and query may hold any visible ASCII but '#' (browsers
// send '[', '|', '{'... unencoded in queries); controls, spaces, non-ASCII bytes and fragments
// are rejected. Percent-escapes are checked later, by whoever decodes (router, query string).
std::optional<request_target> parse_request_target(std::string_view method,
                                                   std::string_view target);

// The parts of an absolute URI for compose(); nullopt is Cowboy's `undefined` (left out).
struct parts {
  std::optional<std::string_view> scheme;
  std::optional<std::string_view> host;
  std::optional<std::uint16_t> port;
  std::optional<std::string_view> path;
  std::optional<std::string_view> qs;
  std::optional<std::string_view> fragment;
  // The request's own scheme: decides the default port when `scheme` is left out.
  std::string_view request_scheme;
};

// cowboy_req:uri/2's recomposition: [scheme ":"] ["//" host [":" port]] path ["?" qs]
// ["#" fragment]. No host (or an empty one) drops scheme and port too; the port is dropped when
// it is the default of the scheme (80 for http, 443 for https; the request's scheme when none is
// given); a path "*" (OPTIONS *) writes neither path nor query; empty qs and fragment add no '?'
// or '#'. Parts are written as given (already percent-encoded).
std::string compose(const parts& p);

}  // namespace rodeo::uri
