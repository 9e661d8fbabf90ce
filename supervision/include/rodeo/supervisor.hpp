#pragma once
// OTP's supervisor on CAF: strategies, restart intensity, child specs, shutdown specs, dynamic
// children, nested trees. Semantics follow OTP's supervisor module; where CAF forces a difference
// it is said here.
//
//   rodeo::supervisor_spec tree{
//     .flags = {.strategy = rodeo::strategy::one_for_one, .intensity = 3, .period = 5s},
//     .children = {
//       {.id = "cache", .start = [](caf::actor_system& sys) { return rodeo::spawn(sys, cache, 64);
//       }}, rodeo::supervisor_child("workers", workers_spec),
//     }};
//   auto sup = rodeo::start_supervisor(sys, tree);   // caf::expected<caf::actor>
//
// A supervisor is an ordinary caf::actor: link to it, monitor it, register it, send it exit
// signals. Its children are tracked with monitors; the supervisor sends every live child an
// exit_msg with the supervisor as source if it dies, which is what an Erlang link does. (CAF
// links are not used towards children: in CAF a linked actor that receives exit reason `kill`
// dies even when it traps exits, so a killed child would take its supervisor with it.)
//
// A supervisor stops - children in reverse start order, each as its shutdown spec says, then it
// exits with the same reason - on stop_supervisor(), on an exit signal from its parent (the
// supervisor that started it), or, when it has no parent (started from a thread or by
// start_application), on any exit signal whose reason is not `normal`, e.g.
// `caf::anon_send_exit(sup, caf::exit_reason::user_shutdown)`. It never blocks a thread while it
// waits for children: it uses monitors and delayed messages. A supervisor that is killed has its
// children killed.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include <caf/actor.hpp>
#include <caf/actor_cast.hpp>
#include <caf/actor_system.hpp>
#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/atom.hpp>
#include <caf/error.hpp>
#include <caf/expected.hpp>
#include <caf/message.hpp>

#include "rodeo/exit.hpp"

namespace rodeo {

/// OTP's restart strategies.
enum class strategy { one_for_one, one_for_all, rest_for_one, simple_one_for_one };

/// permanent: always restarted. transient: restarted only after an abnormal exit (not normal,
/// shutdown or {shutdown, _}: reason::is_normal). temporary: never restarted.
enum class restart_type { permanent, transient, temporary };

enum class child_type { worker, supervisor };

/// How a child is stopped: brutal_kill (exit(kill) at once), a timeout (exit(shutdown), then kill
/// when the child is still alive after the timeout) or infinity (exit(shutdown), wait forever).
struct shutdown_spec {
  enum class kind : std::uint8_t { brutal_kill, timeout, infinity };
  kind how = kind::timeout;
  std::chrono::milliseconds timeout{5000};

  constexpr shutdown_spec() = default;
  /// A timeout: `.shutdown = std::chrono::seconds{2}`.
  template <class Rep, class Period>
  constexpr shutdown_spec(std::chrono::duration<Rep, Period> t)
      : how(kind::timeout), timeout(std::chrono::duration_cast<std::chrono::milliseconds>(t)) {}
  constexpr explicit shutdown_spec(kind k) : how(k) {}
  friend constexpr bool operator==(const shutdown_spec&, const shutdown_spec&) = default;
};

namespace shutdown {
inline constexpr shutdown_spec brutal_kill{shutdown_spec::kind::brutal_kill};
inline constexpr shutdown_spec infinity{shutdown_spec::kind::infinity};
}  // namespace shutdown

/// A child's start function (OTP's `start` MFA). It spawns the child and returns its handle;
/// the supervisor then monitors it. Accepted callables take `(caf::actor_system&)` or
/// `(caf::actor_system&, const caf::message& extra_args)` (simple_one_for_one children get the
/// arguments given to start_child) and return a caf::actor, a typed actor or a caf::expected of
/// one. Returning an error or throwing is a failed start; returning an invalid handle is OTP's
/// `ignore`. To start a nested supervisor, call start_supervisor inside it (or use
/// supervisor_child): the parent then waits for the child supervisor's own children to start.
class start_fn {
 public:
  using function =
      std::function<caf::expected<caf::actor>(caf::actor_system&, const caf::message&)>;

  start_fn() = default;

  template <class F>
  requires(std::is_invocable_v<F&, caf::actor_system&, const caf::message&> ||
           std::is_invocable_v<F&, caf::actor_system&>) &&
      (!std::is_same_v<std::decay_t<F>, start_fn>)start_fn(F f) {
    if constexpr (std::is_invocable_v<F&, caf::actor_system&, const caf::message&>)
      fn_ = [f = std::move(f)](caf::actor_system& sys, const caf::message& args) mutable {
        return to_expected(f(sys, args));
      };
    else
      fn_ = [f = std::move(f)](caf::actor_system& sys, const caf::message&) mutable {
        return to_expected(f(sys));
      };
  }

  /// Runs the function; an exception becomes the error reason::crash(what).
  caf::expected<caf::actor> operator()(caf::actor_system& sys, const caf::message& args) const;
  explicit operator bool() const noexcept { return static_cast<bool>(fn_); }

 private:
  template <class T>
  static caf::expected<caf::actor> to_expected(T&& x) {
    using value = std::decay_t<T>;
    if constexpr (std::is_same_v<value, caf::expected<caf::actor>>) {
      return std::forward<T>(x);
    } else if constexpr (requires {
                           x.error();
                           *x;
                         }) {
      if (!x) return x.error();
      return caf::actor_cast<caf::actor>(*x);
    } else {
      return caf::actor_cast<caf::actor>(std::forward<T>(x));
    }
  }

  function fn_;
};

/// OTP's child specification.
struct child_spec {
  std::string id;
  start_fn start;
  restart_type restart = restart_type::permanent;
  /// Empty: 5 s for a worker, infinity for a supervisor (OTP's defaults).
  std::optional<shutdown_spec> shutdown;
  child_type type = child_type::worker;
};

/// OTP's supervisor flags. More than `intensity` restarts within `period` make the supervisor
/// stop all its children and exit with reason `shutdown`.
struct supervisor_flags {
  rodeo::strategy strategy = rodeo::strategy::one_for_one;
  int intensity = 1;
  std::chrono::milliseconds period = std::chrono::seconds{5};
  /// The clock restarts are counted with; empty: std::chrono::steady_clock. Tests inject one.
  std::function<std::chrono::steady_clock::time_point()> clock;
};

/// What OTP's Module:init/1 returns: flags and the children, started in this order. A
/// simple_one_for_one supervisor has exactly one child spec, the template of its dynamic children,
/// and starts none at init.
struct supervisor_spec {
  supervisor_flags flags;
  std::vector<child_spec> children;
};

/// OTP's Module:init/1: runs inside the new supervisor each time it (re)starts. An error makes the
/// start fail with that error.
using supervisor_init = std::function<caf::expected<supervisor_spec>()>;

/// Starts a supervisor and its children, in order; returns once all of them started. A child that
/// fails to start makes it stop the children already started (reverse order) and fail with
/// {failed_to_start_child, Id, Reason} (OTP: {error, {shutdown, {failed_to_start_child, Id,
/// Reason}}}). `name` (optional) is registered in the node's registry before the children start;
/// a taken name fails with already_started.
/// A supervisor lives until it is stopped, whether or not anyone holds its handle. One started
/// from a thread is stopped when its rodeo::node stops (trees started later stop first); on a
/// plain caf::actor_system, stop it yourself before the system is destroyed.
/// From a thread this blocks until the children started. Inside a start function (a nested
/// supervisor) it returns at once and the calling supervisor waits, without blocking, for the new
/// supervisor's children before it goes on: that supervisor becomes the new one's parent.
caf::expected<caf::actor> start_supervisor(caf::actor_system& sys, supervisor_init init,
                                           std::string name = {});
caf::expected<caf::actor> start_supervisor(caf::actor_system& sys, supervisor_spec spec,
                                           std::string name = {});

/// A child spec of type supervisor whose start function starts a supervisor (shutdown infinity).
child_spec supervisor_child(std::string id, supervisor_init init,
                            restart_type restart = restart_type::permanent);
child_spec supervisor_child(std::string id, supervisor_spec spec,
                            restart_type restart = restart_type::permanent);

/// Errors of the supervisor API (category "supervisor"); compare with `err == supervisor_error::x`.
enum class supervisor_error : std::uint8_t {
  /// start_child: the id exists but its child is not running (OTP: already_present).
  already_present = 1,
  /// start_child / start_supervisor: running already; the context holds the running caf::actor.
  already_started,
  not_found,
  /// restart_child / delete_child: the child is running.
  running,
  /// restart_child / delete_child: the child is being restarted.
  restarting,
  /// The operation does not exist for a simple_one_for_one supervisor (or needs one).
  simple_one_for_one,
  /// A bad child spec or supervisor spec; the context holds a text.
  invalid_spec,
  /// Init failed: the context holds the child's id (std::string) and the reason (caf::error).
  failed_to_start_child,
};

caf::error make_error(supervisor_error code, caf::message context = {});
std::string to_string(supervisor_error code);

/// Id and reason of a {failed_to_start_child, Id, Reason} error; nullopt for any other error.
struct failed_child {
  std::string id;
  caf::error reason;
};
std::optional<failed_child> failed_to_start_child(const caf::error& err);

/// Erlang-style text of a supervisor error, an exit reason or any other caf::error.
std::string format_error(const caf::error& err);

/// One entry of which_children. OTP: {Id, Child, Type, Modules}.
struct child_info {
  /// Empty for a simple_one_for_one child (OTP: undefined).
  std::string id;
  /// Invalid when the child is not running (OTP: undefined) or being restarted.
  caf::actor handle;
  /// OTP: the atom `restarting` instead of a pid.
  bool restarting = false;
  child_type type = child_type::worker;
  /// Not in OTP's tuple: the child's restart type and how often it was restarted after exiting
  /// itself (siblings restarted with it by one_for_all / rest_for_one are not counted).
  restart_type restart = restart_type::permanent;
  std::uint64_t restarts = 0;
};

/// OTP's count_children.
struct child_counts {
  std::size_t specs = 0;
  std::size_t active = 0;
  std::size_t supervisors = 0;
  std::size_t workers = 0;
};

/// How long a supervisor call waits for the reply; empty: forever, as OTP's supervisor calls.
using call_timeout = std::optional<std::chrono::milliseconds>;

// Blocking calls, from a thread or an actor that may block. Each is one request to the supervisor
// (see the message interface below). A dead supervisor or a timeout is an error.

/// Adds and starts a child (not simple_one_for_one). The returned handle is invalid when the start
/// function returned `ignore`.
caf::expected<caf::actor> start_child(const caf::actor& sup, child_spec spec, call_timeout t = {});
/// simple_one_for_one: starts a child from the template with `extra_args`.
caf::expected<caf::actor> start_child(const caf::actor& sup, caf::message extra_args,
                                      call_timeout t = {});
/// Stops the child as its shutdown spec says; the spec stays (unless temporary).
caf::error terminate_child(const caf::actor& sup, const std::string& id, call_timeout t = {});
/// By handle: the way to stop a simple_one_for_one child.
caf::error terminate_child(const caf::actor& sup, const caf::actor& child, call_timeout t = {});
caf::expected<caf::actor> restart_child(const caf::actor& sup, const std::string& id,
                                        call_timeout t = {});
caf::error delete_child(const caf::actor& sup, const std::string& id, call_timeout t = {});
/// Newest child first, as OTP.
caf::expected<std::vector<child_info>> which_children(const caf::actor& sup, call_timeout t = {});
caf::expected<child_counts> count_children(const caf::actor& sup, call_timeout t = {});
/// Stops a supervisor (children in reverse order) and waits until it exited.
/// The reason may be normal; a supervisor with a parent stops too (use terminate_child there).
caf::error stop_supervisor(const caf::actor& sup, caf::error why = reason::shutdown(),
                           call_timeout t = {});

// The message interface, for actors that must not block: `self->request(sup, timeout, ...)`.
//   (start_child_atom, child_spec)            -> caf::actor
//   (start_child_atom, caf::message)          -> caf::actor    simple_one_for_one
//   (terminate_child_atom, std::string)       -> ()
//   (terminate_child_atom, caf::actor)        -> ()
//   (restart_child_atom, std::string)         -> caf::actor
//   (delete_child_atom, std::string)          -> ()
//   (which_children_atom)                     -> std::vector<child_info>
//   (count_children_atom)                     -> child_counts
// Errors come back as caf::error (supervisor_error or the start function's error).
using start_child_atom = caf::atom_constant<caf::atom("startchild")>;
using terminate_child_atom = caf::atom_constant<caf::atom("termchild")>;
using restart_child_atom = caf::atom_constant<caf::atom("restartchd")>;
using delete_child_atom = caf::atom_constant<caf::atom("deletechld")>;
using which_children_atom = caf::atom_constant<caf::atom("whichchild")>;
using count_children_atom = caf::atom_constant<caf::atom("countchild")>;

}  // namespace rodeo

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(rodeo::child_spec)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(rodeo::child_info)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(std::vector<rodeo::child_info>)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(rodeo::child_counts)
