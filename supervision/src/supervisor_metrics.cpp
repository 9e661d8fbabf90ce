// rodeo_supervisor_restarts_total: counted by supervisors as they restart a child (never a hot
// path), read by the node registry's collector.
#include "supervisor_metrics.hpp"

#include <map>
#include <memory>
#include <mutex>
#include <utility>
#include <vector>

#include "rodeo/node.hpp"
#include "rodeo/prometheus.hpp"

namespace rodeo::detail {
namespace {

struct restart_counts {
  std::mutex mutex;
  std::map<std::pair<std::string, std::string>, uint64_t> by_child;  // (supervisor, child)
};

std::mutex counts_mutex;

}  // namespace

void count_restart(caf::actor_system& sys, const std::string& supervisor,
                   const std::string& child) {
  auto* n = node::find(sys);
  if (!n) return;
  auto reg = prometheus::registry::of(*n);
  std::shared_ptr<restart_counts> counts;
  {
    // One table per registry; a registry that died (its node stopped) drops its table.
    std::lock_guard<std::mutex> guard{counts_mutex};
    static std::vector<
        std::pair<std::weak_ptr<prometheus::registry>, std::shared_ptr<restart_counts>>>
        all;
    std::erase_if(all, [](auto& kv) { return kv.first.expired(); });
    for (auto& [r, c] : all)
      if (r.lock() == reg) counts = c;
    if (!counts) {
      counts = std::make_shared<restart_counts>();
      all.emplace_back(reg, counts);
      reg->add("supervisors", [counts](prometheus::exposition& e) {
        e.family("rodeo_supervisor_restarts_total",
                 "Children restarted after their own exit, by supervisor (registered name) and "
                 "child id.",
                 prometheus::metric_type::counter);
        std::lock_guard<std::mutex> guard{counts->mutex};
        for (auto& [k, v] : counts->by_child)
          e.sample("rodeo_supervisor_restarts_total",
                   {{"supervisor", k.first}, {"child", k.second}}, static_cast<double>(v));
      });
    }
  }
  std::lock_guard<std::mutex> guard{counts->mutex};
  ++counts->by_child[{supervisor, child}];
}

}  // namespace rodeo::detail
