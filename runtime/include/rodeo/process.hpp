#pragma once
// Spawning processes (actors) the OTP way. Every actor spawned through these functions:
//  - turns an uncaught exception into exit reason {crash, what} (see exit.hpp), and
//  - produces one crash report through rodeo::log (level error) when it dies abnormally by its
//    own doing, like SASL: an exception or quit(reason) with an abnormal reason. Not for normal,
//    shutdown, {shutdown, R} or kill, and not when it only followed a linked actor's exit.
//
//   auto pid = rodeo::spawn(sys, [](caf::event_based_actor* self) -> caf::behavior {...});
//   auto child = rodeo::spawn_link(self, worker_fun, arg);      // link(self, child)
//   auto [watched, ...] = rodeo::spawn_monitor(self, worker_fun);  // self gets a down_msg
// Links and monitors are CAF's: self->link_to(x), self->monitor(x), self->set_exit_handler(...)
// (= process_flag(trap_exit, true)), self->send_exit(x, reason) (= exit(Pid, Reason)).
#include <type_traits>
#include <utility>

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>
#include <caf/detail/type_list.hpp>
#include <caf/detail/type_traits.hpp>
#include <caf/local_actor.hpp>
#include <caf/scheduled_actor.hpp>
#include <caf/spawn_options.hpp>

namespace rodeo {

namespace detail {

/// Installs the crash handling above on a freshly started actor. Class-based actors call it from
/// their make_behavior().
void init_process(caf::scheduled_actor* self);

/// Leads the arguments of every spawn: CAF 0.17 dereferences a null argument tuple when a
/// function-based actor is spawned without arguments (undefined behaviour that UBSan reports).
struct spawn_token {};

template <class F, class List>
struct process_fun;

template <class F, class Self, class... Args>
struct process_fun<F, caf::detail::type_list<Self, Args...>> {
  static_assert(std::is_pointer_v<Self>, "a process function takes its self pointer first");
  F fun;
  auto operator()(Self self, spawn_token, Args... args) {
    init_process(self);
    return fun(self, std::forward<Args>(args)...);
  }
};

template <class F>
auto wrap(F fun) {
  using args = typename caf::detail::get_callable_trait<F>::arg_types;
  return process_fun<F, args>{std::move(fun)};
}

}  // namespace detail

/// Spawns `fun(self, xs...)`. Spawn options as in CAF: rodeo::spawn<caf::lazy_init>(sys, fun),
/// caf::detached, caf::hidden, ...
template <caf::spawn_options Os = caf::no_spawn_options, class F, class... Ts>
auto spawn(caf::actor_system& sys, F fun, Ts&&... xs) {
  return sys.spawn<Os>(detail::wrap(std::move(fun)), detail::spawn_token{},
                       std::forward<Ts>(xs)...);
}

template <caf::spawn_options Os = caf::no_spawn_options, class F, class... Ts>
auto spawn(caf::local_actor* parent, F fun, Ts&&... xs) {
  return parent->spawn<Os>(detail::wrap(std::move(fun)), detail::spawn_token{},
                           std::forward<Ts>(xs)...);
}

/// spawn_link: the child is linked to `parent`. CAF links right after the spawn; a child that died
/// before still sends `parent` its exit signal, so the outcome is Erlang's atomic spawn_link.
template <caf::spawn_options Os = caf::no_spawn_options, class F, class... Ts>
auto spawn_link(caf::local_actor* parent, F fun, Ts&&... xs) {
  return parent->spawn<Os + caf::linked>(detail::wrap(std::move(fun)), detail::spawn_token{},
                                         std::forward<Ts>(xs)...);
}

/// spawn_monitor: `parent` receives a caf::down_msg when the child dies. With caf::lazy_init the
/// monitor is in place before the child runs any code (without it, a child that dies at once may
/// be dead by the time the monitor is placed; the down message still comes).
template <caf::spawn_options Os = caf::no_spawn_options, class F, class... Ts>
auto spawn_monitor(caf::local_actor* parent, F fun, Ts&&... xs) {
  return parent->spawn<Os + caf::monitored>(detail::wrap(std::move(fun)), detail::spawn_token{},
                                            std::forward<Ts>(xs)...);
}

/// Erlang's exit(Pid, Reason) from outside any actor, with any reason ({shutdown, R} included;
/// caf::anon_send_exit takes only CAF's exit_reason codes). Inside an actor:
/// self->send_exit(dest, reason).
void send_exit(const caf::actor& dest, caf::error reason);

}  // namespace rodeo
