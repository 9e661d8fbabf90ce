#pragma once
// gen_server: a server actor written as a class with OTP's callbacks, and call/cast to talk to it.
//
//   struct counter {                                     // the callback module; members = State
//     int n;
//     counter(caf::event_based_actor* self, int start) : n(start) {}            // init/1
//     caf::behavior handle_call() {                                           // handle_call/3
//       return {[this](get_atom) { return n; },
//               [this](add_atom, int x) { return n += x; }};
//     }
//     caf::behavior handle_cast() { return {[this](reset_atom) { n = 0; }}; }  // handle_cast/2
//     caf::behavior handle_info() { return {[this](rodeo::timeout_atom) {}}; }  // handle_info/2
//     void terminate(const caf::error& reason) {}                              // terminate/2
//   };
//   auto srv = rodeo::gen_server<counter>::start(sys, 0);          // or start_link(self, 0), ...
//   caf::scoped_actor self{sys};
//   caf::expected<int> n = rodeo::call<int>(self, srv, std::chrono::seconds{1}, get_atom::value);
//   rodeo::cast(srv, reset_atom::value);
//
// - The constructor is init: it runs inside the new actor; if it takes a `caf::event_based_actor*`
//   first, it gets the server's self (to send, start timers, trap exits, reply later...). An
//   exception there ends the server with {crash, what}, like {stop, Reason} from init.
// - handle_call answers requests (rodeo::call or CAF's request): the handler's return value is the
//   reply; keeping self->make_response_promise() (return it, or caf::delegated<T>{}) and delivering
//   later is {noreply, State} plus gen_server:reply. A call no handler matches gets the error
//   caf::sec::unexpected_message.
// - handle_cast gets rodeo::cast messages; handle_info everything else, including the
//   caf::down_msg of monitored actors. Unmatched casts and infos are logged as warnings and
//   dropped. Each of the three is optional.
// - terminate(reason) runs whenever the server ends (also when killed: C++ state must be released
//   anyway), before links and monitors hear of it. To stop, a handler calls self->quit(reason)
//   (a call's reply is still sent: {stop, Reason, Reply, State}).
// - The server is a Rodeo process: crashes become {crash, what} with one crash report.
#include <chrono>
#include <exception>
#include <memory>
#include <tuple>
#include <type_traits>
#include <utility>

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>
#include <caf/behavior.hpp>
#include <caf/blocking_actor.hpp>
#include <caf/detail/default_invoke_result_visitor.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/expected.hpp>
#include <caf/local_actor.hpp>
#include <caf/message.hpp>
#include <caf/result.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/send.hpp>
#include <caf/spawn_options.hpp>
#include <caf/system_messages.hpp>

#include "rodeo/atoms.hpp"
#include "rodeo/process.hpp"

namespace rodeo {

namespace detail {

/// Logs an unmatched cast or info, as OTP's default handle_info does.
void log_unexpected(caf::local_actor* self, const char* kind, const caf::message& msg);
/// Logs an exception thrown by terminate (the server is already ending).
void log_terminate_failure(caf::local_actor* self, std::exception_ptr eptr);

struct gen_server_idle {};

template <class Impl>
class gen_server_base : public caf::event_based_actor {
 public:
  using caf::event_based_actor::event_based_actor;

 protected:
  template <class... Args>
  caf::behavior init(Args&&... args) {
    init_process(this);
    // Before the constructor runs, so that its own set_down_handler wins.
    set_default_handler([](caf::scheduled_actor* self, caf::message_view& x) {
      return static_cast<gen_server_base*>(self)->dispatch(x);
    });
    set_down_handler([](caf::scheduled_actor* self, caf::down_msg& x) {
      auto* server = static_cast<gen_server_base*>(self);
      server->info(caf::make_message(std::move(x)));
    });
    if constexpr (std::is_constructible_v<Impl, caf::event_based_actor*, Args&&...>)
      impl_ = std::make_unique<Impl>(this, std::forward<Args>(args)...);
    else
      impl_ = std::make_unique<Impl>(std::forward<Args>(args)...);
    if constexpr (requires(Impl & s) { s.handle_call(); }) calls_ = impl_->handle_call();
    if constexpr (requires(Impl & s) { s.handle_cast(); }) casts_ = impl_->handle_cast();
    if constexpr (requires(Impl & s) { s.handle_info(); }) infos_ = impl_->handle_info();
    // Every message reaches dispatch() through the default handler; this keeps the actor alive.
    return {[](gen_server_idle) {
    }};
  }

  void on_exit() override {
    if (auto impl = std::move(impl_)) {
      if constexpr (requires(Impl & s, const caf::error& r) { s.terminate(r); }) {
        try {
          impl->terminate(this->fail_state_);
        } catch (...) {
          log_terminate_failure(this, std::current_exception());
        }
      }
    }
    // The handlers capture the implementation; drop them with it.
    calls_ = caf::behavior{};
    casts_ = caf::behavior{};
    infos_ = caf::behavior{};
  }

 private:
  caf::result<caf::message> dispatch(caf::message_view& view) {
    auto msg = view.move_content_to_message();
    if (current_message_id().is_request()) {
      caf::detail::default_invoke_result_visitor<caf::event_based_actor> reply{this};
      if (calls_ && calls_(reply, msg) != caf::match_case::no_match)
        return caf::delegated<caf::message>{};
      return caf::sec::unexpected_message;
    }
    if (msg.size() > 0 && msg.match_element<cast_atom>(0)) {
      auto rest = msg.drop(1);
      if (!casts_ || !casts_(rest)) log_unexpected(this, "cast", rest);
    } else {
      info(std::move(msg));
    }
    return caf::delegated<caf::message>{};
  }

  void info(caf::message msg) {
    if (!infos_ || !infos_(msg)) log_unexpected(this, "info", msg);
  }

  std::unique_ptr<Impl> impl_;
  caf::behavior calls_;
  caf::behavior casts_;
  caf::behavior infos_;
};

template <class Impl, class... Args>
class gen_server_actor final : public gen_server_base<Impl> {
 public:
  template <class... Ts>
  explicit gen_server_actor(caf::actor_config& cfg, Ts&&... xs)
      : gen_server_base<Impl>(cfg), args_(std::forward<Ts>(xs)...) {}

  caf::behavior make_behavior() override {
    return std::apply([this](auto&... args) { return this->init(std::move(args)...); }, args_);
  }

 private:
  std::tuple<Args...> args_;
};

template <class... Rs>
struct call_result {
  using type = std::tuple<Rs...>;
};
template <>
struct call_result<> {
  using type = void;
};
template <class R>
struct call_result<R> {
  using type = R;
};

}  // namespace detail

/// gen_server:start/start_link/start_monitor for the callback class Impl. Arguments go to Impl's
/// constructor (after the self pointer, if it takes one); spawn options as in rodeo::spawn. Like
/// every spawn in CAF, start returns at once; init runs in the new actor, and its failure is the
/// server's exit reason.
template <class Impl>
struct gen_server {
  template <class... Ts>
  using actor_type = detail::gen_server_actor<Impl, std::decay_t<Ts>...>;

  template <caf::spawn_options Os = caf::no_spawn_options, class... Ts>
  static caf::actor start(caf::actor_system& sys, Ts&&... xs) {
    return sys.spawn<actor_type<Ts...>, Os>(std::forward<Ts>(xs)...);
  }
  template <caf::spawn_options Os = caf::no_spawn_options, class... Ts>
  static caf::actor start(caf::local_actor* parent, Ts&&... xs) {
    return parent->spawn<actor_type<Ts...>, Os>(std::forward<Ts>(xs)...);
  }
  /// Linked to `parent` (see rodeo::spawn_link).
  template <caf::spawn_options Os = caf::no_spawn_options, class... Ts>
  static caf::actor start_link(caf::local_actor* parent, Ts&&... xs) {
    return parent->spawn<actor_type<Ts...>, Os + caf::linked>(std::forward<Ts>(xs)...);
  }
  /// `parent` gets a caf::down_msg when the server ends.
  template <caf::spawn_options Os = caf::no_spawn_options, class... Ts>
  static caf::actor start_monitor(caf::local_actor* parent, Ts&&... xs) {
    return parent->spawn<actor_type<Ts...>, Os + caf::monitored>(std::forward<Ts>(xs)...);
  }
};

/// gen_server:call from a blocking actor: waits for the reply of type Rs... (none for a handler
/// returning void, several make a std::tuple). On failure the error is the reason the caller
/// would exit with in Erlang: caf::sec::request_timeout (timeout) when no reply came within
/// `timeout`, the server's exit reason when it died while handling the call, or
/// caf::sec::request_receiver_down (noproc) when it was not alive.
template <class... Rs, class Handle, class Rep, class Period, class... Ts>
caf::expected<typename detail::call_result<Rs...>::type> call(
    caf::blocking_actor* self, const Handle& server, std::chrono::duration<Rep, Period> timeout,
    Ts&&... xs) {
  using reply_type = typename detail::call_result<Rs...>::type;
  caf::expected<reply_type> result{caf::make_error(caf::sec::unexpected_response)};
  self->request(server, timeout, std::forward<Ts>(xs)...)
      .receive(
          [&](Rs&... rs) {
            if constexpr (sizeof...(Rs) == 0)
              result = caf::expected<void>{};
            else if constexpr (sizeof...(Rs) == 1)
              result = std::move(rs...);
            else
              result = std::make_tuple(std::move(rs)...);
          },
          [&](caf::error& err) { result = std::move(err); });
  return result;
}

template <class... Rs, class Handle, class Rep, class Period, class... Ts>
caf::expected<typename detail::call_result<Rs...>::type> call(
    caf::scoped_actor& self, const Handle& server, std::chrono::duration<Rep, Period> timeout,
    Ts&&... xs) {
  return call<Rs...>(self.ptr(), server, timeout, std::forward<Ts>(xs)...);
}

/// gen_server:call from an event-based actor: CAF's request, so the caller continues with
/// `.then(on_reply)` (or `.await`). Without an error handler a failed call ends the caller with
/// the error as exit reason, as in Erlang (timeout, noproc, or the server's reason).
template <class Self, class Handle, class Rep, class Period, class... Ts>
requires(!std::is_base_of_v<caf::blocking_actor, Self>) auto call(
    Self* self, const Handle& server, std::chrono::duration<Rep, Period> timeout, Ts&&... xs) {
  return self->request(server, timeout, std::forward<Ts>(xs)...);
}

/// gen_server:cast: fire and forget, to the server's handle_cast.
template <class Handle, class... Ts>
void cast(const Handle& server, Ts&&... xs) {
  caf::anon_send(server, cast_atom::value, std::forward<Ts>(xs)...);
}

}  // namespace rodeo
