#include "rodeo/registry.hpp"

#include <atomic>
#include <utility>

#include "liveness.hpp"

namespace rodeo {
namespace {

// The last name this thread removed because its actor died. An actor's attachables run one
// after the other on the thread that cleans it up, so its crash report, attached at spawn and run
// after the registry's functor, can still read the name here.
struct exit_record {
  std::uint64_t table = 0;
  caf::actor_id id = 0;
  std::string name;
};
thread_local exit_record last_exit;

std::atomic<std::uint64_t> next_serial{1};

}  // namespace

registry::table::table() : serial(next_serial++) {}

registry::registry() : table_(std::make_shared<table>()) {}
registry::~registry() = default;

bool registry::register_name(const std::string& name, const caf::actor& who) {
  if (!who || name.empty() || detail::is_terminated(who)) return false;
  // Handles are released outside the lock: dropping the last one destroys the actor, which runs
  // its functors, which take the lock.
  caf::actor dead_holder;
  {
    std::lock_guard<std::mutex> guard{table_->mutex};
    if (table_->by_id.count(who.id()) != 0) return false;
    auto it = table_->by_name.find(name);
    if (it == table_->by_name.end()) {
      table_->by_name.emplace(name, who);
    } else {
      // A dying actor whose functor has not run yet does not hold its name any more.
      if (!detail::is_terminated(it->second)) return false;
      table_->by_id.erase(it->second.id());
      dead_holder = std::exchange(it->second, who);
    }
    table_->by_id.emplace(who.id(), name);
  }
  // Runs at once if the actor died meanwhile, so a dead actor never keeps a name.
  std::weak_ptr<table> weak = table_;
  auto id = who.id();
  caf::actor_cast<caf::abstract_actor*>(who)->attach_functor([weak, id, name] {
    auto t = weak.lock();
    if (!t) return;
    caf::actor released;
    {
      std::lock_guard<std::mutex> guard{t->mutex};
      auto it = t->by_name.find(name);
      if (it == t->by_name.end() || it->second.id() != id) return;
      released = std::move(it->second);
      t->by_name.erase(it);
      t->by_id.erase(id);
    }
    last_exit = exit_record{t->serial, id, name};
  });
  return true;
}

bool registry::unregister(const std::string& name) {
  caf::actor released;
  {
    std::lock_guard<std::mutex> guard{table_->mutex};
    auto it = table_->by_name.find(name);
    if (it == table_->by_name.end()) return false;
    table_->by_id.erase(it->second.id());
    released = std::move(it->second);
    table_->by_name.erase(it);
  }
  return true;
}

caf::actor registry::whereis(const std::string& name) const {
  std::lock_guard<std::mutex> guard{table_->mutex};
  auto it = table_->by_name.find(name);
  if (it == table_->by_name.end() || detail::is_terminated(it->second)) return caf::actor{};
  return it->second;
}

std::string registry::name_of(caf::actor_id id) const {
  std::lock_guard<std::mutex> guard{table_->mutex};
  auto it = table_->by_id.find(id);
  return it == table_->by_id.end() ? std::string{} : it->second;
}

std::string registry::name_at_exit(caf::actor_id id) const {
  auto name = name_of(id);
  if (name.empty() && last_exit.table == table_->serial && last_exit.id == id)
    return last_exit.name;
  return name;
}

std::vector<std::string> registry::registered() const {
  std::lock_guard<std::mutex> guard{table_->mutex};
  std::vector<std::string> names;
  names.reserve(table_->by_name.size());
  for (auto& [name, who] : table_->by_name)
    if (!detail::is_terminated(who)) names.push_back(name);
  return names;
}

void registry::clear() {
  std::unordered_map<std::string, caf::actor> released;
  {
    std::lock_guard<std::mutex> guard{table_->mutex};
    released.swap(table_->by_name);
    table_->by_id.clear();
  }
}

}  // namespace rodeo
