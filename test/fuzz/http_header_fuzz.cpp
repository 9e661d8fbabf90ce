// Every header parser on arbitrary values; base64 and content-length round-trip.
#include <string>

#include "fuzz.hpp"
#include "rodeo/http_header.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace h = rodeo::http_header;
  std::string_view v{reinterpret_cast<const char*>(data), size};
  (void)h::parse_content_type(v);
  (void)h::parse_accept(v);
  (void)h::parse_accept_charset(v);
  (void)h::parse_accept_encoding(v);
  (void)h::parse_accept_language(v);
  (void)h::parse_connection(v);
  (void)h::parse_transfer_encoding(v);
  (void)h::parse_upgrade(v);
  (void)h::parse_te(v);
  (void)h::parse_expect(v);
  (void)h::parse_if_match(v);
  (void)h::parse_if_none_match(v);
  (void)h::parse_etag(v);
  (void)h::parse_date(v);
  (void)h::parse_range(v);
  (void)h::parse_authorization(v);
  (void)h::parse_sec_websocket_key(v);
  (void)h::parse_sec_websocket_version(v);
  (void)h::parse_sec_websocket_protocol(v);
  (void)h::parse_sec_websocket_extensions(v);
  (void)h::parse_host(v);
  if (auto n = h::parse_content_length(v))
    FUZZ_CHECK(h::parse_content_length(std::to_string(*n)) == n);
  auto encoded = h::base64_encode(v);
  FUZZ_CHECK(h::base64_decode(encoded) == std::string{v});
  if (auto decoded = h::base64_decode(v))
    FUZZ_CHECK(h::base64_decode(h::base64_encode(*decoded)) == decoded);
  FUZZ_CHECK(h::trim_ows(v).size() <= v.size());
  return 0;
}
