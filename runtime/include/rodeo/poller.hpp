#pragma once
// A poller: one epoll set (edge-triggered, EPOLLRDHUP) plus an eventfd to interrupt its wait. It
// turns readiness into `readable_atom` / `writable_atom` messages to the actor owning each
// descriptor and never reads, writes or parses itself: the owner does, when it runs (DESIGN.md §3).
// Each worker of Rodeo's scheduler owns one and polls it in its loop, so readiness makes the owner
// runnable on that worker; under CAF's stock schedulers the reactor drives one from its own thread.
//
// At most one `readable` (and one `writable`) is outstanding per descriptor: the next one is sent
// only after the owner re-armed it. An owner that stops reading simply does not re-arm; the kernel
// buffers fill and TCP backpressure does the rest.
#include <atomic>
#include <mutex>
#include <vector>

#include <caf/actor.hpp>
#include <caf/atom.hpp>
#include <caf/fwd.hpp>

namespace rodeo {

/// The messages to the actor that owns a descriptor.
using readable_atom = caf::atom_constant<caf::atom("readable")>;
using writable_atom = caf::atom_constant<caf::atom("writable")>;

class poller;

/// One registered descriptor. Owned by its poller; valid from add() until remove().
class io_handle {
 public:
  int fd() const noexcept { return fd_; }
  /// Allows the next `readable`. Call before reading, so data arriving while you read is signalled.
  void rearm_read() noexcept { read_pending_.store(false, std::memory_order_release); }
  /// Asks for one `writable`. Call after a write hit EAGAIN, then try the write once more (the
  /// socket may have drained in between, and edge-triggered epoll would not say so again).
  void want_write() noexcept { wants_write_.store(true, std::memory_order_release); }
  /// True once the poller saw a hangup or error (EPOLLRDHUP/HUP/ERR): a short read is then not
  /// the end of the data, the next read returns 0 or the error.
  bool hangup() const noexcept { return hangup_.load(std::memory_order_acquire); }
  /// The poller watching this descriptor.
  rodeo::poller& poller() const noexcept { return *poller_; }

 private:
  friend class rodeo::poller;
  io_handle(int fd, caf::actor owner, rodeo::poller* p)
      : fd_(fd), owner_(std::move(owner)), poller_(p) {}
  int fd_;
  size_t index_ = 0;  // position in poller::live_
  caf::actor owner_;
  rodeo::poller* poller_;
  std::atomic<bool> read_pending_{false};
  std::atomic<bool> wants_write_{false};
  std::atomic<bool> hangup_{false};
};

class poller {
 public:
  /// Throws std::runtime_error when the kernel refuses an epoll set or an eventfd.
  poller();
  /// Frees every handle; the owners' handles become invalid.
  ~poller();
  poller(const poller&) = delete;
  poller& operator=(const poller&) = delete;

  /// Watches `fd` for `owner`. Thread-safe. Returns nullptr when the poller is closed or epoll
  /// refuses the descriptor (errno is set).
  io_handle* add(int fd, caf::actor owner);
  /// Stops watching; the handle is freed at the start of the next poll(), after the batch that
  /// may still point at it, so the descriptor may be closed (and its number reused) right after
  /// this returns. Thread-safe.
  void remove(io_handle* h);
  /// Waits up to `timeout_ms` (-1: forever) for readiness or wake() and sends the owners their
  /// messages, passing `eu` as the sender's execution unit (so a scheduler worker gets the owners
  /// as local work). Returns the number of owners notified. One thread polls at a time.
  size_t poll(int timeout_ms, caf::execution_unit* eu);
  /// Makes a blocked or the next poll() return at once. Thread-safe, async-signal-safe.
  void wake() noexcept;
  /// Drops every owner's strong handle (nothing here keeps an actor alive any more) and refuses
  /// later add() calls; registered handles stay valid until their owners remove() them. Safe
  /// while another thread polls.
  void close();
  bool closed() const noexcept { return closed_.load(std::memory_order_acquire); }
  /// Descriptors currently registered.
  size_t size() const noexcept { return count_.load(std::memory_order_relaxed); }

 private:
  void free_removed();

  int epoll_fd_ = -1;
  int wake_fd_ = -1;
  std::atomic<bool> closed_{false};
  std::atomic<size_t> count_{0};
  std::atomic<bool> has_removed_{false};
  mutable std::mutex mutex_;
  std::vector<io_handle*> live_;     // every handle not yet removed, for close()
  std::vector<io_handle*> removed_;  // freed at the start of the next poll()
};

}  // namespace rodeo
