#include "rodeo/poller.hpp"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>

#include <caf/abstract_actor.hpp>
#include <caf/actor_cast.hpp>
#include <caf/make_message.hpp>
#include <caf/message_id.hpp>

#include "rodeo/log.hpp"

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

void notify(const caf::actor& owner, const caf::message& msg, caf::execution_unit* eu) {
  if (owner)
    caf::actor_cast<caf::abstract_actor*>(owner)->enqueue(nullptr, caf::make_message_id(), msg, eu);
}

// The poller this thread drives: a removal made here between two polls needs no wake-up, the
// next poll() of this very thread frees the handle.
thread_local const poller* polled_here = nullptr;

}  // namespace

poller::poller() {
  epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
  wake_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (epoll_fd_ < 0 || wake_fd_ < 0) {
    int err = errno;
    if (epoll_fd_ >= 0) ::close(epoll_fd_);
    if (wake_fd_ >= 0) ::close(wake_fd_);
    throw std::runtime_error(std::string{"poller: cannot create epoll/eventfd: "} +
                             std::strerror(err));
  }
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.ptr = nullptr;  // the wake-up descriptor
  epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, wake_fd_, &ev);
}

poller::~poller() {
  std::lock_guard<std::mutex> guard{mutex_};
  for (auto* h : live_) delete h;
  for (auto* h : removed_) delete h;
  // Closed only here: a late remove() must never reach a reused descriptor number.
  ::close(epoll_fd_);
  ::close(wake_fd_);
}

io_handle* poller::add(int fd, caf::actor owner) {
  auto* h = new io_handle(fd, std::move(owner), this);
  {
    std::lock_guard<std::mutex> guard{mutex_};
    if (closed_.load()) {
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
  count_.fetch_add(1, std::memory_order_relaxed);
  return h;
}

void poller::remove(io_handle* h) {
  if (!h) return;
  epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, h->fd_, nullptr);
  count_.fetch_sub(1, std::memory_order_relaxed);
  {
    std::lock_guard<std::mutex> guard{mutex_};
    live_[h->index_] = live_.back();
    live_[h->index_]->index_ = h->index_;
    live_.pop_back();
    removed_.push_back(h);
    has_removed_.store(true, std::memory_order_release);
  }
  // Another thread's poll may be blocked: wake it so the handle (and the strong actor handle in
  // it) is freed soon even when no other descriptor is active.
  if (polled_here != this) wake();
}

void poller::wake() noexcept {
  uint64_t one = 1;
  [[maybe_unused]] auto n = ::write(wake_fd_, &one, sizeof one);
}

void poller::close() {
  std::lock_guard<std::mutex> guard{mutex_};
  closed_.store(true);
  // Removed handles stay for the next poll() or the destructor: a batch may still point at them.
  for (auto* h : live_) h->owner_ = nullptr;
  for (auto* h : removed_) h->owner_ = nullptr;
}

void poller::free_removed() {
  std::vector<io_handle*> garbage;
  {
    std::lock_guard<std::mutex> guard{mutex_};
    garbage.swap(removed_);
    has_removed_.store(false, std::memory_order_relaxed);
  }
  for (auto* h : garbage) delete h;
}

size_t poller::poll(int timeout_ms, caf::execution_unit* eu) {
  polled_here = this;
  // Every handle removed so far was deleted from epoll before this point and the previous batch
  // is fully processed, so no event array can still point at it.
  if (has_removed_.load(std::memory_order_acquire)) free_removed();
  constexpr int batch = 256;
  epoll_event events[batch];
  int n = epoll_wait(epoll_fd_, events, batch, timeout_ms);
  if (n < 0) {
    if (errno != EINTR) log::error("poller: epoll_wait failed: ", std::strerror(errno));
    return 0;
  }
  size_t notified = 0;
  // close() may drop the owners from another thread meanwhile (uncontended otherwise).
  std::lock_guard<std::mutex> guard{mutex_};
  for (int i = 0; i < n; ++i) {
    auto* h = static_cast<io_handle*>(events[i].data.ptr);
    if (!h) {
      uint64_t value;
      [[maybe_unused]] auto r = ::read(wake_fd_, &value, sizeof value);
      continue;
    }
    auto ev = events[i].events;
    if (ev & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) h->hangup_.store(true, std::memory_order_release);
    if ((ev & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) &&
        !h->read_pending_.exchange(true, std::memory_order_acq_rel)) {
      notify(h->owner_, readable_msg(), eu);
      ++notified;
    }
    if ((ev & (EPOLLOUT | EPOLLHUP | EPOLLERR)) &&
        h->wants_write_.load(std::memory_order_acquire) &&
        h->wants_write_.exchange(false, std::memory_order_acq_rel)) {
      notify(h->owner_, writable_msg(), eu);
      ++notified;
    }
  }
  return notified;
}

}  // namespace rodeo
