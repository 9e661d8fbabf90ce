#include "rodeo/timer.hpp"

#include <mutex>

#include <caf/actor_clock.hpp>
#include <caf/actor_config.hpp>
#include <caf/actor_registry.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/mailbox_element.hpp>
#include <caf/make_actor.hpp>
#include <caf/monitorable_actor.hpp>
#include <caf/spawn_options.hpp>
#include <caf/system_messages.hpp>

namespace rodeo::detail {

// Whoever clears `pending` under the mutex owns the outcome: the clock's delivery of a one-shot
// timer, or a cancel. An interval timer delivers under the mutex, so once cancel_timer returned
// true no tick can still arrive.
struct timer_state {
  std::mutex mutex;
  bool pending = true;
  caf::actor_clock::time_point due;
  caf::strong_actor_ptr sender;
  caf::strong_actor_ptr dest;
  caf::message msg;
};

}  // namespace rodeo::detail

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(std::shared_ptr<rodeo::detail::timer_state>)

namespace rodeo {
namespace detail {
namespace {

using state_ptr = std::shared_ptr<timer_state>;
using tick_atom = caf::atom_constant<caf::atom("rodeo_tick")>;

// Takes the message out of a pending timer; false when it was cancelled or has fired.
bool claim(timer_state& st, caf::strong_actor_ptr& sender, caf::strong_actor_ptr& dest,
           caf::message& msg) {
  std::lock_guard<std::mutex> guard{st.mutex};
  if (!st.pending) return false;
  st.pending = false;
  sender = std::move(st.sender);
  dest = std::move(st.dest);
  msg = std::move(st.msg);
  return true;
}

// The clock enqueues a due one-shot timer here, on the clock's thread. Not a scheduled actor: it
// has no mailbox and delivers synchronously, exactly once, unless the timer was cancelled.
class timer_forwarder final : public caf::monitorable_actor {
 public:
  explicit timer_forwarder(caf::actor_config& cfg) : caf::monitorable_actor(cfg) {}

  const char* name() const override { return "rodeo.timer"; }

  void enqueue(caf::mailbox_element_ptr what, caf::execution_unit* host) override {
    auto& content = what->content();
    if (!content.match_elements<state_ptr>()) return;
    caf::strong_actor_ptr sender;
    caf::strong_actor_ptr dest;
    caf::message msg;
    if (claim(*content.get_mutable_as<state_ptr>(0), sender, dest, msg))
      dest->enqueue(std::move(sender), caf::make_message_id(), std::move(msg), host);
  }
};

caf::strong_actor_ptr forwarder_of(caf::actor_system& sys) {
  static const auto key = caf::atom("rodeo_tmr");
  auto& reg = sys.registry();
  if (auto existing = reg.get(key)) return existing;
  caf::actor_config cfg;
  auto fresh = caf::make_actor<timer_forwarder, caf::strong_actor_ptr>(sys.next_actor_id(),
                                                                       sys.node(), &sys, cfg);
  // Two threads may race here; the registry keeps the first, and either forwarder works.
  reg.put(key, fresh);
  return reg.get(key);
}

caf::behavior interval_timer(caf::event_based_actor* self, state_ptr st, caf::timespan interval,
                             caf::strong_actor_ptr starter, caf::strong_actor_ptr dest) {
  if (starter) self->monitor(starter);
  self->monitor(dest);
  self->set_down_handler([self, st](caf::down_msg&) {
    cancel_timer(timer_ref{st});
    self->quit();
  });
  self->delayed_send(self, interval, tick_atom::value);
  return {
      [self, st, interval](tick_atom) {
        bool active = false;
        {
          std::lock_guard<std::mutex> guard{st->mutex};
          active = st->pending;
          if (active) {
            st->dest->enqueue(st->sender, caf::make_message_id(), st->msg, self->context());
            st->due = self->clock().now() + interval;
          }
        }
        if (active)
          self->delayed_send(self, interval, tick_atom::value);
        else
          self->quit();
      },
  };
}

}  // namespace

timer_ref start_timer(caf::actor_system& sys, caf::strong_actor_ptr sender,
                      caf::strong_actor_ptr dest, caf::timespan delay, caf::message msg) {
  if (!dest) return {};
  auto st = std::make_shared<timer_state>();
  st->sender = std::move(sender);
  st->dest = std::move(dest);
  st->msg = std::move(msg);
  auto& clock = sys.clock();
  st->due = clock.now() + delay;
  clock.schedule_message(st->due, forwarder_of(sys),
                         caf::make_mailbox_element(nullptr, caf::make_message_id(), {}, st));
  return timer_ref{std::move(st)};
}

timer_ref start_interval(caf::actor_system& sys, caf::strong_actor_ptr sender,
                         caf::strong_actor_ptr dest, caf::timespan interval, caf::message msg) {
  if (!dest) return {};
  // A zero interval would spin.
  interval = std::max(interval, caf::timespan{std::chrono::milliseconds{1}});
  auto st = std::make_shared<timer_state>();
  st->sender = sender;
  st->dest = dest;
  st->msg = std::move(msg);
  st->due = sys.clock().now() + interval;
  sys.spawn<caf::hidden>(interval_timer, st, interval, std::move(sender), std::move(dest));
  return timer_ref{std::move(st)};
}

}  // namespace detail

std::optional<caf::timespan> read_timer(const timer_ref& ref) {
  if (!ref) return std::nullopt;
  auto& st = *ref.state_;
  std::lock_guard<std::mutex> guard{st.mutex};
  if (!st.pending) return std::nullopt;
  auto left = st.due - caf::actor_clock::clock_type::now();
  return std::max(caf::timespan{0}, std::chrono::duration_cast<caf::timespan>(left));
}

bool cancel_timer(const timer_ref& ref) {
  if (!ref) return false;
  // Released after the lock: dropping the last handle of an actor runs its cleanup.
  caf::strong_actor_ptr sender;
  caf::strong_actor_ptr dest;
  caf::message msg;
  return detail::claim(*ref.state_, sender, dest, msg);
}

}  // namespace rodeo
