#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "rodeo/ws_handshake.hpp"

using namespace rodeo::ws;

namespace {

// The client handshake of RFC 6455 §1.2.
std::vector<header> rfc_request() {
  return {{"Host", "server.example.com"},   {"Upgrade", "websocket"},
          {"Connection", "Upgrade"},        {"Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="},
          {"Origin", "http://example.com"}, {"Sec-WebSocket-Protocol", "chat, superchat"},
          {"Sec-WebSocket-Version", "13"}};
}

upgrade_status status_of(const std::vector<header>& headers, std::string_view method = "GET",
                         int major = 1, int minor = 1) {
  return check_upgrade(method, major, minor, headers).status;
}

std::vector<header> without(std::vector<header> headers, std::string_view name) {
  std::erase_if(headers, [&](const header& h) { return h.first == name; });
  return headers;
}

std::vector<header> with(std::vector<header> headers, std::string_view name,
                         std::string_view value) {
  headers = without(std::move(headers), name);
  headers.emplace_back(name, value);
  return headers;
}

}  // namespace

TEST_CASE(
    "handshake: RFC 6455 §1.3 the key dGhlIHNhbXBsZSBub25jZQ== is accepted as "
    "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=") {
  CHECK(accept_key("dGhlIHNhbXBsZSBub25jZQ==") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
}

TEST_CASE("handshake: the RFC 6455 §1.2 request is a valid upgrade") {
  auto headers = rfc_request();
  auto check = check_upgrade("GET", 1, 1, headers);
  CHECK(check.status == upgrade_status::ok);
  CHECK(check.key == "dGhlIHNhbXBsZSBub25jZQ==");
  CHECK(is_upgrade_request(headers));
}

TEST_CASE("handshake: header names and the upgrade/connection tokens are case-insensitive lists") {
  std::vector<header> headers = {{"host", "h"},
                                 {"UPGRADE", "WebSocket"},
                                 {"connection", "keep-alive, Upgrade"},
                                 {"sec-websocket-key", " dGhlIHNhbXBsZSBub25jZQ== "},
                                 {"SEC-WEBSOCKET-VERSION", "13"}};
  auto check = check_upgrade("GET", 1, 1, headers);
  CHECK(check.status == upgrade_status::ok);
  CHECK(check.key == "dGhlIHNhbXBsZSBub25jZQ==");
  CHECK(status_of(with(headers, "UPGRADE", "h2c, websocket")) == upgrade_status::ok);
  CHECK(status_of(with(headers, "connection", "Upgrade,keep-alive")) == upgrade_status::ok);
  // Tokens must match whole, not as substrings.
  CHECK(status_of(with(headers, "connection", "keep-alive, upgraded")) ==
        upgrade_status::bad_request);
  CHECK(status_of(with(headers, "UPGRADE", "websockets")) == upgrade_status::bad_request);
}

TEST_CASE("handshake: a method other than GET or a version below HTTP/1.1 is a bad request") {
  auto headers = rfc_request();
  CHECK(status_of(headers, "POST") == upgrade_status::bad_request);
  CHECK(status_of(headers, "get") == upgrade_status::bad_request);
  CHECK(status_of(headers, "GET", 1, 0) == upgrade_status::bad_request);
  CHECK(status_of(headers, "GET", 2, 0) == upgrade_status::bad_request);
}

TEST_CASE("handshake: a missing host, upgrade or connection header is a bad request") {
  auto headers = rfc_request();
  CHECK(status_of(without(headers, "Host")) == upgrade_status::bad_request);
  CHECK(status_of(without(headers, "Upgrade")) == upgrade_status::bad_request);
  CHECK_FALSE(is_upgrade_request(without(headers, "Upgrade")));
  CHECK(status_of(without(headers, "Connection")) == upgrade_status::bad_request);
  CHECK(status_of(with(headers, "Connection", "keep-alive")) == upgrade_status::bad_request);
}

TEST_CASE("handshake: a version other than 13 requires an upgrade (426)") {
  auto headers = rfc_request();
  CHECK(status_of(with(headers, "Sec-WebSocket-Version", "8")) == upgrade_status::upgrade_required);
  CHECK(status_of(with(headers, "Sec-WebSocket-Version", "13, 8")) ==
        upgrade_status::upgrade_required);
  CHECK(status_of(without(headers, "Sec-WebSocket-Version")) == upgrade_status::upgrade_required);
  auto twice = headers;
  twice.emplace_back("sec-websocket-version", "13");
  CHECK(status_of(twice) == upgrade_status::upgrade_required);
  CHECK_FALSE(check_upgrade("GET", 1, 1, twice).reason.empty());
}

TEST_CASE("handshake: a sec-websocket-key that is not base64 for 16 bytes is a bad request") {
  auto headers = rfc_request();
  for (const char* key :
       {"", "dGhlIHNhbXBsZSBub25jZQ=", "dGhlIHNhbXBsZSBub25jZQ===", "dGhlIHNhbXBsZSBub25jZQAA",
        "dGhlIHNhbXBsZSBub25j!Q==", "dGhlIHNhbXBsZSBub25jZWVl", "AAAAAAAAAAAAAAAAAAAAAAA="}) {
    INFO(key);
    CHECK(status_of(with(headers, "Sec-WebSocket-Key", key)) == upgrade_status::bad_request);
  }
  CHECK(status_of(without(headers, "Sec-WebSocket-Key")) == upgrade_status::bad_request);
  auto twice = headers;
  twice.emplace_back("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==");
  CHECK(status_of(twice) == upgrade_status::bad_request);
}

TEST_CASE("handshake: subprotocols are read from every sec-websocket-protocol header in order") {
  auto headers = rfc_request();
  headers.emplace_back("sec-websocket-protocol", " , v2.chat,,");
  std::vector<std::string_view> protocols;
  REQUIRE(parse_protocols(headers, protocols));
  CHECK(protocols == std::vector<std::string_view>{"chat", "superchat", "v2.chat"});
  std::vector<std::string_view> none;
  CHECK(parse_protocols(without(headers, "Sec-WebSocket-Protocol"), none));
  std::vector<header> bad = {{"Sec-WebSocket-Protocol", "chat superchat"}};
  std::vector<std::string_view> out;
  CHECK_FALSE(parse_protocols(bad, out));
}

TEST_CASE("handshake: header_values returns every line of a header") {
  std::vector<header> headers = {
      {"Sec-WebSocket-Extensions", "a"}, {"Other", "x"}, {"sec-websocket-extensions", "b; c"}};
  CHECK(header_values(headers, "sec-websocket-extensions") ==
        std::vector<std::string_view>{"a", "b; c"});
}
