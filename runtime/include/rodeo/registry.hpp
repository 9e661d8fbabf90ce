#pragma once
// Named registration, like Erlang's register/whereis/unregister. A name frees itself when its
// actor dies: once the actor started dying, whereis no longer finds it and the name can be taken
// again, so a link partner or monitor that learns of the death can re-register the name at once.
// CAF's own registry is not used: its keys are 10-character atoms and its entries outlive their
// actors. Lookups are synchronous (a mutex-guarded map), as whereis/1 is.
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include <caf/actor.hpp>

namespace rodeo {

class registry {
 public:
  registry();
  ~registry();
  /// False (and nothing changes) when the name is taken by a live actor, the actor already has a
  /// name (an actor has at most one, as in Erlang), the actor is dead, or the handle is invalid.
  bool register_name(const std::string& name, const caf::actor& who);
  /// False when the name was not registered.
  bool unregister(const std::string& name);
  /// The actor registered under `name`, or an invalid handle.
  caf::actor whereis(const std::string& name) const;
  /// The name of actor `id`, or "" when it has none.
  std::string name_of(caf::actor_id id) const;
  /// As name_of, but while actor `id` is being cleaned up on this thread it still answers with
  /// the name the actor had: crash reports use it to name the dead.
  std::string name_at_exit(caf::actor_id id) const;
  /// Every registered name (Erlang's registered/0).
  std::vector<std::string> registered() const;
  /// Drops every name, releasing the handles (a stopping node does this, so that idle registered
  /// actors can end).
  void clear();

 private:
  struct table {
    table();
    const std::uint64_t serial;  // unique per registry, even when memory is reused
    mutable std::mutex mutex;
    std::unordered_map<std::string, caf::actor> by_name;
    std::unordered_map<caf::actor_id, std::string> by_id;
  };
  // Shared with the cleanup functors attached to registered actors, which may run after ~registry.
  std::shared_ptr<table> table_;
};

}  // namespace rodeo
