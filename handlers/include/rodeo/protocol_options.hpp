#pragma once
// Cowboy's protocol options (the ProtoOpts map of cowboy:start_clear/3), with Cowboy's defaults.
#include <chrono>
#include <cstddef>
#include <memory>
#include <vector>

#include "rodeo/http1_parser.hpp"
#include "rodeo/http2_options.hpp"
#include "rodeo/middleware.hpp"
#include "rodeo/stream_handler.hpp"

namespace rodeo {

/// The HTTP versions of Cowboy's `protocols` option.
enum class http_protocol { http, http2 };

struct protocol_options {
  static constexpr http1::limits parser_defaults{};

  /// The initial env: set env.dispatch to the compiled routes.
  rodeo::env env;
  /// Default: { router_middleware(), handler_middleware() }.
  std::vector<std::shared_ptr<const middleware>> middlewares;
  /// Default: { stream_h() }. Put compress_h() first for gzip.
  std::vector<std::shared_ptr<const stream_handler_factory>> stream_handlers;

  // Request parsing limits; exceeding one is answered with the status shown, then the connection
  // closes. Their defaults (Cowboy's) are the parser's own, given in the comments.
  size_t max_method_length = parser_defaults.max_method_length;              // 32: 501
  size_t max_request_line_length = parser_defaults.max_request_line_length;  // 8000: 414
  size_t max_header_name_length = parser_defaults.max_header_name_length;    // 64: 431
  size_t max_header_value_length = parser_defaults.max_header_value_length;  // 4096: 431
  size_t max_headers = parser_defaults.max_headers;  // 100: 431 (also bounds chunked trailers)
  /// The bytes of chunk extensions after a chunk size (skipped, not kept); 400 beyond.
  size_t max_chunk_extension_length = parser_defaults.max_chunk_extension_length;  // 129
  /// Requests served on one connection before it closes.
  size_t max_keepalive = 1000;
  /// A request body not read by the handler is skipped (to reach the next request) up to this
  /// size; a larger one closes the connection after the response.
  size_t max_skip_body_length = 1000000;
  /// Request body bytes buffered for a stream before its handler asked for them.
  size_t initial_stream_flow_size = 65535;
  /// Whether HTTP/1.0 clients that ask for keep-alive get it.
  bool http10_keepalive = true;

  /// Waiting for a request (head) to arrive: 408 when part of it came, silent close otherwise.
  std::chrono::milliseconds request_timeout{5000};
  /// No data received or sent for this long closes the connection.
  std::chrono::milliseconds idle_timeout{60000};
  /// After answering and shutting down the write side, how long to drain the client's data
  /// before closing (so the answer is not lost to a TCP reset).
  std::chrono::milliseconds linger_timeout{1000};
  /// Ranch's send_timeout: output that makes no progress for this long (the client does not
  /// read) closes the connection, as Ranch's default send_timeout_close does. Zero: no limit.
  std::chrono::milliseconds send_timeout{30000};
  /// A request body from which no byte arrives for this long, while the connection is reading
  /// it, is answered 408 (or cut, once the response started) and the connection closes. Zero: no
  /// limit. Cowboy's read_body timeout (period 15 s + 1 s).
  std::chrono::milliseconds body_timeout{16000};

  /// Cowboy's `protocols`: the HTTP versions accepted. A clear listener with both serves
  /// HTTP/1.1 and goes to HTTP/2 on the connection preface (prior knowledge) or `Upgrade: h2c`;
  /// with only http2 every connection is HTTP/2; a TLS listener offers h2 by ALPN only when
  /// http2 is here.
  std::vector<http_protocol> protocols{http_protocol::http2, http_protocol::http};
  /// HTTP/2's own options (Cowboy's names and defaults: rodeo/http2_options.hpp).
  http2_options http2;

  bool accepts(http_protocol p) const {
    for (auto x : protocols)
      if (x == p) return true;
    return false;
  }

  protocol_options();
};

}  // namespace rodeo
