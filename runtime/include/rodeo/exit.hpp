#pragma once
// Exit reasons that read like Erlang's. In CAF an exit reason is a caf::error; these helpers build
// and classify them:
//   normal            -> caf::error{} (no error)               Erlang: normal
//   shutdown          -> caf::exit_reason::user_shutdown       Erlang: shutdown
//   shutdown(R)       -> user_shutdown carrying R as context   Erlang: {shutdown, R}
//   kill              -> caf::exit_reason::kill (untrappable)  Erlang: kill / killed
//   crash(what)       -> exit_reason::unhandled_exception      Erlang: {Exception, Stacktrace}
// A caller whose call got no reply in time gets caf::sec::request_timeout (Erlang: timeout), and
// one that called a dead actor gets caf::sec::request_receiver_down (Erlang: noproc).
#include <string>

#include <caf/error.hpp>
#include <caf/exit_reason.hpp>

namespace rodeo::reason {

inline caf::error normal() {
  return caf::error{};
}
caf::error shutdown();
caf::error shutdown(std::string detail);
caf::error kill();
caf::error crash(std::string what);

/// True for normal, shutdown, {shutdown, _} and CAF's `unreachable` (an actor nobody can send to
/// any more): the reasons that do not restart a transient child and produce no crash report.
bool is_normal(const caf::error& r);
bool is_shutdown(const caf::error& r);
bool is_kill(const caf::error& r);
/// An uncaught exception, in a Rodeo process ({crash, what}) or in a plain CAF actor.
bool is_crash(const caf::error& r);
/// A call that got no reply in time.
bool is_timeout(const caf::error& r);

/// Erlang-style text: normal, shutdown, {shutdown,R}, killed, {crash,"what"}, timeout, noproc,
/// unreachable, or CAF's own text for anything else.
std::string to_string(const caf::error& r);

}  // namespace rodeo::reason
