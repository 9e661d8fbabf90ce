#include "rodeo/reactor.hpp"

#include <pthread.h>

#include <cerrno>
#include <map>
#include <mutex>

#include "rodeo/node.hpp"
#include "rodeo/scheduler.hpp"

namespace rodeo {
namespace {

std::mutex reactors_mutex;
std::map<node*, std::shared_ptr<reactor>>& reactors() {
  static std::map<node*, std::shared_ptr<reactor>> all;
  return all;
}

}  // namespace

reactor::reactor() : own_(std::make_unique<poller>()) {
  thread_ = std::thread{[this] {
    pthread_setname_np(pthread_self(), "rodeo.reactor");
    while (!stopped_.load(std::memory_order_acquire)) own_->poll(-1, nullptr);
  }};
}

reactor::reactor(scheduler::coordinator& workers) : workers_(&workers) {}

reactor::~reactor() {
  stop();
}

std::shared_ptr<reactor> reactor::of(node& n) {
  std::lock_guard<std::mutex> guard{reactors_mutex};
  auto& all = reactors();
  if (auto i = all.find(&n); i != all.end()) return i->second;
  auto* workers = scheduler::coordinator::of(n.system());
  auto r = workers ? std::make_shared<reactor>(*workers) : std::make_shared<reactor>();
  all.emplace(&n, r);
  // Node stop hooks run before the actor system (and its scheduler) goes away.
  n.on_stop([np = &n] {
    std::shared_ptr<reactor> r;
    {
      std::lock_guard<std::mutex> guard{reactors_mutex};
      auto& all = reactors();
      if (auto i = all.find(np); i != all.end()) {
        r = std::move(i->second);
        all.erase(i);
      }
    }
    if (r) r->stop();
  });
  return r;
}

poller& reactor::pick() noexcept {
  return workers_ ? workers_->next_poller() : *own_;
}

io_handle* reactor::add(int fd, caf::actor owner) {
  if (stopped_.load()) {
    errno = ESHUTDOWN;
    return nullptr;
  }
  auto* h = pick().add(fd, std::move(owner));
  if (h) ++count_;
  return h;
}

void reactor::remove(io_handle* h) {
  if (!h) return;
  h->poller().remove(h);
  --count_;
}

void reactor::stop() {
  bool expected = false;
  if (!stopped_.compare_exchange_strong(expected, true)) return;
  if (own_) {
    own_->wake();
    if (thread_.joinable()) thread_.join();
    own_->close();
    return;
  }
  for (size_t i = 0; i < workers_->size(); ++i) workers_->at(i).poller().close();
}

}  // namespace rodeo
