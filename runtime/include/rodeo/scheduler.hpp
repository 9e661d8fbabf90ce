#pragma once
// Rodeo's scheduler: a CAF 0.17.6 scheduler module whose workers are also the reactors.
//
// One worker thread per core (`scheduler.max-threads`), each with its own run queue, its own epoll
// set (a rodeo::poller) and an eventfd; an idle worker sleeps in epoll_wait, whose timeout is the
// next timer deadline. A message an actor on a worker sends to an idle actor makes the receiver run
// next on the same worker (the run-next slot, bounded by a budget so a ping-pong pair cannot starve
// the queue); readiness of a descriptor on a worker's epoll set makes its owner runnable on that
// worker in the same loop iteration. Another worker is woken only when surplus work is queued and
// no other worker is already on its way; an idle worker steals from a busy one. The loop does no
// dynamic_cast and no logging. Timers live in a clock without a thread (see scheduler_clock.hpp):
// an actor exiting with no timers touches nothing shared.
//
// rodeo::node uses it unless `scheduler.policy` names one of CAF's (`sharing`, `stealing`):
//   --scheduler.policy=sharing   CAF's own work-sharing scheduler, for comparison
#include <atomic>
#include <cstddef>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/atom.hpp>
#include <caf/execution_unit.hpp>
#include <caf/resumable.hpp>
#include <caf/scheduler/abstract_coordinator.hpp>

#include "rodeo/poller.hpp"

namespace rodeo::scheduler {

/// The `scheduler.policy` value selecting Rodeo's scheduler (rodeo::node's default).
inline constexpr caf::atom_value policy = caf::atom("rodeo");

/// Consecutive run-next resumes before a worker takes its queue's head instead (Tokio and Go use
/// the same rule): bounds how long a hot ping-pong pair delays everything queued behind it.
inline constexpr size_t run_next_budget = 64;
/// A busy worker polls its descriptors (without blocking) every this many resumes.
inline constexpr size_t io_interval = 61;

class coordinator;
class lazy_clock;

class worker final : public caf::execution_unit {
 public:
  worker(coordinator& parent, size_t id);
  ~worker() override;
  worker(const worker&) = delete;
  worker& operator=(const worker&) = delete;

  /// CAF calls this with the sender's execution unit: on this worker's thread the job runs next
  /// here; from anywhere else it takes the coordinator's external path.
  void exec_later(caf::resumable* job) override;

  size_t id() const noexcept { return id_; }
  /// This worker's epoll set: descriptors added here wake their owners on this worker.
  rodeo::poller& poller() noexcept { return poller_; }
  /// Jobs this worker resumed, jobs it stole from peers, times it slept (monotonic, for tests
  /// and metrics).
  size_t resumes() const noexcept { return resumes_.load(std::memory_order_relaxed); }
  size_t steals() const noexcept { return steals_.load(std::memory_order_relaxed); }
  size_t sleeps() const noexcept { return sleeps_.load(std::memory_order_relaxed); }

 private:
  friend class coordinator;

  void start();
  void run();
  caf::resumable* next_job();
  void run_job(caf::resumable* job);
  void push_local(caf::resumable* job);
  void push_back(caf::resumable* job);
  caf::resumable* pop_front();
  caf::resumable* try_steal();
  void idle();
  void end_search();
  bool claim() noexcept;
  void wake() noexcept { poller_.wake(); }
  size_t poll(int timeout_ms);
  static void bump(std::atomic<size_t>& counter) noexcept {
    counter.store(counter.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
  }

  coordinator& parent_;
  size_t id_;
  rodeo::poller poller_;
  // Owner thread only.
  caf::resumable* next_ = nullptr;
  size_t streak_ = 0;
  bool dispatching_io_ = false;
  bool searching_ = false;
  // Shared with thieves and external pushers.
  std::mutex mutex_;
  std::deque<caf::resumable*> queue_;
  std::atomic<size_t> queued_{0};
  std::atomic<bool> sleeping_{false};
  std::atomic<bool> wake_pending_{false};  // claimed by a waker, until it found work or slept
  std::atomic<bool> stop_{false};
  std::atomic<size_t> resumes_{0};
  std::atomic<size_t> steals_{0};
  std::atomic<size_t> sleeps_{0};
  std::thread thread_;
};

class coordinator final : public caf::scheduler::abstract_coordinator {
 public:
  explicit coordinator(caf::actor_system& sys);
  ~coordinator() override;

  void init(caf::actor_system_config& cfg) override;
  void start() override;
  void stop() override;
  void enqueue(caf::resumable* job) override;
  caf::actor_clock& clock() noexcept override;

  size_t size() const noexcept { return workers_.size(); }
  worker& at(size_t i) noexcept { return *workers_[i]; }
  /// The worker of this coordinator running the calling thread, or nullptr.
  worker* current() const noexcept;
  /// The poller a new descriptor goes to: the workers' in turn, so connections spread over cores.
  rodeo::poller& next_poller() noexcept;

  /// Rodeo's coordinator of `sys`, or nullptr when `sys` runs one of CAF's schedulers.
  static coordinator* of(caf::actor_system& sys) noexcept;

 private:
  friend class worker;
  friend class lazy_clock;

  void push_external(caf::resumable* job);
  /// Wakes one sleeping worker to pick up surplus work, unless one is already on its way.
  void notify_idle() noexcept;
  /// A timer deadline moved earlier: a worker must recompute how long it sleeps.
  void notify_timer() noexcept;
  bool surplus(const worker* except) const noexcept;

  std::vector<std::unique_ptr<worker>> workers_;
  std::unique_ptr<lazy_clock> clock_;
  std::atomic<size_t> next_poller_{0};
  std::atomic<bool> stopped_{false};
};

/// Makes `cfg` load Rodeo's scheduler (rodeo::node does this unless a CAF policy is configured).
void install(caf::actor_system_config& cfg);

}  // namespace rodeo::scheduler
