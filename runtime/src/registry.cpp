#include "rodeo/registry.hpp"

#include <caf/abstract_actor.hpp>
#include <caf/actor_cast.hpp>

namespace rodeo {

registry::registry() : table_(std::make_shared<table>()) {}
registry::~registry() = default;

bool registry::register_name(const std::string& name, const caf::actor& who) {
  if (!who || name.empty()) return false;
  {
    std::lock_guard<std::mutex> guard{table_->mutex};
    if (table_->by_name.count(name) != 0 || table_->by_id.count(who.id()) != 0) return false;
    table_->by_name.emplace(name, who);
    table_->by_id.emplace(who.id(), name);
  }
  // Runs at once if the actor is already dead, so a dead actor never keeps a name.
  std::weak_ptr<table> weak = table_;
  auto id = who.id();
  caf::actor_cast<caf::abstract_actor*>(who)->attach_functor([weak, id, name] {
    auto t = weak.lock();
    if (!t) return;
    std::lock_guard<std::mutex> guard{t->mutex};
    auto it = t->by_name.find(name);
    if (it != t->by_name.end() && it->second.id() == id) {
      t->by_name.erase(it);
      t->by_id.erase(id);
    }
  });
  return true;
}

bool registry::unregister(const std::string& name) {
  std::lock_guard<std::mutex> guard{table_->mutex};
  auto it = table_->by_name.find(name);
  if (it == table_->by_name.end()) return false;
  table_->by_id.erase(it->second.id());
  table_->by_name.erase(it);
  return true;
}

caf::actor registry::whereis(const std::string& name) const {
  std::lock_guard<std::mutex> guard{table_->mutex};
  auto it = table_->by_name.find(name);
  return it == table_->by_name.end() ? caf::actor{} : it->second;
}

std::string registry::name_of(caf::actor_id id) const {
  std::lock_guard<std::mutex> guard{table_->mutex};
  auto it = table_->by_id.find(id);
  return it == table_->by_id.end() ? std::string{} : it->second;
}

std::vector<std::string> registry::registered() const {
  std::lock_guard<std::mutex> guard{table_->mutex};
  std::vector<std::string> names;
  names.reserve(table_->by_name.size());
  for (auto& entry : table_->by_name) names.push_back(entry.first);
  return names;
}

}  // namespace rodeo
