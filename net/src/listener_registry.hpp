#pragma once
// The node's listeners by name (listener.cpp starts and stops them; listener_info.cpp reads them
// for ranch:info/procs and the Prometheus collector).
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include <caf/actor.hpp>

#include "listener_state.hpp"
#include "rodeo/listener.hpp"
#include "rodeo/prometheus.hpp"

namespace rodeo::detail {

struct listener_entry {
  std::shared_ptr<listener_state> ls;
  caf::actor sup;  // invalid while the listener is starting
};

/// Guards listeners().
extern std::mutex registry_mutex;
std::map<node*, std::map<std::string, listener_entry>>& listeners();
/// A started listener of the node.
std::optional<listener_entry> find(node& n, const std::string& name);
/// The listener's connections supervisor.
caf::actor conns_of(const listener_entry& e);
/// ranch:info of one listener.
listener_info info_of(const std::string& name, const listener_entry& e);
/// Every listener of the node in its Prometheus registry (one collector for all of them).
void collect_listeners(node* np, prometheus::exposition& e);

}  // namespace rodeo::detail
