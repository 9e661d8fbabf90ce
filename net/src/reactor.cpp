#include "rodeo/reactor.hpp"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <map>
#include <stdexcept>
#include <string>

#include <caf/actor_cast.hpp>
#include <caf/make_message.hpp>
#include <caf/message_id.hpp>

#include "rodeo/atoms.hpp"
#include "rodeo/log.hpp"
#include "rodeo/node.hpp"

namespace rodeo {
namespace {

// Built once: every notification shares the same immutable message (a reference count, no copy).
const caf::message& readable_msg() {
  static const caf::message msg = caf::make_message(readable_atom::value);
  return msg;
}
const caf::message& writable_msg() {
  static const caf::message msg = caf::make_message(writable_atom::value);
  return msg;
}

void notify(const caf::actor& owner, const caf::message& msg) {
  if (owner)
    caf::actor_cast<caf::abstract_actor*>(owner)->enqueue(nullptr, caf::make_message_id(), msg,
                                                          nullptr);
}

std::mutex reactors_mutex;
std::map<node*, std::shared_ptr<reactor>>& reactors() {
  static std::map<node*, std::shared_ptr<reactor>> all;
  return all;
}

}  // namespace

reactor::reactor() {
  epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
  wake_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (epoll_fd_ < 0 || wake_fd_ < 0)
    throw std::runtime_error(std::string{"reactor: cannot create epoll/eventfd: "} +
                             std::strerror(errno));
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.ptr = nullptr;  // the wake-up descriptor
  epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, wake_fd_, &ev);
  thread_ = std::thread{[this] {
    run();
  }};
}

reactor::~reactor() {
  stop();
  std::lock_guard<std::mutex> guard{mutex_};
  for (auto* h : live_) delete h;
  for (auto* h : removed_) delete h;
  // Closed only here: a late remove() must never reach a reused descriptor number.
  ::close(epoll_fd_);
  ::close(wake_fd_);
}

std::shared_ptr<reactor> reactor::of(node& n) {
  std::lock_guard<std::mutex> guard{reactors_mutex};
  auto& all = reactors();
  if (auto i = all.find(&n); i != all.end()) return i->second;
  auto r = std::make_shared<reactor>();
  all.emplace(&n, r);
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

io_handle* reactor::add(int fd, caf::actor owner) {
  auto* h = new io_handle(fd, std::move(owner));
  {
    std::lock_guard<std::mutex> guard{mutex_};
    if (stopped_) {
      delete h;
      errno = ESHUTDOWN;
      return nullptr;
    }
    h->index_ = live_.size();
    live_.push_back(h);
  }
  epoll_event ev{};
  // Both directions, edge-triggered, registered once: interest in writing is an atomic flag on
  // the handle, so arming EPOLLOUT never costs an epoll_ctl call.
  ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
  ev.data.ptr = h;
  if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev) != 0) {
    int err = errno;
    std::lock_guard<std::mutex> guard{mutex_};
    live_[h->index_] = live_.back();
    live_[h->index_]->index_ = h->index_;
    live_.pop_back();
    delete h;
    errno = err;
    return nullptr;
  }
  ++count_;
  return h;
}

void reactor::remove(io_handle* h) {
  if (!h) return;
  epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, h->fd_, nullptr);
  --count_;
  bool do_wake = false;
  {
    std::lock_guard<std::mutex> guard{mutex_};
    live_[h->index_] = live_.back();
    live_[h->index_]->index_ = h->index_;
    live_.pop_back();
    if (stopped_) {
      delete h;
      return;
    }
    removed_.push_back(h);
    do_wake = !wake_pending_;
    wake_pending_ = true;
  }
  // Wake the thread so the handle (and the strong actor handle in it) is freed soon even when no
  // other descriptor is active.
  if (do_wake) wake();
}

size_t reactor::size() const {
  return count_.load();
}

void reactor::wake() {
  uint64_t one = 1;
  [[maybe_unused]] auto n = ::write(wake_fd_, &one, sizeof one);
}

void reactor::stop() {
  bool expected = false;
  if (!stopped_.compare_exchange_strong(expected, true)) return;
  wake();
  if (thread_.joinable()) thread_.join();
  std::vector<io_handle*> garbage;
  {
    std::lock_guard<std::mutex> guard{mutex_};
    garbage.swap(removed_);
    // Registered owners lose their strong handle, so nothing here keeps an actor alive; their
    // handles stay valid until they call remove().
    for (auto* h : live_) h->owner_ = nullptr;
  }
  for (auto* h : garbage) delete h;
}

void reactor::free_removed() {
  std::vector<io_handle*> garbage;
  {
    std::lock_guard<std::mutex> guard{mutex_};
    garbage.swap(removed_);
    wake_pending_ = false;
  }
  for (auto* h : garbage) delete h;
}

void reactor::run() {
  constexpr int batch = 256;
  epoll_event events[batch];
  while (!stopped_.load(std::memory_order_acquire)) {
    // Every handle removed so far was deleted from epoll before this point and the previous batch
    // is fully processed, so no event array can still point at it.
    free_removed();
    int n = epoll_wait(epoll_fd_, events, batch, -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      log::error("reactor: epoll_wait failed: ", std::strerror(errno));
      return;
    }
    for (int i = 0; i < n; ++i) {
      auto* h = static_cast<io_handle*>(events[i].data.ptr);
      if (!h) {
        uint64_t value;
        [[maybe_unused]] auto r = ::read(wake_fd_, &value, sizeof value);
        continue;
      }
      auto ev = events[i].events;
      if (ev & (EPOLLRDHUP | EPOLLHUP | EPOLLERR))
        h->hangup_.store(true, std::memory_order_release);
      if ((ev & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) &&
          !h->read_pending_.exchange(true, std::memory_order_acq_rel))
        notify(h->owner_, readable_msg());
      if ((ev & (EPOLLOUT | EPOLLHUP | EPOLLERR)) &&
          h->wants_write_.load(std::memory_order_acquire) &&
          h->wants_write_.exchange(false, std::memory_order_acq_rel))
        notify(h->owner_, writable_msg());
    }
  }
}

}  // namespace rodeo
