#pragma once
// Cowboy's HTTP/2 protocol options (cowboy_http2), with Cowboy's defaults unless noted. The
// connection machine (rodeo/http2_machine.hpp) enforces the limits; the timeouts are kept by the
// connection that drives it.
#include <chrono>
#include <cstddef>
#include <cstdint>

namespace rodeo {

/// At most `count` events per `period`; one more is a flood.
struct http2_rate {
  uint32_t count;
  std::chrono::milliseconds period;
};

struct http2_options {
  /// Streams open at once; more are refused with REFUSED_STREAM. (Cowboy: infinity; issue 12: 100.)
  uint32_t max_concurrent_streams = 100;
  /// The receive windows announced at start; they reopen as the application consumes the body.
  uint32_t initial_connection_window_size = 65535;
  uint32_t initial_stream_window_size = 65535;
  /// SETTINGS_MAX_FRAME_SIZE announced (16384 to 16777215).
  uint32_t max_frame_size_received = 16384;
  /// HPACK: the decoder's table size announced (SETTINGS_HEADER_TABLE_SIZE), and the most our
  /// encoder uses whatever the peer allows.
  uint32_t max_decode_table_size = 4096;
  uint32_t max_encode_table_size = 4096;
  /// Header fields in one request (Cowboy's max_headers); more: 431.
  size_t max_headers = 100;
  /// The decoded size of a request's header list (RFC 9113 6.5.2 counting: name + value + 32),
  /// announced as SETTINGS_MAX_HEADER_LIST_SIZE; larger: 431. Guards against HPACK bombs, where a
  /// small block decodes to a huge list. (Not a Cowboy option; nghttpx's default.)
  size_t max_header_list_size = 65536;
  /// :authority (and host) longer than this: 400.
  size_t max_authority_length = 255;
  /// The encoded size of one header block over HEADERS + CONTINUATION frames; larger: GOAWAY
  /// ENHANCE_YOUR_CALM (CONTINUATION flood).
  size_t max_fragmented_header_block_size = 32768;
  /// Streams we reset because of the peer's errors; more: GOAWAY ENHANCE_YOUR_CALM.
  http2_rate max_reset_stream_rate{10, std::chrono::milliseconds{10000}};
  /// Streams the peer cancels with RST_STREAM (rapid reset, CVE-2023-44487); more: GOAWAY
  /// ENHANCE_YOUR_CALM.
  http2_rate max_cancel_stream_rate{500, std::chrono::milliseconds{10000}};
  /// Every frame received counts (PING, SETTINGS, empty DATA... floods); more: GOAWAY
  /// ENHANCE_YOUR_CALM.
  http2_rate max_received_frame_rate{10000, std::chrono::milliseconds{10000}};
  /// RFC 8441: SETTINGS_ENABLE_CONNECT_PROTOCOL, extended CONNECT with :protocol.
  bool enable_connect_protocol = false;
  /// Response bytes queued and not yet sent, per stream and in total: above them stream_body
  /// acks are withheld (a slow reader cannot grow the server).
  size_t max_stream_buffer_size = 8000000;
  size_t max_connection_buffer_size = 16000000;
  /// Kept by the connection: the client's preface, the ack of our SETTINGS, no stream for this
  /// long, and the two GOAWAY steps of a graceful shutdown.
  std::chrono::milliseconds preface_timeout{5000};
  std::chrono::milliseconds settings_timeout{5000};
  std::chrono::milliseconds idle_timeout{60000};
  std::chrono::milliseconds goaway_initial_timeout{1000};
  std::chrono::milliseconds goaway_complete_timeout{3000};
};

}  // namespace rodeo
