#pragma once
// An access log stream handler, built on metrics_h's record: one line per request (and per early
// error) in the Common or Combined Log Format, or as a JSON object per line.
//
//   proto.stream_handlers.insert(proto.stream_handlers.begin(),
//                                rodeo::access_log_h({.format = rodeo::access_log::format::json,
//                                                     .path = "/var/log/rodeo/access.log"}));
//
// Off unless put in the chain. Lines are written with one write(2) each on a file opened with
// O_APPEND (atomic per line for regular files and pipes up to PIPE_BUF), from every worker at
// once, without a lock; nothing is buffered, so a crash loses no line.
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "rodeo/metrics_h.hpp"
#include "rodeo/stream_handler.hpp"

namespace rodeo {
namespace access_log {

enum class format {
  /// host ident authuser [date] "request line" status bytes
  common,
  /// common, then "referer" "user-agent" (Apache's and nginx's default)
  combined,
  /// {"time":..., "remote":..., "method":..., ...} (see README)
  json,
};

struct options {
  access_log::format format = format::combined;
  /// The file lines are appended to (created 0644 when missing); "-" is standard output.
  std::string path = "-";
  /// Instead of the file: each line (without its newline) goes here. Called from every worker
  /// thread at once.
  std::function<void(std::string_view line)> sink;
};

/// One record as a log line, without the newline. Strings from the request are escaped: `"`,
/// `\`, control bytes and bytes above 0x7e as \xHH in the text formats (as nginx does), JSON
/// string escapes (\u00HH for bytes of invalid UTF-8) in json.
std::string format_line(const metrics::record& r, format f);

/// A metrics callback that writes the lines: use it to combine the access log with your own
/// metrics in one metrics_h. Throws std::system_error when the file cannot be opened.
metrics::callback callback(options opts);

}  // namespace access_log

/// metrics_h writing an access log; throws std::system_error when the file cannot be opened.
std::shared_ptr<const stream_handler_factory> access_log_h(access_log::options opts = {});

}  // namespace rodeo
