#pragma once
// Prometheus metrics: the text exposition format 0.0.4 and a node-wide registry of collectors.
//
//   auto reg = rodeo::prometheus::registry::of(node);
//   reg->add("jobs", [q](rodeo::prometheus::exposition& e) {     // runs at each scrape
//     e.family("app_jobs_queued", "Jobs waiting.", rodeo::prometheus::metric_type::gauge);
//     e.sample("app_jobs_queued", {{"queue", "mail"}}, q->size());
//   });
//   std::string text = reg->scrape();   // what GET /metrics serves (handlers: metrics_routes)
//
// Collectors read counters kept elsewhere (atomics, per-thread shards): a scrape never stops the
// node. Every registry starts with the process collector (RSS, fds, CPU, start time, actors).
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace rodeo {

class node;

namespace prometheus {

enum class metric_type { counter, gauge, histogram, untyped };

/// Label names and values of one sample, in order. Names must match [a-zA-Z_][a-zA-Z0-9_]*;
/// values are any bytes and are escaped.
using labels = std::vector<std::pair<std::string_view, std::string_view>>;

/// A label value escaped for the text format: `\` → `\\`, `"` → `\"`, newline → `\n`.
std::string escape_label_value(std::string_view v);
/// HELP text escaped for the text format: `\` → `\\`, newline → `\n`.
std::string escape_help(std::string_view v);
/// A sample value as Go's ParseFloat reads it: integers without exponent, +Inf, -Inf, NaN.
std::string format_value(double v);

/// Cumulative histogram counts for write(): `counts[i]` observations ≤ bounds[i] (not
/// cumulative), counts.back() those above the last bound (size bounds + 1).
struct histogram_data {
  const std::vector<double>* bounds = nullptr;
  std::vector<uint64_t> counts;
  double sum = 0;
};

/// Builds one scrape's text. Samples of a family follow its family() line at once.
class exposition {
 public:
  /// Writes `# HELP name help` and `# TYPE name type`. A family written a second time in the same
  /// scrape is refused (std::logic_error): the text format allows each family once.
  void family(std::string_view name, std::string_view help, metric_type type);
  /// One sample line; `name` may carry a suffix of its family (_total, _bucket, _sum, _count).
  void sample(std::string_view name, const labels& ls, double value);
  /// A histogram's _bucket lines (with `le`, cumulative, ending at +Inf), _sum and _count.
  void histogram(std::string_view name, const labels& ls, const histogram_data& h);

  /// Appends another exposition; std::logic_error when both wrote the same family.
  void merge(exposition&& other);

  const std::string& text() const noexcept { return out_; }
  std::string take() { return std::move(out_); }

 private:
  void write_labels(const labels& ls, std::string_view extra_name = {},
                    std::string_view extra_value = {});
  std::string out_;
  std::vector<std::string> families_;
};

using collector = std::function<void(exposition&)>;

/// A node's collectors. Thread-safe; scrape() runs the collectors in the order they were added.
class registry {
 public:
  /// The node's registry, made on first use (with the process collector) and dropped when the
  /// node stops.
  static std::shared_ptr<registry> of(node& n);

  registry();
  /// Adds (or replaces) the collector named `key`.
  void add(std::string key, collector c);
  /// True when `key` was added before; `c` is not added then. For libraries that register
  /// once per node.
  bool add_once(const std::string& key, const std::function<collector()>& make);
  void remove(const std::string& key);
  /// The text exposition (Content-Type: text/plain; version=0.0.4). A collector that throws is
  /// skipped and counted in rodeo_scrape_errors_total.
  std::string scrape();

 private:
  std::mutex mutex_;
  std::vector<std::pair<std::string, collector>> collectors_;
  uint64_t errors_ = 0;
};

/// The process collector's metrics as one collector: process_resident_memory_bytes,
/// process_virtual_memory_bytes, process_open_fds, process_max_fds, process_cpu_seconds_total,
/// process_start_time_seconds (from /proc/self) and, given a node, rodeo_actors_running.
collector process_collector(node* n);

}  // namespace prometheus
}  // namespace rodeo
