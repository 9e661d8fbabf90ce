#pragma once
// Cowboy's cowboy_decompress_h: request bodies sent with `content-encoding: gzip` (or `deflate`)
// reach the handler decompressed.
//
//   proto.stream_handlers.insert(proto.stream_handlers.begin(), rodeo::decompress_h());
//
// Only a body whose content-encoding is exactly one of those codings is decoded; the handler
// then sees the request without content-encoding and content-length (body_length() unknown),
// and with the coding in request().content_decoded. Anything else passes through untouched.
// A body that inflates to more than `ratio_limit` times its compressed size is answered 413, a
// corrupt or truncated one 400, and the stream stops. Responses advertise the codings in
// `accept-encoding` (RFC 9110 §12.5.3) while the handler is enabled.
#include <cstddef>
#include <memory>
#include <optional>

#include <caf/allowed_unsafe_message_type.hpp>

#include "rodeo/stream_handler.hpp"

namespace rodeo {
namespace decompress {

struct options {
  /// Cowboy's decompress_ratio_limit: inflated bytes allowed per compressed byte, counted over
  /// the whole body so far (a deflate bomb costs at most ratio_limit times what was received).
  size_t ratio_limit = 20;
  /// Cowboy's decompress_enabled: false leaves every request as received.
  bool enabled = true;
};

/// req.cast(caf::make_message(decompress::set_options{...})) before the first read_body changes
/// the options for this request (Cowboy's {set_options, #{decompress_enabled, ...}}). Disabling
/// it then gives the body as received; the request's headers already say it was decoded
/// (content_decoded), so such a handler must look at its `content_decoded` itself.
struct set_options {
  std::optional<size_t> ratio_limit;
  std::optional<bool> enabled;
};

}  // namespace decompress

std::shared_ptr<const stream_handler_factory> decompress_h(decompress::options opts = {});

}  // namespace rodeo

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(rodeo::decompress::set_options)
