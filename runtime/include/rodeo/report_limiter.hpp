#pragma once
// Rate limiting of identical reports, as a log shipper would do it: within a window, the first
// report of each kind is written whole and the rest are only counted; when the window ends, one
// summary line gives the count. A crash that repeats 20,000 times a second then costs two lines
// per window instead of 20,000 (each node has one limiter for its crash reports). The kind is the
// report without what differs between identical failures (the actor id). Thread-safe.
//
//   report_limiter lim{{.window = 10s}};
//   lim.report("exited: {crash,\"boom\"}", "CRASH REPORT actor 12 exited: ...", now, write);
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace rodeo {

class report_limiter {
 public:
  using clock = std::chrono::steady_clock;
  using write_fn = std::function<void(std::string_view)>;

  struct options {
    /// How long a kind stays "seen"; zero writes every report (no limiting).
    std::chrono::milliseconds window{10000};
    /// Kinds tracked at once; reports of further kinds are counted together ("other kinds").
    size_t max_kinds = 256;
  };

  report_limiter() : report_limiter(options{}) {}
  explicit report_limiter(options o) : options_(o) {}

  void set_options(options o);

  /// Writes `text` when it is the first report of `kind` in its window, else counts it; first
  /// writes the summaries of windows that have ended. Returns when a summary becomes due if this
  /// report was the first one counted in its window (the caller arranges an expire() then, so the
  /// count is written even if no report follows), nullopt otherwise.
  std::optional<clock::time_point> report(std::string_view kind, std::string_view text,
                                          clock::time_point now, const write_fn& write);
  /// Writes the summaries of the windows that have ended by `now` and forgets them.
  void expire(clock::time_point now, const write_fn& write);
  /// Writes the summaries of every window still counting (at shutdown) and forgets them.
  void flush(const write_fn& write);

  /// Reports counted and not written so far (all kinds).
  uint64_t suppressed() const;

 private:
  struct window {
    clock::time_point start;
    uint64_t suppressed = 0;
  };

  void sweep(clock::time_point now, const write_fn& write);
  void summarise(const std::string& kind, const window& w, clock::time_point now,
                 const write_fn& write) const;

  mutable std::mutex mutex_;
  options options_;
  std::unordered_map<std::string, window> kinds_;
  window others_;
  clock::time_point next_sweep_{};
};

}  // namespace rodeo
