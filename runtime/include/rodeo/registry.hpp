#pragma once
// Named registration, like Erlang's register/whereis/unregister. A name frees itself when its
// actor dies. CAF's own registry is not used: its keys are 10-character atoms and its entries
// outlive their actors. Lookups are synchronous (a mutex-guarded map), as whereis/1 is.
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
  /// False (and nothing changes) when the name is taken, the actor already has a name (an actor
  /// has at most one, as in Erlang), or the handle is invalid.
  bool register_name(const std::string& name, const caf::actor& who);
  /// False when the name was not registered.
  bool unregister(const std::string& name);
  /// The actor registered under `name`, or an invalid handle.
  caf::actor whereis(const std::string& name) const;
  /// The name of actor `id`, or "" when it has none.
  std::string name_of(caf::actor_id id) const;
  /// Every registered name (Erlang's registered/0).
  std::vector<std::string> registered() const;

 private:
  struct table {
    mutable std::mutex mutex;
    std::unordered_map<std::string, caf::actor> by_name;
    std::unordered_map<caf::actor_id, std::string> by_id;
  };
  // Shared with the cleanup functors attached to registered actors, which may run after ~registry.
  std::shared_ptr<table> table_;
};

}  // namespace rodeo
