#pragma once
// Deadlines for actors, node-wide: one heap and one thread serve every actor of the node that
// needs a timeout it re-arms often (a WebSocket session's idle and close timeouts). A pending
// deadline costs 24 bytes; a pending CAF delayed message about 1.2 KB (measured with 2,000
// sessions). Entries hold weak references: a deadline never keeps an actor alive, and a dead
// actor's deadline is dropped when due.
//
//   auto d = rodeo::deadlines::of(node);                      // keep it: std::shared_ptr
//   auto id = d->schedule(clock::now() + 5s, self->ctrl());  // self gets (deadline_atom, at)
//   d->cancel(id);                                           // never sent, if still pending
//
// `at` in the message is the deadline's time_since_epoch().count() in steady_clock ticks, so an
// actor that re-arms lazily can tell a stale deadline from its current one.
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <thread>
#include <unordered_set>
#include <vector>

#include <caf/atom.hpp>
#include <caf/fwd.hpp>
#include <caf/weak_intrusive_ptr.hpp>

namespace rodeo {

class node;

/// The message a due deadline sends: (deadline_atom, int64_t at).
using deadline_atom = caf::atom_constant<caf::atom("deadline")>;

class deadlines {
 public:
  using clock = std::chrono::steady_clock;
  using id = std::uint64_t;

  deadlines() = default;
  ~deadlines();
  deadlines(const deadlines&) = delete;
  deadlines& operator=(const deadlines&) = delete;

  /// The node's service, started on first use and stopped with the node (pending deadlines are
  /// then dropped; later ones are refused).
  static std::shared_ptr<deadlines> of(node& n);

  /// `who` receives (deadline_atom, at) once `at` passed. Thread-safe. 0 once stopped.
  id schedule(clock::time_point at, caf::weak_actor_ptr who);
  /// Drops a pending deadline (O(pending)); false when it was sent already or never existed.
  bool cancel(id d);
  /// Stops the thread; later deadlines are never sent. Idempotent.
  void stop();
  /// Deadlines waiting (for tests and metrics).
  std::size_t size() const;

 private:
  struct entry {
    clock::time_point at;
    id key;
    caf::weak_actor_ptr who;
  };
  static bool later(const entry& a, const entry& b) { return a.at > b.at; }
  void run();

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::vector<entry> heap_;
  std::unordered_set<id> cancelled_;
  id next_ = 1;
  std::thread thread_;
  bool stopped_ = false;
};

}  // namespace rodeo
