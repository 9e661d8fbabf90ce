// rodeo_websocket_* in the node's Prometheus registry: counted as sessions start and end (never
// per frame).
#include "ws_metrics.hpp"

#include <string>
#include <utility>
#include <vector>

#include "rodeo/node.hpp"
#include "rodeo/prometheus.hpp"

namespace rodeo::detail {
namespace {

std::mutex tables_mutex;

void collect(ws_counters& c, prometheus::exposition& e) {
  using prometheus::metric_type;
  auto opened = c.opened.load(), ended = c.ended.load();
  e.family("rodeo_websocket_sessions_open", "WebSocket sessions open now.", metric_type::gauge);
  e.sample("rodeo_websocket_sessions_open", {},
           static_cast<double>(opened > ended ? opened - ended : 0));
  e.family("rodeo_websocket_sessions_total", "WebSocket sessions opened (after the 101).",
           metric_type::counter);
  e.sample("rodeo_websocket_sessions_total", {}, static_cast<double>(opened));
  e.family("rodeo_websocket_send_queue_overflows_total",
           "Sessions closed because their send queue passed max_send_queue.", metric_type::counter);
  e.sample("rodeo_websocket_send_queue_overflows_total", {},
           static_cast<double>(c.send_queue_overflows.load()));
  e.family("rodeo_websocket_closes_total",
           "Sessions by the close code the server sent (1006: ended without a close frame).",
           metric_type::counter);
  std::lock_guard<std::mutex> guard{c.mutex};
  for (auto& [code, n] : c.closes) {
    auto text = std::to_string(code);
    e.sample("rodeo_websocket_closes_total", {{"code", text}}, static_cast<double>(n));
  }
}

}  // namespace

std::shared_ptr<ws_counters> ws_counters_of(node& n) {
  auto reg = prometheus::registry::of(n);
  std::lock_guard<std::mutex> guard{tables_mutex};
  // One table per registry; a registry that died (its node stopped) drops its table.
  static std::vector<std::pair<std::weak_ptr<prometheus::registry>, std::shared_ptr<ws_counters>>>
      all;
  std::erase_if(all, [](auto& kv) { return kv.first.expired(); });
  for (auto& [r, c] : all)
    if (r.lock() == reg) return c;
  auto c = std::make_shared<ws_counters>();
  all.emplace_back(reg, c);
  reg->add("websocket", [c](prometheus::exposition& e) { collect(*c, e); });
  return c;
}

}  // namespace rodeo::detail
