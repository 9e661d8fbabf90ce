#pragma once
// Restart counts of the node's supervisors, for its Prometheus registry.
#include <string>

#include <caf/fwd.hpp>

namespace rodeo::detail {

/// One restart of `child` by `supervisor` (its registered name, or ""), counted in
/// rodeo_supervisor_restarts_total of the node owning `sys` (nothing without a rodeo::node).
void count_restart(caf::actor_system& sys, const std::string& supervisor, const std::string& child);

}  // namespace rodeo::detail
