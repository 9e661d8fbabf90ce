#include "scheduler_clock.hpp"

#include <limits>

#include "rodeo/scheduler.hpp"

namespace rodeo::scheduler {

template <class F>
void lazy_clock::mutate(F&& f) {
  std::lock_guard<std::recursive_mutex> guard{mutex_};
  auto before = next_.load(std::memory_order_relaxed);
  f();
  update();
  if (next_.load(std::memory_order_relaxed) < before && parent_.current() == nullptr)
    parent_.notify_timer();
}

void lazy_clock::update() noexcept {
  // seq_cst pairs with a worker that publishes `sleeping`, then reads the deadline.
  next_.store(schedule_.empty() ? none : schedule_.begin()->first.time_since_epoch().count(),
              std::memory_order_seq_cst);
  cancellable_.store(!actor_lookup_.empty(), std::memory_order_release);
}

void lazy_clock::set_ordinary_timeout(time_point t, caf::abstract_actor* self, caf::atom_value type,
                                      uint64_t id) {
  mutate([&] { simple_actor_clock::set_ordinary_timeout(t, self, type, id); });
}

void lazy_clock::set_multi_timeout(time_point t, caf::abstract_actor* self, caf::atom_value type,
                                   uint64_t id) {
  mutate([&] { simple_actor_clock::set_multi_timeout(t, self, type, id); });
}

void lazy_clock::set_request_timeout(time_point t, caf::abstract_actor* self, caf::message_id id) {
  mutate([&] { simple_actor_clock::set_request_timeout(t, self, id); });
}

void lazy_clock::cancel_ordinary_timeout(caf::abstract_actor* self, caf::atom_value type) {
  if (!cancellable_.load(std::memory_order_acquire)) return;
  mutate([&] { simple_actor_clock::cancel_ordinary_timeout(self, type); });
}

void lazy_clock::cancel_request_timeout(caf::abstract_actor* self, caf::message_id id) {
  if (!cancellable_.load(std::memory_order_acquire)) return;
  mutate([&] { simple_actor_clock::cancel_request_timeout(self, id); });
}

void lazy_clock::cancel_timeouts(caf::abstract_actor* self) {
  // Every exiting actor calls this: with no cancellable timer anywhere it costs one load.
  if (!cancellable_.load(std::memory_order_acquire)) return;
  mutate([&] { simple_actor_clock::cancel_timeouts(self); });
}

void lazy_clock::schedule_message(time_point t, caf::strong_actor_ptr receiver,
                                  caf::mailbox_element_ptr content) {
  mutate([&] { simple_actor_clock::schedule_message(t, std::move(receiver), std::move(content)); });
}

void lazy_clock::schedule_message(time_point t, caf::group target, caf::strong_actor_ptr sender,
                                  caf::message content) {
  mutate([&] {
    simple_actor_clock::schedule_message(t, std::move(target), std::move(sender),
                                         std::move(content));
  });
}

void lazy_clock::cancel_all() {
  mutate([&] { simple_actor_clock::cancel_all(); });
}

int lazy_clock::timeout_ms(time_point now) const noexcept {
  auto next = next_.load(std::memory_order_seq_cst);
  if (next == none) return -1;
  auto left = time_point{duration_type{next}} - now;
  if (left <= duration_type::zero()) return 0;
  auto ms = std::chrono::ceil<std::chrono::milliseconds>(left).count();
  return ms > std::numeric_limits<int>::max() ? std::numeric_limits<int>::max()
                                              : static_cast<int>(ms);
}

void lazy_clock::expire(time_point now) {
  if (now.time_since_epoch().count() < next_.load(std::memory_order_relaxed)) return;
  std::unique_lock<std::recursive_mutex> guard{mutex_, std::try_to_lock};
  if (!guard.owns_lock()) return;  // another worker fires them
  trigger_expired_timeouts();
  update();
}

void lazy_clock::drop_all() {
  schedule_map garbage;
  {
    std::lock_guard<std::recursive_mutex> guard{mutex_};
    garbage.swap(schedule_);
    actor_lookup_.clear();
    update();
  }
}

}  // namespace rodeo::scheduler
