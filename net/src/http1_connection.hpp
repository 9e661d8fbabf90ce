#pragma once
// The HTTP/1.1 connection actor's state (Cowboy's cowboy_http): it owns its transport for its whole
// life — reads when the reactor says `readable` (and only while it can take more input), parses
// with the codec library, runs each request through its stream-handler chain, serializes responses
// and queues them on the transport's output queue, which keeps what the kernel did not take
// until `writable`.
#include <algorithm>
#include <chrono>
#include <cstring>
#include <optional>

#include <caf/all.hpp>

#include "http2_connection.hpp"
#include "listener_state.hpp"
#include "rodeo/ascii.hpp"
#include "rodeo/atoms.hpp"
#include "rodeo/connection.hpp"
#include "rodeo/exit.hpp"
#include "rodeo/http1_parser.hpp"
#include "rodeo/http1_response.hpp"
#include "rodeo/http_date.hpp"
#include "rodeo/http_header.hpp"
#include "rodeo/log.hpp"
#include "rodeo/output_queue.hpp"
#include "rodeo/process.hpp"
#include "rodeo/stream_handler.hpp"
#include "rodeo/transport.hpp"
#include "stream_layer.hpp"

namespace rodeo::detail {

using clock = std::chrono::steady_clock;

// Output above the high mark stops reading (the client is not reading its responses) and holds
// back acks of streamed data; acks flow again below the low mark.
constexpr size_t out_high_watermark = output_queue::high_watermark;
constexpr size_t out_low_watermark = output_queue::low_watermark;
// Pipelined input kept while a request is being answered.
constexpr size_t max_buffered_input = 64 * 1024;

using http1::no_body_status;

struct http1_stream : stream_base {
  int version_minor = 1;
  bool keep_alive = true;
  bool expect_continue = false;
  bool sent_continue = false;
  bool te_trailers = false;
  bool head = false;
  bool chunked_in = false;
  // Request body.
  bool body_done = false;
  uint64_t body_received = 0;
  int64_t flow = 0;
  // Response.
  bool chunked_out = false;
  bool discard_body = false;              // HEAD, 204, 304: the handler's data is not sent
  bool close_delimited = false;           // HTTP/1.0 streamed body: ends with the connection
  std::optional<uint64_t> out_remaining;  // streamed with a content-length
  bool close_after = false;
};

struct http1_state : stream_layer {
  caf::stateful_actor<http1_state>* self;
  std::unique_ptr<transport> tr;  // null once closed or handed over
  std::shared_ptr<listener_state> ls;
  const protocol_options* opts = nullptr;
  std::unique_ptr<http1::parser> parser;

  std::string in;             // unparsed input
  bool read_blocked = false;  // stopped reading before EAGAIN; resume_reading() continues
  bool parsing = false;       // inside parse(): no re-entry
  bool skipping = false;      // dropping the rest of a finished stream's request body
  std::string body_tmp;
  bool sniffing = false;               // the first bytes may still turn out to be HTTP/2
  std::unique_ptr<http2_upgrade> h2c;  // an `Upgrade: h2c` request whose body is being read

  output_queue out;
  bool write_blocked = false;

  uint64_t next_stream_id = 1;
  std::unique_ptr<http1_stream> cur;
  size_t requests = 0;
  commands cmds;

  enum class phase { open, closing, lingering, closed } ph = phase::open;
  bool draining = false;

  std::optional<clock::time_point> request_deadline;
  clock::time_point idle_deadline;
  std::optional<clock::time_point> linger_deadline;
  std::optional<clock::time_point> send_deadline;  // output blocked since, plus send_timeout
  std::optional<clock::time_point> body_deadline;  // no request body byte since, plus body_timeout
  std::optional<clock::time_point> timer_at;

  explicit http1_state(caf::stateful_actor<http1_state>* s) : stream_layer(s), self(s) {}
  http1_state(const http1_state&) = delete;
  http1_state& operator=(const http1_state&) = delete;

  // The socket is released however the actor ends (normal close, exit signal, crash).
  ~http1_state() { release(); }

  void release();

  bool start(int fd);

  // Timers: one pending delayed message, re-armed lazily.
  std::optional<clock::time_point> next_deadline() const;
  void arm_timer();
  void on_timer(int64_t at);
  void arm_body_deadline(clock::time_point now);

  // Reading and parsing (http1_connection.cpp).
  bool can_read() const;
  void on_readable();
  void resume_reading();
  void do_read();
  void feed(const char* data, size_t size);
  void parse_buffered();
  size_t parse(const char* data, size_t size);
  void deliver_body(is_fin f);
  void end_of_request();

  // Streams, the stream layer's interface and responses (http1_stream.cpp).
  void start_stream(http1::request_head&& head);
  static http1_stream& h1(stream_base& s) { return static_cast<http1_stream&>(s); }

  stream_base* find_stream(uint64_t id) override;
  bool closed() const override { return ph == phase::closed; }
  // A streamed piece's ack: at once below the low watermark, else once the output drained.
  bool ack_ready(const stream_base*) const override { return out.bytes() <= out_low_watermark; }

  void inform(stream_base& sb, cmd::inform& c) override;
  void response(stream_base& s, int status, const rodeo::headers& hs, std::string body) override;
  void response_headers(stream_base& s, cmd::response_headers& c) override;
  void data(stream_base& s, is_fin fin, std::string bytes) override;
  void sendfile(stream_base& s, is_fin fin, file_range file) override;
  void body_done(stream_base& s) override { stream_out_done(h1(s)); }
  void trailers(stream_base& sb, cmd::trailers& c) override;
  void flow(stream_base& sb, size_t size) override;
  void switch_protocol(stream_base& sb, cmd::switch_protocol& c) override;
  void stop(stream_base& s) override { stop_stream(h1(s)); }
  void internal_error(stream_base& sb, cmd::internal_error& c) override;
  void stop_stream(http1_stream& s);
  void end_streamed_body(http1_stream& s);

  bool decide_close(http1_stream& s, const rodeo::headers& hs);
  http1::framing start_framing(http1_stream& s, const rodeo::headers& hs);
  static std::optional<uint64_t> user_content_length(const rodeo::headers& hs);
  void send_response(http1_stream& s, int status, const rodeo::headers& hs, std::string body);
  void send_stream_headers(http1_stream& s, int status, const rodeo::headers& hs);
  void send_data(http1_stream& s, is_fin f, std::string bytes);
  void send_file(http1_stream& s, is_fin f, file_range file);
  void stream_out_done(http1_stream& s);

  // Output, errors and closing (http1_connection.cpp).
  void queue(std::string bytes) { out.push(std::move(bytes)); }
  void flush();
  void on_writable();

  void early_error(int status, std::string_view why);
  void on_parse_error() { early_error(parser->error_status(), parser->error_reason()); }

  void begin_close();
  void shutdown_write();
  void final_close();
  void on_peer_closed();
  void on_socket_error() { final_close(); }
  void on_drain();

  // HTTP/2 (http1_to_http2.cpp): ALPN h2 or the preface as the first bytes, `Upgrade: h2c`.
  bool sniff_http2(std::string_view data);
  bool take_h2c_upgrade(http1::request_head& head);
  void upgrade_h2c(std::string rest);
  caf::behavior hand_over(std::string input, std::optional<http2_upgrade> up);
};

}  // namespace rodeo::detail
