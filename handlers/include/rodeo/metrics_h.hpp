#pragma once
// Cowboy's cowboy_metrics_h: a stream handler that gathers one record per stream (timings, body
// lengths, status, informational responses, processes, user data) and gives it to a callback
// when the stream ends, or when the protocol answers an early error (400, 408, 413, 431...).
//
//   rodeo::metrics::options m;
//   m.callback = [](const rodeo::metrics::record& r) { ... };   // runs in the connection actor
//   proto.stream_handlers.insert(proto.stream_handlers.begin(), rodeo::metrics_h(std::move(m)));
//
// Put it first in the chain to measure what goes on the wire (after compress_h's gzip). The
// callback runs in the connection actor, on any worker thread at once: keep it short and
// thread-safe (atomics, a lock-free queue, a message to an actor).
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <caf/actor_addr.hpp>
#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/error.hpp>

#include "rodeo/http_message.hpp"
#include "rodeo/stream_handler.hpp"

namespace rodeo {

class req;

namespace metrics {

using clock = std::chrono::steady_clock;
using time_point = clock::time_point;
/// User data for the record (Cowboy's metrics_user_data), set by the handler with
/// metrics::set_user_data(req, ...).
using user_data = std::map<std::string, std::string, std::less<>>;

/// A 1xx response sent before the final one.
struct informational {
  int status = 0;
  rodeo::headers headers;
  time_point time;
};

/// A process that worked for the stream (cmd::spawn): the request actor under stream_h.
struct proc {
  caf::actor_addr pid;
  time_point spawn;
  /// Known when its exit reached the stream as a down_msg: always for monitored spawns; under
  /// stream_h only for abnormal exits (a normal end sends no message, which saves one per request).
  std::optional<time_point> exit;
  caf::error reason;
};

/// Everything known about one stream (Cowboy's metrics() map). Times are steady_clock points.
struct record {
  std::string ref;      // the listener's name
  caf::actor_addr pid;  // the connection actor (empty for early errors without a stream)
  uint64_t streamid = 0;
  caf::error reason;  // the stream's terminate reason; none for a normal end
  /// The request. For an early error: what the protocol knew (ref, peer, sock, streamid always;
  /// method, path, headers once the request head was parsed).
  std::shared_ptr<const rodeo::request> req;
  /// The matched route's path pattern ("/users/:id"; empty when no route matched or the router
  /// runs in the request actor, as with custom middlewares): a bounded label, never the raw path.
  std::string route;
  bool early_error = false;     // answered by the protocol before (or instead of) the handlers
  int resp_status = 0;          // 0: no response was sent (the client went away first)
  rodeo::headers resp_headers;  // after options::resp_headers_filter
  /// From this stream handler's init to its terminate (the response may still be queued).
  std::optional<time_point> req_start, req_end;
  /// From the first to the last piece of request body received.
  std::optional<time_point> req_body_start, req_body_end;
  /// From the response head to its last body piece (equal when sent at once).
  std::optional<time_point> resp_start, resp_end;
  std::optional<time_point> early_error_time;
  /// Wall-clock time of req_start (or of the early error), for logs.
  std::chrono::system_clock::time_point wall_time;
  std::vector<metrics::informational> informational;
  std::vector<proc> procs;
  /// Body bytes without framing: as received (before decompress_h when it comes later in the
  /// chain), and as sent by the handlers after this one (a file range counts its length).
  uint64_t req_body_length = 0;
  uint64_t resp_body_length = 0;
  metrics::user_data user_data;
};

using callback = std::function<void(const record&)>;

struct options {
  /// Cowboy's metrics_callback: called once per stream and once per early error.
  metrics::callback callback;
  /// Cowboy's metrics_resp_headers_filter: what the record keeps of the response headers
  /// (default: all of them). Return {} to keep none and save the copy.
  std::function<rodeo::headers(const rodeo::headers&)> resp_headers_filter;
};

/// The message metrics_h takes from the stream handler chain (Cowboy's {set_options,
/// #{metrics_user_data => Map}}): the entries are merged into the stream's user data.
struct set_options {
  metrics::user_data metrics_user_data;
};

/// req.cast(set_options{data}): merged into the record, if it arrives before the stream ends
/// (set it before the response's last piece).
void set_user_data(rodeo::req& req, metrics::user_data data);

}  // namespace metrics

/// The metrics stream handler; `opts.callback` must be set.
std::shared_ptr<const stream_handler_factory> metrics_h(metrics::options opts);

}  // namespace rodeo

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(rodeo::metrics::set_options)
