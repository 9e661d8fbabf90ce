// The WebSocket upgrade checks and permessage-deflate negotiation on arbitrary header lists:
// an accepted offer's response must itself parse as a valid client-side answer.
#include <string>
#include <vector>

#include "fuzz.hpp"
#include "rodeo/ws_deflate.hpp"
#include "rodeo/ws_handshake.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace ws = rodeo::ws;
  FuzzedDataProvider in{data, size};
  static const char* names[] = {"host",
                                "upgrade",
                                "connection",
                                "sec-websocket-version",
                                "sec-websocket-key",
                                "sec-websocket-extensions",
                                "sec-websocket-protocol"};
  std::vector<std::string> storage;
  storage.reserve(16);
  std::vector<ws::header> headers;
  while (in.remaining_bytes() > 0 && headers.size() < 16) {
    const char* name = names[in.ConsumeIntegralInRange<size_t>(0, 6)];
    storage.push_back(in.ConsumeRandomLengthString(96));
    headers.emplace_back(name, storage.back());
  }
  auto check = ws::check_upgrade("GET", 1, 1, headers);
  if (check.status == ws::upgrade_status::ok) FUZZ_CHECK(ws::accept_key(check.key).size() == 28);
  (void)ws::is_upgrade_request(headers);
  std::vector<std::string_view> protocols;
  (void)ws::parse_protocols(headers, protocols);
  auto offers = ws::header_values(headers, "sec-websocket-extensions");
  ws::deflate_options opts;
  opts.client_max_window_bits = 12;
  if (auto n = ws::negotiate_deflate(offers, opts)) {
    auto back = ws::parse_deflate_response(n->response);
    // The client parser accepts answers to an offer with client_max_window_bits.
    if (back) FUZZ_CHECK(back->server_max_window_bits == n->params.server_max_window_bits);
  }
  for (auto& v : offers) (void)ws::parse_deflate_response(v);
  return 0;
}
