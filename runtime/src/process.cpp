#include "rodeo/process.hpp"

#include <exception>
#include <memory>
#include <string>

#include <caf/attachable.hpp>
#include <caf/system_messages.hpp>

#include "rodeo/exit.hpp"
#include "rodeo/gen_server.hpp"
#include "rodeo/log.hpp"
#include "rodeo/node.hpp"

namespace rodeo::detail {
namespace {

std::string registered_name(caf::actor_system& sys, caf::actor_id id) {
  auto* n = node::find(sys);
  return n ? n->registry().name_at_exit(id) : std::string{};
}

std::string describe(caf::actor_system& sys, caf::actor_id id) {
  std::string who = "actor " + std::to_string(id);
  auto name = registered_name(sys, id);
  if (!name.empty()) who += " (" + name + ")";
  return who;
}

std::string exception_text(std::exception_ptr& eptr) {
  try {
    std::rethrow_exception(eptr);
  } catch (const std::exception& e) {
    return e.what();
  } catch (...) {
    return "unknown exception";
  }
}

// Writes the crash report when the process dies abnormally by its own doing: an uncaught
// exception or quitting with an abnormal reason. Like OTP's proc_lib, a process that merely
// follows a link partner's exit (it ran no failing code) or is killed adds no report, so one
// failure gives one report however many linked processes it takes down.
class crash_reporter final : public caf::attachable {
 public:
  crash_reporter(caf::actor_system& sys, caf::actor_id id) : sys_(sys), id_(id) {}

  void follow_link() noexcept { followed_link_ = true; }

  void actor_exited(const caf::error& r, caf::execution_unit*) override {
    if (followed_link_ || reason::is_normal(r) || reason::is_kill(r)) return;
    auto why = reason::to_string(r);
    auto text = "CRASH REPORT " + describe(sys_, id_) + " exited: " + why;
    auto* n = node::find(sys_);
    if (!n) {
      log::error(text);
      return;
    }
    // Identical failures differ only in the actor id: that is left out of the kind.
    auto name = registered_name(sys_, id_);
    auto kind = "CRASH REPORT " + (name.empty() ? "" : "(" + name + ") ") + "exited: " + why;
    n->crash_report(kind, text);
  }

 private:
  caf::actor_system& sys_;
  caf::actor_id id_;
  bool followed_link_ = false;
};

}  // namespace

void init_process(caf::scheduled_actor* self) {
  auto reporter = std::make_unique<crash_reporter>(self->system(), self->id());
  // The attachable lives until the actor's cleanup, after which no handler runs any more.
  auto* report = reporter.get();
  self->attach(std::move(reporter));
  self->set_exception_handler([](caf::scheduled_actor*, std::exception_ptr& eptr) -> caf::error {
    return reason::crash(exception_text(eptr));
  });
  // CAF's default exit handler (quit with any abnormal reason), noting that the actor followed a
  // link. An actor that traps exits replaces it with its own set_exit_handler.
  self->set_exit_handler([report](caf::scheduled_actor* s, caf::exit_msg& msg) {
    if (!msg.reason) return;
    report->follow_link();
    s->quit(std::move(msg.reason));
  });
}

void log_unexpected(caf::local_actor* self, const char* kind, const caf::message& msg) {
  log::warning(describe(self->system(), self->id()), " got an unexpected ", kind, ": ",
               caf::to_string(msg));
}

void log_terminate_failure(caf::local_actor* self, std::exception_ptr eptr) {
  log::error(describe(self->system(), self->id()), " failed in terminate: ", exception_text(eptr));
}

}  // namespace rodeo::detail

namespace rodeo {

void send_exit(const caf::actor& dest, caf::error reason) {
  if (!dest) return;
  // The source is the destination itself, as in caf::anon_send_exit: there is no sender.
  dest->enqueue(nullptr, caf::make_message_id(),
                caf::make_message(caf::exit_msg{dest.address(), std::move(reason)}), nullptr);
}

}  // namespace rodeo
