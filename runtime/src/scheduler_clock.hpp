#pragma once
// The clock of Rodeo's scheduler: CAF's timeout bookkeeping (simple_actor_clock) under a lock,
// with no thread of its own. Workers fire due timeouts in their loop and sleep in epoll_wait no
// longer than the next deadline. Nothing wakes a thread unless a deadline moves earlier while the
// caller is not a worker (a running worker recomputes its sleep anyway), and an actor that exits
// with no timers pending anywhere returns without taking the lock.
#include <atomic>
#include <cstdint>
#include <mutex>

#include <caf/detail/simple_actor_clock.hpp>

namespace rodeo::scheduler {

class coordinator;

class lazy_clock final : public caf::detail::simple_actor_clock {
 public:
  explicit lazy_clock(coordinator& parent) : parent_(parent) {}

  void set_ordinary_timeout(time_point t, caf::abstract_actor* self, caf::atom_value type,
                            uint64_t id) override;
  void set_multi_timeout(time_point t, caf::abstract_actor* self, caf::atom_value type,
                         uint64_t id) override;
  void set_request_timeout(time_point t, caf::abstract_actor* self, caf::message_id id) override;
  void cancel_ordinary_timeout(caf::abstract_actor* self, caf::atom_value type) override;
  void cancel_request_timeout(caf::abstract_actor* self, caf::message_id id) override;
  void cancel_timeouts(caf::abstract_actor* self) override;
  void schedule_message(time_point t, caf::strong_actor_ptr receiver,
                        caf::mailbox_element_ptr content) override;
  void schedule_message(time_point t, caf::group target, caf::strong_actor_ptr sender,
                        caf::message content) override;
  void cancel_all() override;

  /// True when some deadline is pending (one relaxed load).
  bool armed() const noexcept { return next_.load(std::memory_order_relaxed) != none; }
  /// Milliseconds until the next deadline, rounded up; -1 when none is pending.
  int timeout_ms(time_point now) const noexcept;
  /// Fires every timeout due at `now`, unless another worker is doing so already.
  void expire(time_point now);
  /// Drops everything still scheduled (after the workers stopped); actors released here may
  /// call back into the clock.
  void drop_all();

 private:
  static constexpr int64_t none = INT64_MAX;
  template <class F>
  void mutate(F&& f);
  void update() noexcept;

  coordinator& parent_;
  std::recursive_mutex mutex_;  // trigger_expired_timeouts may re-enter through enqueue
  std::atomic<int64_t> next_{none};
  std::atomic<bool> cancellable_{false};
};

}  // namespace rodeo::scheduler
