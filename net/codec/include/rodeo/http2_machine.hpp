#pragma once
// The server side of one HTTP/2 connection as a state machine without I/O (cowlib's
// cow_http2_machine), on libnghttp2 for framing, HPACK and flow control. Bytes from the socket go
// in through recv(); stream events come out through the events interface; responses go in through
// the submit_* calls; bytes for the socket come out of send(). What nghttp2 does not check, this
// class does: Cowboy's limits and DoS guards (rapid reset, CONTINUATION flood, HPACK bomb, frame
// floods: GOAWAY ENHANCE_YOUR_CALM), :authority/host, and flow control tied to consumption (the
// receive windows reopen only as consume() is called).
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "rodeo/http2_options.hpp"
#include "rodeo/http_message.hpp"

using nghttp2_session = struct nghttp2_session;

namespace rodeo {

/// RFC 9113 section 7 error codes.
enum class http2_error : uint32_t {
  no_error = 0x0,
  protocol_error = 0x1,
  internal_error = 0x2,
  flow_control_error = 0x3,
  settings_timeout = 0x4,
  stream_closed = 0x5,
  frame_size_error = 0x6,
  refused_stream = 0x7,
  cancel = 0x8,
  compression_error = 0x9,
  connect_error = 0xa,
  enhance_your_calm = 0xb,
  inadequate_security = 0xc,
  http_1_1_required = 0xd,
};

/// What the machine tells its connection. Calls happen inside recv() and send().
class http2_events {
 public:
  virtual ~http2_events() = default;
  /// A valid request's headers arrived. `protocol` is :protocol of an extended CONNECT (RFC 8441).
  virtual void on_request(int32_t stream_id, request req, std::string_view protocol) = 0;
  /// A piece of the request body; the last call has fin (possibly with no bytes).
  virtual void on_data(int32_t stream_id, std::string_view data, is_fin fin) = 0;
  /// The request's trailers (the body ends with them).
  virtual void on_trailers(int32_t stream_id, headers trailers) = 0;
  /// The stream is gone: error no_error when both sides finished, else why (the peer's
  /// RST_STREAM code, or the error we reset it with).
  virtual void on_stream_closed(int32_t stream_id, http2_error error) = 0;
};

class http2_machine {
 public:
  /// Queues our SETTINGS (sent by the first send()). The client preface is expected first
  /// unless `upgrade_settings` is given: then the connection comes from an HTTP/1.1 `Upgrade:
  /// h2c` request (its HTTP2-Settings, base64url-decoded), and stream 1 is that request,
  /// half-closed from the client (submit its response on stream 1). `upgrade_head` tells whether
  /// it was a HEAD.
  http2_machine(const http2_options& options, http2_events& events);
  http2_machine(const http2_options& options, http2_events& events,
                std::string_view upgrade_settings, bool upgrade_head);
  ~http2_machine();
  http2_machine(const http2_machine&) = delete;
  http2_machine& operator=(const http2_machine&) = delete;

  /// Feeds bytes received. False on a connection error: GOAWAY is queued (send() it, then
  /// close); error() and error_reason() say what happened.
  bool recv(std::string_view bytes);
  /// Appends every byte ready for the socket to `out`.
  void send(std::string& out);
  /// Nothing more to read or write: close the connection.
  bool want_close() const;

  /// A response's headers; `fin` ends the stream with no body. A HEAD request's response never
  /// has a body: data given for it is dropped. Connection-specific fields (connection,
  /// keep-alive, transfer-encoding, upgrade, proxy-connection) are left out (RFC 9113 8.2.2).
  void submit_response(int32_t stream_id, int status, const headers& hs, is_fin fin);
  /// A 1xx response (cowboy_req:inform/3).
  void submit_inform(int32_t stream_id, int status, const headers& hs);
  /// Queues body bytes after submit_response; `fin` ends the stream.
  void submit_data(int32_t stream_id, std::string_view data, is_fin fin);
  /// Ends the body with trailers.
  void submit_trailers(int32_t stream_id, const headers& trailers);
  void reset_stream(int32_t stream_id, http2_error error);
  /// The application consumed `n` bytes of the stream's body: the windows reopen by that much.
  void consume(int32_t stream_id, size_t n);

  /// Graceful shutdown, step 1: GOAWAY with the highest stream id and a PING (RFC 9113 6.8).
  void goaway_initial();
  /// Step 2: GOAWAY with the last stream we processed; streams above it are refused.
  void goaway_final(http2_error error = http2_error::no_error);
  /// A connection error of our own (settings or preface timeout...): GOAWAY with `error`.
  void terminate(http2_error error);

  /// Response bytes queued for a stream (0 when unknown) and for all streams.
  size_t stream_buffer_size(int32_t stream_id) const;
  size_t connection_buffer_size() const noexcept { return buffered_; }
  /// Streams opened by the peer and not yet closed.
  size_t open_streams() const noexcept { return streams_.size(); }
  /// The peer acknowledged our SETTINGS (settings_timeout) / sent its preface (preface_timeout).
  bool settings_acked() const noexcept { return settings_acked_; }
  bool preface_received() const noexcept { return preface_received_; }

  http2_error error() const noexcept { return error_; }
  const std::string& error_reason() const noexcept { return error_reason_; }

  struct stream;
  struct callbacks;
  friend struct callbacks;

 private:
  void init(std::optional<std::string_view> upgrade_settings, bool upgrade_head);
  void fail(http2_error error, std::string reason);
  bool over_rate(const http2_rate& limit, uint32_t& count,
                 std::chrono::steady_clock::time_point& window_start);
  void early_response(int32_t stream_id, stream& s, int status);
  void resume(int32_t stream_id, stream& s);

  http2_options options_;
  http2_events& events_;
  nghttp2_session* session_ = nullptr;
  std::unordered_map<int32_t, std::unique_ptr<stream>> streams_;
  size_t buffered_ = 0;
  size_t header_block_size_ = 0;
  int32_t last_request_id_ = 0;  // the highest stream id the client opened  // HEADERS +
                                 // CONTINUATION bytes of the block being received
  bool preface_received_ = false;
  bool settings_acked_ = false;
  uint32_t frames_ = 0, resets_ = 0, cancels_ = 0;
  std::chrono::steady_clock::time_point frames_start_, resets_start_, cancels_start_;
  http2_error error_ = http2_error::no_error;
  std::string error_reason_;
};

}  // namespace rodeo
