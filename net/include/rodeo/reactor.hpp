#pragma once
// The reactor: watches file descriptors with epoll (edge-triggered, EPOLLRDHUP) and tells the actor
// owning each one that it became readable or writable. It never reads, writes or parses: the owning
// actor does, when it is scheduled (DESIGN.md §3).
//
// Under Rodeo's scheduler (the node's default) there is no reactor thread: each descriptor joins
// one worker's epoll set (the workers' in turn, so connections spread over the cores), and its
// readiness makes the owner runnable on that worker in the same loop iteration. Under one of CAF's
// schedulers (`scheduler.policy=sharing`) one thread of the reactor's own polls instead.
//
//   auto r = rodeo::reactor::of(node);             // started on first use, stopped with the node
//   rodeo::io_handle* h = r->add(fd, self);        // self receives readable_atom / writable_atom
//   // on readable_atom:  h->rearm_read(); then read() until EAGAIN
//   // on a short write:  h->want_write(); then retry the write once, wait for writable_atom
//   r->remove(h);                                  // before close(fd); h is invalid afterwards
//
// At most one `readable` (and one `writable`) is outstanding per descriptor: the reactor sends the
// next one only after the actor re-armed it. An actor that stops reading (it is busy or its output
// is backed up) simply does not re-arm; the kernel buffers fill and TCP backpressure does the rest.
#include <atomic>
#include <memory>
#include <thread>

#include <caf/actor.hpp>

#include "rodeo/poller.hpp"  // io_handle, readable_atom, writable_atom

namespace rodeo {

class node;
namespace scheduler {
class coordinator;
}

class reactor {
 public:
  /// A reactor with a thread of its own (for CAF's schedulers).
  reactor();
  /// A reactor on the workers of Rodeo's scheduler; it must stop before `workers` does.
  explicit reactor(scheduler::coordinator& workers);
  ~reactor();
  reactor(const reactor&) = delete;
  reactor& operator=(const reactor&) = delete;

  /// The node's reactor, started on first use; it stops when the node stops.
  static std::shared_ptr<reactor> of(node& n);

  /// Watches `fd` for `owner` (which gets readable_atom when data or a hangup arrives).
  /// Thread-safe. Returns nullptr when the reactor is stopped or epoll refuses the descriptor
  /// (errno is set).
  io_handle* add(int fd, caf::actor owner);
  /// Stops watching; the handle is freed after its poller's current batch of events, so the
  /// descriptor may be closed (and its number reused) right after this returns. Thread-safe.
  void remove(io_handle* h);
  /// Drops every owner handle (nothing here keeps an actor alive any more) and stops the thread,
  /// if any; later add() calls fail. Idempotent.
  void stop();
  bool running() const noexcept { return !stopped_.load(); }
  /// Descriptors currently registered (for tests and metrics).
  size_t size() const noexcept { return count_.load(); }

 private:
  poller& pick() noexcept;

  scheduler::coordinator* workers_ = nullptr;
  std::unique_ptr<poller> own_;  // without Rodeo's scheduler
  std::atomic<bool> stopped_{false};
  std::atomic<size_t> count_{0};
  std::thread thread_;
};

}  // namespace rodeo
