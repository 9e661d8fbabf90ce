#pragma once
// Header field parsing as cowlib's cow_http_hd does it (RFC 9110, 9112, 6455, 7692, 7617, 6750).
// Each parser takes the field value (after the colon, OWS trimmed or not) and returns nullopt
// when it is invalid. Names and case-insensitive tokens come back lowercase.

#include <cstdint>
#include <ctime>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rodeo::http_header {

// A valid field name is a token (rodeo/ascii.hpp has tchar and token).
bool is_valid_name(std::string_view name);
// A valid field value has no NUL, CR or LF (so no obs-fold), and no leading/trailing SP/HTAB.
bool is_valid_value(std::string_view value);
std::string_view trim_ows(std::string_view s);

struct param {
  std::string name;  // lowercase
  std::string value;
  friend bool operator==(const param&, const param&) = default;
};
using params = std::vector<param>;

// content-type: type "/" subtype *(";" parameter); type, subtype, parameter names and the
// charset value lowercase; quoted-string values unescaped.
struct media_type {
  std::string type;
  std::string subtype;
  rodeo::http_header::params params;
  const std::string* param(std::string_view name) const;
};
std::optional<media_type> parse_content_type(std::string_view value);

// accept: media ranges with their parameters, q (0-1000) and accept-ext parameters after q,
// sorted by q, highest first (stable). An empty field is an empty list.
struct media_range {
  std::string type;
  std::string subtype;
  rodeo::http_header::params params;
  int quality = 1000;
  rodeo::http_header::params ext;
};
std::optional<std::vector<media_range>> parse_accept(std::string_view value);

// accept-charset / accept-encoding / accept-language: lowercase values with q (0-1000), in
// received order. accept-charset and accept-language need at least one element; accept-encoding
// may be empty.
struct quality_item {
  std::string value;
  int quality = 1000;
  friend bool operator==(const quality_item&, const quality_item&) = default;
};
std::optional<std::vector<quality_item>> parse_accept_charset(std::string_view value);
std::optional<std::vector<quality_item>> parse_accept_encoding(std::string_view value);
std::optional<std::vector<quality_item>> parse_accept_language(std::string_view value);

// content-length: 1*DIGIT and nothing else (no sign, no blanks inside, no list).
std::optional<std::uint64_t> parse_content_length(std::string_view value);

// Lowercase token lists: connection and transfer-encoding need one element at least.
std::optional<std::vector<std::string>> parse_connection(std::string_view value);
std::optional<std::vector<std::string>> parse_transfer_encoding(std::string_view value);
// upgrade: protocol ["/" version], lowercased; one element at least.
std::optional<std::vector<std::string>> parse_upgrade(std::string_view value);
// te: "trailers" plus transfer-codings with q; may be empty.
struct te {
  bool trailers = false;
  std::vector<quality_item> codings;
};
std::optional<te> parse_te(std::string_view value);
// expect: true for "100-continue" (any case); nullopt for anything else.
std::optional<bool> parse_expect(std::string_view value);

// if-match / if-none-match: "*" or a list of entity tags (RFC 9110 §8.8.3).
struct etag {
  bool weak = false;
  std::string opaque;  // between the quotes
  friend bool operator==(const etag&, const etag&) = default;
};
struct etag_list {
  bool any = false;  // "*"
  std::vector<etag> tags;
};
std::optional<etag_list> parse_if_match(std::string_view value);
std::optional<etag_list> parse_if_none_match(std::string_view value);
std::optional<etag> parse_etag(std::string_view value);

// if-modified-since / if-unmodified-since / date / last-modified: any HTTP-date form.
std::optional<std::time_t> parse_date(std::string_view value);

// range: "bytes=" ranges (first-last, first-, -suffix) or another unit kept raw.
struct byte_range {
  std::optional<std::uint64_t> first;  // unset: a suffix range of `last` bytes
  std::optional<std::uint64_t> last;   // unset: to the end
  friend bool operator==(const byte_range&, const byte_range&) = default;
};
struct range {
  std::string unit;                // lowercase
  std::vector<byte_range> ranges;  // for "bytes"
  std::string other;               // the raw ranges of any other unit
};
std::optional<range> parse_range(std::string_view value);

// authorization: Basic (decoded user and password), Bearer (token68), or any other scheme with
// its raw credentials.
struct authorization {
  std::string scheme;  // lowercase
  std::string username;
  std::string password;
  std::string token;  // bearer token, or the raw credentials of another scheme
};
std::optional<authorization> parse_authorization(std::string_view value);

// sec-websocket-key: base64 of exactly 16 bytes; returns the key itself.
std::optional<std::string_view> parse_sec_websocket_key(std::string_view value);
// sec-websocket-version: an integer 0-255.
std::optional<int> parse_sec_websocket_version(std::string_view value);
// sec-websocket-protocol: tokens, case kept; one at least.
std::optional<std::vector<std::string>> parse_sec_websocket_protocol(std::string_view value);
// sec-websocket-extensions: extensions with parameters (a parameter may have no value). Case
// kept; quoted-string values unescaped.
struct extension_param {
  std::string name;
  std::optional<std::string> value;
  friend bool operator==(const extension_param&, const extension_param&) = default;
};
struct extension {
  std::string name;
  std::vector<extension_param> params;
};
std::optional<std::vector<extension>> parse_sec_websocket_extensions(std::string_view value);

// host: uri-host [":" port], host lowercased; IPv6 literals keep their brackets. An empty host
// is allowed (RFC 9112 §3.2).
struct host {
  std::string name;
  std::optional<std::uint16_t> port;
};
std::optional<host> parse_host(std::string_view value);

// Base64 (RFC 4648, padded) decoding for Basic credentials and WebSocket keys.
std::optional<std::string> base64_decode(std::string_view in);
std::string base64_encode(std::string_view in);

// HTTP2-Settings (RFC 7540 3.2.1, cow_http_hd:parse_http2_settings): base64url without padding
// of a SETTINGS payload (a multiple of 6 bytes); returns the payload.
std::optional<std::string> parse_http2_settings(std::string_view value);

}  // namespace rodeo::http_header
