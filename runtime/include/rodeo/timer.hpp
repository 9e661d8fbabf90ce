#pragma once
// Timers like Erlang's erlang:send_after/3, erlang:cancel_timer/1 and timer:send_interval/3.
//
//   auto ref = rodeo::send_after(self, self, std::chrono::seconds{5}, rodeo::timeout_atom::value);
//   ...
//   if (rodeo::cancel_timer(ref)) { /* it had not fired, and its message will never arrive */ }
//
// A one-shot timer rides on CAF's clock: when due, the clock thread hands it to a per-system
// forwarder that delivers the message unless the timer was cancelled, so firing costs no extra
// actor hop and a cancelled timer's message never arrives. An interval timer is a small hidden
// actor that re-arms itself.
//
// Messages are sent with the actor that started the timer as sender (anonymous when started from
// an actor_system). Without message arguments the message is `timeout_atom`. A pending timer holds
// its destination and sender; cancelling releases them at once, though the clock keeps a few
// bytes of bookkeeping until the original due time.
#include <chrono>
#include <memory>
#include <optional>
#include <type_traits>
#include <utility>

#include <caf/actor_cast.hpp>
#include <caf/actor_control_block.hpp>
#include <caf/actor_system.hpp>
#include <caf/local_actor.hpp>
#include <caf/message.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/timespan.hpp>

#include "rodeo/atoms.hpp"

namespace rodeo {

namespace detail {
struct timer_state;
}  // namespace detail

/// Names a started timer, for cancel_timer. Copies name the same timer; an empty ref names none.
class timer_ref {
 public:
  timer_ref() noexcept = default;
  explicit timer_ref(std::shared_ptr<detail::timer_state> state) noexcept
      : state_(std::move(state)) {}
  explicit operator bool() const noexcept { return state_ != nullptr; }

 private:
  friend bool cancel_timer(const timer_ref& ref);
  friend std::optional<caf::timespan> read_timer(const timer_ref& ref);
  std::shared_ptr<detail::timer_state> state_;
};

/// erlang:read_timer: the time left until the timer fires (for an interval timer: until its next
/// message), or nothing once it fired, was cancelled or stopped.
std::optional<caf::timespan> read_timer(const timer_ref& ref);

/// Cancels the timer: true when it was still pending, which guarantees its message never
/// arrives (for an interval timer: no further message arrives). False when a one-shot timer had
/// already fired (its message may be in the mailbox, as in Erlang), when it was cancelled or
/// stopped before, or for an empty ref.
bool cancel_timer(const timer_ref& ref);

namespace detail {

timer_ref start_timer(caf::actor_system& sys, caf::strong_actor_ptr sender,
                      caf::strong_actor_ptr dest, caf::timespan delay, caf::message msg);
timer_ref start_interval(caf::actor_system& sys, caf::strong_actor_ptr sender,
                         caf::strong_actor_ptr dest, caf::timespan interval, caf::message msg);

template <class... Ts>
caf::message timer_message(Ts&&... xs) {
  if constexpr (sizeof...(Ts) == 0)
    return caf::make_message(timeout_atom::value);
  else if constexpr (sizeof...(Ts) == 1 && (std::is_same_v<std::decay_t<Ts>, caf::message> && ...))
    return caf::message{std::forward<Ts>(xs)...};
  else
    return caf::make_message(std::forward<Ts>(xs)...);
}

template <class Rep, class Period>
caf::timespan to_timespan(std::chrono::duration<Rep, Period> d) {
  return std::max(caf::timespan{0}, std::chrono::duration_cast<caf::timespan>(d));
}

inline caf::strong_actor_ptr self_ptr(caf::local_actor* self) {
  return caf::strong_actor_ptr{self->ctrl()};
}

}  // namespace detail

/// erlang:send_after(Delay, Dest, Msg), from an actor: `self` is the sender.
template <class Handle, class Rep, class Period, class... Ts>
timer_ref send_after(caf::local_actor* self, const Handle& dest,
                     std::chrono::duration<Rep, Period> delay, Ts&&... xs) {
  return detail::start_timer(
      self->system(), detail::self_ptr(self), caf::actor_cast<caf::strong_actor_ptr>(dest),
      detail::to_timespan(delay), detail::timer_message(std::forward<Ts>(xs)...));
}

template <class Handle, class Rep, class Period, class... Ts>
timer_ref send_after(caf::scoped_actor& self, const Handle& dest,
                     std::chrono::duration<Rep, Period> delay, Ts&&... xs) {
  return send_after(self.ptr(), dest, delay, std::forward<Ts>(xs)...);
}

/// erlang:send_after from outside any actor: the message is anonymous.
template <class Handle, class Rep, class Period, class... Ts>
timer_ref send_after(caf::actor_system& sys, const Handle& dest,
                     std::chrono::duration<Rep, Period> delay, Ts&&... xs) {
  return detail::start_timer(sys, nullptr, caf::actor_cast<caf::strong_actor_ptr>(dest),
                             detail::to_timespan(delay),
                             detail::timer_message(std::forward<Ts>(xs)...));
}

/// timer:send_interval(Interval, Dest, Msg): sends the message every `interval` until cancelled,
/// or until `self` (which started it) or the destination dies.
template <class Handle, class Rep, class Period, class... Ts>
timer_ref send_interval(caf::local_actor* self, const Handle& dest,
                        std::chrono::duration<Rep, Period> interval, Ts&&... xs) {
  return detail::start_interval(
      self->system(), detail::self_ptr(self), caf::actor_cast<caf::strong_actor_ptr>(dest),
      detail::to_timespan(interval), detail::timer_message(std::forward<Ts>(xs)...));
}

template <class Handle, class Rep, class Period, class... Ts>
timer_ref send_interval(caf::scoped_actor& self, const Handle& dest,
                        std::chrono::duration<Rep, Period> interval, Ts&&... xs) {
  return send_interval(self.ptr(), dest, interval, std::forward<Ts>(xs)...);
}

/// timer:send_interval from outside any actor: runs until cancelled or the destination dies.
template <class Handle, class Rep, class Period, class... Ts>
timer_ref send_interval(caf::actor_system& sys, const Handle& dest,
                        std::chrono::duration<Rep, Period> interval, Ts&&... xs) {
  return detail::start_interval(sys, nullptr, caf::actor_cast<caf::strong_actor_ptr>(dest),
                                detail::to_timespan(interval),
                                detail::timer_message(std::forward<Ts>(xs)...));
}

}  // namespace rodeo
