#include "rodeo/deadline.hpp"

#include <algorithm>
#include <map>
#include <memory>

#include <caf/actor.hpp>
#include <caf/actor_cast.hpp>
#include <caf/send.hpp>

#include "rodeo/node.hpp"

namespace rodeo {
namespace {

std::mutex services_mutex;

std::map<node*, std::shared_ptr<deadlines>>& services() {
  static std::map<node*, std::shared_ptr<deadlines>> all;
  return all;
}

}  // namespace

std::shared_ptr<deadlines> deadlines::of(node& n) {
  std::lock_guard<std::mutex> guard{services_mutex};
  auto& all = services();
  if (auto i = all.find(&n); i != all.end()) return i->second;
  auto d = std::make_shared<deadlines>();
  all.emplace(&n, d);
  // Stopped when the node stops; actors still holding it get refusals, not a dangling service.
  n.on_stop([np = &n] {
    std::shared_ptr<deadlines> d;
    {
      std::lock_guard<std::mutex> guard{services_mutex};
      auto& all = services();
      if (auto i = all.find(np); i != all.end()) {
        d = std::move(i->second);
        all.erase(i);
      }
    }
    if (d) d->stop();
  });
  return d;
}

deadlines::~deadlines() {
  stop();
}

deadlines::id deadlines::schedule(clock::time_point at, caf::weak_actor_ptr who) {
  std::lock_guard<std::mutex> guard{mutex_};
  if (stopped_) return 0;
  auto key = next_++;
  heap_.push_back({at, key, std::move(who)});
  std::push_heap(heap_.begin(), heap_.end(), later);
  if (!thread_.joinable())
    thread_ = std::thread{[this] {
      run();
    }};
  else if (heap_.front().key == key)
    wake_.notify_one();  // a new earliest deadline
  return key;
}

bool deadlines::cancel(id d) {
  std::lock_guard<std::mutex> guard{mutex_};
  for (auto& e : heap_)
    if (e.key == d) return cancelled_.insert(d).second;
  return false;
}

void deadlines::stop() {
  {
    std::lock_guard<std::mutex> guard{mutex_};
    if (stopped_) return;
    stopped_ = true;
    heap_.clear();
    cancelled_.clear();
  }
  wake_.notify_one();
  if (thread_.joinable()) thread_.join();
}

std::size_t deadlines::size() const {
  std::lock_guard<std::mutex> guard{mutex_};
  return heap_.size() - cancelled_.size();
}

void deadlines::run() {
  std::vector<entry> due;
  std::unique_lock<std::mutex> lock{mutex_};
  while (!stopped_) {
    if (heap_.empty()) {
      wake_.wait(lock);
      continue;
    }
    auto now = clock::now();
    if (heap_.front().at > now) {
      const auto next = heap_.front().at;  // a copy: the heap may move while we wait
      wake_.wait_until(lock, next);
      continue;
    }
    while (!heap_.empty() && heap_.front().at <= now) {
      std::pop_heap(heap_.begin(), heap_.end(), later);
      if (cancelled_.erase(heap_.back().key) == 0) due.push_back(std::move(heap_.back()));
      heap_.pop_back();
    }
    if (heap_.empty() && heap_.capacity() > 1024) heap_.shrink_to_fit();
    lock.unlock();
    for (auto& e : due)
      if (auto p = caf::actor_cast<caf::strong_actor_ptr>(e.who))
        caf::anon_send(caf::actor_cast<caf::actor>(p), deadline_atom::value,
                       static_cast<int64_t>(e.at.time_since_epoch().count()));
    due.clear();
    lock.lock();
  }
}

}  // namespace rodeo
