#pragma once
// The reactor: one thread outside CAF that watches file descriptors with epoll (edge-triggered,
// EPOLLRDHUP) and tells the actor owning each one that it became readable or writable. It never
// reads, writes or parses: the owning actor does, when it is scheduled (DESIGN.md §3).
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
#include <mutex>
#include <thread>
#include <vector>

#include <caf/actor.hpp>
#include <caf/atom.hpp>

namespace rodeo {

/// The reactor's messages to the actor that owns a descriptor.
using readable_atom = caf::atom_constant<caf::atom("readable")>;
using writable_atom = caf::atom_constant<caf::atom("writable")>;

class node;

/// One registered descriptor. Owned by the reactor; valid from add() until remove().
class io_handle {
 public:
  int fd() const noexcept { return fd_; }
  /// Allows the next `readable`. Call before reading, so data arriving while you read is signalled.
  void rearm_read() noexcept { read_pending_.store(false, std::memory_order_release); }
  /// Asks for one `writable`. Call after a write hit EAGAIN, then try the write once more (the
  /// socket may have drained in between, and edge-triggered epoll would not say so again).
  void want_write() noexcept { wants_write_.store(true, std::memory_order_release); }
  /// True once the reactor saw a hangup or error (EPOLLRDHUP/HUP/ERR): a short read is then not
  /// the end of the data, the next read returns 0 or the error.
  bool hangup() const noexcept { return hangup_.load(std::memory_order_acquire); }

 private:
  friend class reactor;
  io_handle(int fd, caf::actor owner) : fd_(fd), owner_(std::move(owner)) {}
  int fd_;
  size_t index_ = 0;  // position in reactor::live_
  caf::actor owner_;
  std::atomic<bool> read_pending_{false};
  std::atomic<bool> wants_write_{false};
  std::atomic<bool> hangup_{false};
};

class reactor {
 public:
  reactor();
  ~reactor();
  reactor(const reactor&) = delete;
  reactor& operator=(const reactor&) = delete;

  /// The node's reactor, started on first use; it stops when the node stops.
  static std::shared_ptr<reactor> of(node& n);

  /// Watches `fd` for `owner` (which gets readable_atom when data or a hangup arrives).
  /// Thread-safe. Returns nullptr when the reactor is stopped or epoll refuses the descriptor
  /// (errno is set).
  io_handle* add(int fd, caf::actor owner);
  /// Stops watching; the handle is freed after the reactor's current batch of events, so the
  /// descriptor may be closed (and its number reused) right after this returns. Thread-safe.
  void remove(io_handle* h);
  /// Stops the thread and drops every owner handle; later add() calls fail. Idempotent.
  void stop();
  bool running() const noexcept { return !stopped_.load(); }
  /// Descriptors currently registered (for tests and metrics).
  size_t size() const;

 private:
  void run();
  void wake();
  void free_removed();

  int epoll_fd_ = -1;
  int wake_fd_ = -1;
  std::atomic<bool> stopped_{false};
  std::atomic<size_t> count_{0};
  mutable std::mutex mutex_;
  std::vector<io_handle*> live_;     // every handle not yet removed, for stop()
  std::vector<io_handle*> removed_;  // freed at the start of the next loop iteration
  bool wake_pending_ = false;
  std::thread thread_;
};

}  // namespace rodeo
