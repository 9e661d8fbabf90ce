#include "rodeo/pg.hpp"

#include <algorithm>

#include <caf/abstract_actor.hpp>
#include <caf/actor_cast.hpp>
#include <caf/message_id.hpp>

#include "liveness.hpp"

namespace rodeo {

process_groups::process_groups() : table_(std::make_shared<table>()) {}
process_groups::~process_groups() = default;

void process_groups::join(const std::string& group, const caf::actor& who) {
  if (!who || detail::is_terminated(who)) return;
  bool first_watch = false;
  {
    std::lock_guard<std::mutex> guard{table_->mutex};
    auto& entry = table_->groups[group][who.id()];
    entry.first = who;
    ++entry.second;
    first_watch = table_->watched.insert(who.id()).second;
  }
  if (!first_watch) return;
  // One functor per member: when it dies it leaves every group. Runs at once for a dead actor.
  std::weak_ptr<table> weak = table_;
  auto id = who.id();
  caf::actor_cast<caf::abstract_actor*>(who)->attach_functor([weak, id] {
    auto t = weak.lock();
    if (!t) return;
    std::vector<caf::actor> released;  // dropped outside the lock
    std::lock_guard<std::mutex> guard{t->mutex};
    t->watched.erase(id);
    for (auto it = t->groups.begin(); it != t->groups.end();) {
      if (auto m = it->second.find(id); m != it->second.end()) {
        released.push_back(std::move(m->second.first));
        it->second.erase(m);
      }
      it = it->second.empty() ? t->groups.erase(it) : std::next(it);
    }
  });
}

bool process_groups::leave(const std::string& group, const caf::actor& who) {
  // Dropping the last handle of an actor destroys it, which runs its functors, which take the
  // lock: release it outside.
  caf::actor released;
  std::lock_guard<std::mutex> guard{table_->mutex};
  auto g = table_->groups.find(group);
  if (g == table_->groups.end()) return false;
  auto m = g->second.find(who.id());
  if (m == g->second.end()) return false;
  if (--m->second.second == 0) {
    released = std::move(m->second.first);
    g->second.erase(m);
  }
  if (g->second.empty()) table_->groups.erase(g);
  return true;
}

std::size_t process_groups::leave_all(const caf::actor& who) {
  std::vector<caf::actor> released;  // destroyed after the lock is released (see leave)
  std::lock_guard<std::mutex> guard{table_->mutex};
  for (auto g = table_->groups.begin(); g != table_->groups.end();) {
    if (auto m = g->second.find(who.id()); m != g->second.end()) {
      released.push_back(std::move(m->second.first));
      g->second.erase(m);
    }
    g = g->second.empty() ? table_->groups.erase(g) : std::next(g);
  }
  return released.size();
}

std::vector<caf::actor> process_groups::members(const std::string& group) const {
  std::lock_guard<std::mutex> guard{table_->mutex};
  std::vector<caf::actor> result;
  auto g = table_->groups.find(group);
  if (g == table_->groups.end()) return result;
  result.reserve(g->second.size());
  for (auto& [id, entry] : g->second)
    if (!detail::is_terminated(entry.first)) result.push_back(entry.first);
  return result;
}

std::vector<std::string> process_groups::which_groups() const {
  std::lock_guard<std::mutex> guard{table_->mutex};
  std::vector<std::string> result;
  for (auto& [name, members] : table_->groups)
    if (std::any_of(members.begin(), members.end(),
                    [](auto& m) { return !detail::is_terminated(m.second.first); }))
      result.push_back(name);
  return result;
}

std::size_t process_groups::send(const std::string& group, const caf::message& msg) const {
  // Copy the handles out so no mailbox enqueue happens under the lock.
  auto targets = members(group);
  for (auto& member : targets) member->enqueue(nullptr, caf::make_message_id(), msg, nullptr);
  return targets.size();
}

void process_groups::clear() {
  decltype(table_->groups) released;
  {
    std::lock_guard<std::mutex> guard{table_->mutex};
    released.swap(table_->groups);
  }
}

}  // namespace rodeo
