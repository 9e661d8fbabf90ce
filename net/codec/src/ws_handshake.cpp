#include "rodeo/ws_handshake.hpp"

#include <openssl/evp.h>
#include <openssl/sha.h>

#include "rodeo/ascii.hpp"

namespace rodeo::ws {
namespace {

constexpr std::string_view websocket_guid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

using ascii::iequals;
using ascii::is_tchar;

bool is_ows(char c) {
  return c == ' ' || c == '\t';
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_ows(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_ows(s.back())) s.remove_suffix(1);
  return s;
}

// Splits a #rule list (RFC 9110 §5.6.1) and calls f on each non-empty element, trimmed. Stops
// and returns false as soon as f does.
template <class F>
bool for_each_element(std::string_view list, F&& f) {
  while (true) {
    auto comma = list.find(',');
    auto element = trim(list.substr(0, comma));
    if (!element.empty() && !f(element)) return false;
    if (comma == std::string_view::npos) return true;
    list.remove_prefix(comma + 1);
  }
}

bool is_token(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (!is_tchar(c)) return false;
  return true;
}

// True if any `name` header lists `token` (case-insensitive). An element may carry more than a
// token (`upgrade: websocket/13`); only exact token matches count.
bool lists_token(header_list headers, std::string_view name, std::string_view token) {
  for (const auto& [n, v] : headers) {
    if (!iequals(n, name)) continue;
    bool found = false;
    for_each_element(v, [&](std::string_view e) {
      found = iequals(e, token);
      return !found;
    });
    if (found) return true;
  }
  return false;
}

// The only value of a header that must appear exactly once; false if absent or repeated.
bool single_value(header_list headers, std::string_view name, std::string_view& out) {
  int count = 0;
  for (const auto& [n, v] : headers)
    if (iequals(n, name)) {
      out = v;
      ++count;
    }
  return count == 1;
}

int base64_value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

// base64 of exactly 16 bytes: 22 alphabet characters then "==" (RFC 6455 §4.1 item 7).
bool is_websocket_key(std::string_view key) {
  if (key.size() != 24 || key.substr(22) != "==") return false;
  for (size_t i = 0; i < 22; ++i)
    if (base64_value(key[i]) < 0) return false;
  return true;
}

upgrade_check refuse(upgrade_status status, std::string_view why) {
  return {status, {}, why};
}

}  // namespace

bool is_upgrade_request(header_list headers) {
  return lists_token(headers, "upgrade", "websocket");
}

upgrade_check check_upgrade(std::string_view method, int http_major, int http_minor,
                            header_list headers) {
  using enum upgrade_status;
  if (method != "GET") return refuse(bad_request, "the method of a WebSocket upgrade must be GET");
  if (http_major != 1 || http_minor < 1)
    return refuse(bad_request, "a WebSocket upgrade needs HTTP/1.1");
  std::string_view value;
  if (!single_value(headers, "host", value)) return refuse(bad_request, "missing host header");
  if (!is_upgrade_request(headers))
    return refuse(bad_request, "the upgrade header does not list websocket");
  if (!lists_token(headers, "connection", "upgrade"))
    return refuse(bad_request, "the connection header does not list upgrade");
  if (!single_value(headers, "sec-websocket-version", value) || trim(value) != "13")
    return refuse(upgrade_required, "unsupported sec-websocket-version (only 13)");
  if (!single_value(headers, "sec-websocket-key", value) || !is_websocket_key(trim(value)))
    return refuse(bad_request, "sec-websocket-key must be one base64-encoded 16-byte value");
  return {ok, trim(value), {}};
}

std::string accept_key(std::string_view key) {
  std::string input;
  input.reserve(key.size() + websocket_guid.size());
  input.append(key).append(websocket_guid);
  unsigned char digest[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(input.data()), input.size(), digest);
  unsigned char encoded[4 * ((SHA_DIGEST_LENGTH + 2) / 3) + 1];  // EVP_EncodeBlock adds a NUL
  int n = EVP_EncodeBlock(encoded, digest, SHA_DIGEST_LENGTH);
  return std::string(reinterpret_cast<const char*>(encoded), static_cast<size_t>(n));
}

std::vector<std::string_view> header_values(header_list headers, std::string_view name) {
  std::vector<std::string_view> out;
  for (const auto& [n, v] : headers)
    if (iequals(n, name)) out.push_back(v);
  return out;
}

bool parse_protocols(header_list headers, std::vector<std::string_view>& out) {
  for (const auto& [n, v] : headers) {
    if (!iequals(n, "sec-websocket-protocol")) continue;
    bool ok = for_each_element(v, [&](std::string_view e) {
      if (!is_token(e)) return false;
      out.push_back(e);
      return true;
    });
    if (!ok) return false;
  }
  return true;
}

}  // namespace rodeo::ws
