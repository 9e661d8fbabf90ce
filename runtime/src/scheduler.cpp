#include "rodeo/scheduler.hpp"

#include <pthread.h>

#include <string>

#include <caf/logger.hpp>

#include "scheduler_clock.hpp"

namespace rodeo::scheduler {
namespace {

thread_local worker* this_worker = nullptr;

}  // namespace

// -- worker ------------------------------------------------------------------

worker::worker(coordinator& parent, size_t id)
    : caf::execution_unit(&parent.system()), parent_(parent), id_(id) {}

worker::~worker() {
  if (thread_.joinable()) thread_.join();
}

void worker::start() {
  thread_ = std::thread{[this] {
    run();
  }};
}

void worker::exec_later(caf::resumable* job) {
  if (this_worker == this)
    push_local(job);
  else
    parent_.enqueue(job);
}

void worker::push_local(caf::resumable* job) {
  // Readiness is dispatched in arrival order; a message to an idle actor runs next.
  if (!dispatching_io_) {
    auto* previous = next_;
    next_ = job;
    if (!previous) return;
    job = previous;
  }
  push_back(job);
  if (!dispatching_io_) parent_.notify_idle();
}

void worker::push_back(caf::resumable* job) {
  std::lock_guard<std::mutex> guard{mutex_};
  queue_.push_back(job);
  queued_.store(queue_.size(), std::memory_order_seq_cst);
}

caf::resumable* worker::pop_front() {
  if (queued_.load(std::memory_order_relaxed) == 0) return nullptr;
  std::lock_guard<std::mutex> guard{mutex_};
  if (queue_.empty()) return nullptr;
  auto* job = queue_.front();
  queue_.pop_front();
  queued_.store(queue_.size(), std::memory_order_relaxed);
  return job;
}

caf::resumable* worker::try_steal() {
  auto n = parent_.workers_.size();
  for (size_t i = 1; i < n; ++i) {
    auto& peer = *parent_.workers_[(id_ + i) % n];
    if (peer.queued_.load(std::memory_order_relaxed) == 0) continue;
    // A failed try_lock delays the work, it never loses it: the owner runs it.
    std::unique_lock<std::mutex> guard{peer.mutex_, std::try_to_lock};
    if (!guard.owns_lock() || peer.queue_.empty()) continue;
    auto* job = peer.queue_.front();
    peer.queue_.pop_front();
    peer.queued_.store(peer.queue_.size(), std::memory_order_relaxed);
    bump(steals_);
    return job;
  }
  return nullptr;
}

caf::resumable* worker::next_job() {
  if (next_) {
    // The budget only matters when something waits behind the hot job.
    if (streak_ < run_next_budget || queued_.load(std::memory_order_relaxed) == 0) {
      ++streak_;
      return std::exchange(next_, nullptr);
    }
    // Budget spent: the hot job queues up behind what waited, and a peer may take either.
    push_back(std::exchange(next_, nullptr));
    parent_.notify_idle();
  }
  streak_ = 0;
  if (auto* job = pop_front()) return job;
  return try_steal();
}

void worker::run_job(caf::resumable* job) {
  bump(resumes_);
  switch (job->resume(this, parent_.max_throughput())) {
    case caf::resumable::resume_later:
      // Keeps the reference; more mail is waiting. A lone busy actor wakes nobody: this worker
      // comes back to it; behind other work, an idle peer may take it.
      push_back(job);
      if (queued_.load(std::memory_order_relaxed) > 1) parent_.notify_idle();
      break;
    case caf::resumable::done:
    case caf::resumable::awaiting_message:
      // The enqueue that scheduled the job took a reference (CAF's own worker releases it too).
      intrusive_ptr_release(job);
      break;
    case caf::resumable::shutdown_execution_unit:
      intrusive_ptr_release(job);
      break;
  }
}

size_t worker::poll(int timeout_ms) {
  dispatching_io_ = true;
  auto n = poller_.poll(timeout_ms, this);
  dispatching_io_ = false;
  // More ready owners than this worker runs right away: let an idle peer share them.
  if (queued_.load(std::memory_order_relaxed) > 1) parent_.notify_idle();
  return n;
}

bool worker::claim() noexcept {
  if (!sleeping_.load(std::memory_order_seq_cst)) return false;
  bool expected = false;
  return wake_pending_.compare_exchange_strong(expected, true, std::memory_order_seq_cst);
}

void worker::end_search() {
  searching_ = false;
  wake_pending_.store(false, std::memory_order_seq_cst);
}

void worker::idle() {
  // Dekker-style with the pushers: they publish the job, then read sleeping_; this publishes
  // sleeping_, then reads the queues once more. One of both sees the other.
  sleeping_.store(true, std::memory_order_seq_cst);
  if (queued_.load(std::memory_order_seq_cst) > 0 || parent_.surplus(this) ||
      stop_.load(std::memory_order_seq_cst)) {
    sleeping_.store(false, std::memory_order_seq_cst);
    // A waker may have claimed this worker meanwhile: it counts as searching until it finds work.
    searching_ = searching_ || wake_pending_.load(std::memory_order_seq_cst);
    return;
  }
  if (searching_) end_search();
  bump(sleeps_);
  auto timeout = parent_.clock_->timeout_ms(caf::actor_clock::clock_type::now());
  poll(timeout);
  sleeping_.store(false, std::memory_order_seq_cst);
  // A waker claimed this worker: it searches (and keeps others asleep) until it finds work.
  searching_ = wake_pending_.load(std::memory_order_seq_cst);
}

void worker::run() {
  this_worker = this;
  CAF_SET_LOGGER_SYS(&parent_.system());
  auto name = "rodeo.worker." + std::to_string(id_);
  pthread_setname_np(pthread_self(), name.substr(0, 15).c_str());
  parent_.system().thread_started();
  auto& clock = *parent_.clock_;
  size_t ticks = 0;
  while (!stop_.load(std::memory_order_relaxed)) {
    if (clock.armed()) clock.expire(caf::actor_clock::clock_type::now());
    if (auto* job = next_job()) {
      if (searching_) {
        end_search();
        // Found work while others sleep: if more is waiting, the next sleeper searches.
        if (parent_.surplus(nullptr)) parent_.notify_idle();
      }
      run_job(job);
      if (++ticks % io_interval == 0 && poller_.size() > 0) poll(0);
      continue;
    }
    idle();
  }
  if (searching_) end_search();
  parent_.system().thread_terminates();
  this_worker = nullptr;
}

// -- coordinator -------------------------------------------------------------

coordinator::coordinator(caf::actor_system& sys)
    : caf::scheduler::abstract_coordinator(sys), clock_(std::make_unique<lazy_clock>(*this)) {}

coordinator::~coordinator() = default;

void coordinator::init(caf::actor_system_config& cfg) {
  abstract_coordinator::init(cfg);
  if (num_workers_ == 0) num_workers_ = 1;
  // Created here, not in start(): an enqueue may come before the threads run.
  workers_.reserve(num_workers_);
  for (size_t i = 0; i < num_workers_; ++i) workers_.push_back(std::make_unique<worker>(*this, i));
}

void coordinator::start() {
  for (auto& w : workers_) w->start();
  abstract_coordinator::start();
}

void coordinator::stop() {
  for (auto& w : workers_) {
    w->stop_.store(true, std::memory_order_seq_cst);
    w->wake();
  }
  stop_actors();
  for (auto& w : workers_)
    if (w->thread_.joinable()) w->thread_.join();
  stopped_.store(true, std::memory_order_seq_cst);
  // Jobs still queued (actors abandoned with await_actors_before_shutdown(false), internal ones)
  // are cleaned up the way CAF's own coordinator does; a cleanup may enqueue again.
  for (bool again = true; again;) {
    again = false;
    for (auto& w : workers_) {
      std::deque<caf::resumable*> jobs;
      {
        std::lock_guard<std::mutex> guard{w->mutex_};
        jobs.swap(w->queue_);
        w->queued_.store(0);
      }
      if (auto* job = std::exchange(w->next_, nullptr)) jobs.push_front(job);
      again = again || !jobs.empty();
      for (auto* job : jobs) cleanup_and_release(job);
    }
  }
  clock_->drop_all();
  for (auto& w : workers_) w->poller_.close();
}

worker* coordinator::current() const noexcept {
  auto* w = this_worker;
  return w && &w->parent_ == this ? w : nullptr;
}

void coordinator::enqueue(caf::resumable* job) {
  if (auto* w = current())
    w->push_local(job);
  else
    push_external(job);
}

void coordinator::push_external(caf::resumable* job) {
  if (stopped_.load(std::memory_order_acquire)) {
    cleanup_and_release(job);
    return;
  }
  // A sleeping worker nobody has claimed yet takes it; else round-robin, waking the target only
  // if it sleeps unclaimed.
  for (auto& w : workers_) {
    if (w->claim()) {
      w->push_back(job);
      w->wake();
      return;
    }
  }
  auto& w = *workers_[next_worker_.fetch_add(1, std::memory_order_relaxed) % workers_.size()];
  w.push_back(job);
  if (w.claim()) w.wake();
}

bool coordinator::surplus(const worker* except) const noexcept {
  for (auto& w : workers_)
    if (w.get() != except && w->queued_.load(std::memory_order_seq_cst) > 0) return true;
  return false;
}

void coordinator::notify_idle() noexcept {
  for (auto& w : workers_)
    if (w->wake_pending_.load(std::memory_order_seq_cst)) return;  // one is on its way
  for (auto& w : workers_) {
    if (w->claim()) {
      w->wake();
      return;
    }
  }
}

void coordinator::notify_timer() noexcept {
  for (auto& w : workers_) {
    if (w->sleeping_.load(std::memory_order_seq_cst)) {
      w->wake();
      return;
    }
  }
}

caf::actor_clock& coordinator::clock() noexcept {
  return *clock_;
}

rodeo::poller& coordinator::next_poller() noexcept {
  return workers_[next_poller_.fetch_add(1, std::memory_order_relaxed) % workers_.size()]->poller_;
}

coordinator* coordinator::of(caf::actor_system& sys) noexcept {
  return dynamic_cast<coordinator*>(&sys.scheduler());
}

void install(caf::actor_system_config& cfg) {
  cfg.module_factories.push_back(
      [](caf::actor_system& sys) -> caf::actor_system::module* { return new coordinator(sys); });
}

}  // namespace rodeo::scheduler
