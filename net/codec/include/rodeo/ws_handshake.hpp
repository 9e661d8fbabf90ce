#pragma once
// The WebSocket opening handshake, server side (RFC 6455 §4.2): validate the client's upgrade
// request and compute the pieces of the 101 answer (the protocol writes the 101 itself). Pure code
// over a list of header name/value pairs (names compared case-insensitively; a header may appear
// several times).
//
//   using namespace rodeo::ws;
//   auto check = check_upgrade(method, 1, 1, headers);
//   switch (check.status) {
//     case upgrade_status::ok: {
//       auto exts = header_values(headers, "sec-websocket-extensions");
//       auto pmd = negotiate_deflate(exts, deflate_opts);              // ws_deflate.hpp
//       // 101 with sec-websocket-accept: accept_key(check.key), the protocol, pmd->response
//       break;
//     }
//     case upgrade_status::bad_request: /* 400 */ break;
//     case upgrade_status::upgrade_required: /* 426 with "sec-websocket-version: 13" */ break;
//   }
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace rodeo::ws {

using header = std::pair<std::string_view, std::string_view>;
using header_list = std::span<const header>;

enum class upgrade_status {
  ok,
  bad_request,       // 400: not a well-formed WebSocket upgrade
  upgrade_required,  // 426: a version other than 13; answer with "sec-websocket-version: 13"
};

struct upgrade_check {
  upgrade_status status = upgrade_status::bad_request;
  /// The client's sec-websocket-key when status is ok (for accept_key()).
  std::string_view key;
  /// Why the request was refused (for logs and the error body).
  std::string_view reason;
};

/// Validates an upgrade request: method GET, HTTP/1.1 or later 1.x, a host header, `upgrade`
/// listing "websocket" and `connection` listing "upgrade" (token lists, case-insensitive),
/// exactly one `sec-websocket-version` equal to 13 (else 426), and exactly one
/// `sec-websocket-key` that is base64 for 16 bytes.
upgrade_check check_upgrade(std::string_view method, int http_major, int http_minor,
                            header_list headers);

/// True if the request asks for a WebSocket upgrade at all (`upgrade` lists "websocket"), so a
/// router can tell a WebSocket request from a plain GET on the same path.
bool is_upgrade_request(header_list headers);

/// sec-websocket-accept for a sec-websocket-key: base64(SHA-1(key + GUID)) (RFC 6455 §4.2.2).
std::string accept_key(std::string_view key);

/// All values of a header, in order (e.g. every sec-websocket-extensions line).
std::vector<std::string_view> header_values(header_list headers, std::string_view name);

/// The subprotocols the client offers in every sec-websocket-protocol header, in order
/// (1#token). false if a value is not a token list (answer 400).
bool parse_protocols(header_list headers, std::vector<std::string_view>& out);

}  // namespace rodeo::ws
