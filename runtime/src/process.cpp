#include "rodeo/process.hpp"

#include <exception>
#include <string>

#include <caf/attachable.hpp>

#include "rodeo/exit.hpp"
#include "rodeo/log.hpp"
#include "rodeo/node.hpp"

namespace rodeo::detail {
namespace {

std::string describe(caf::actor_system& sys, caf::actor_id id) {
  std::string text = "actor " + std::to_string(id);
  if (auto* n = node::find(sys)) {
    auto name = n->registry().name_of(id);
    if (!name.empty()) text += " (" + name + ")";
  }
  return text;
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

}  // namespace

void init_process(caf::scheduled_actor* self) {
  // The crash report is written here, where the actor's own code failed, so an actor that merely
  // follows a crashed link (it ran no failing code) adds no second report, as in OTP's proc_lib.
  self->set_exception_handler([](caf::scheduled_actor* s, std::exception_ptr& eptr) -> caf::error {
    auto what = exception_text(eptr);
    log::error("CRASH REPORT ", describe(s->system(), s->id()), " crashed: ", what);
    return reason::crash(std::move(what));
  });
  self->attach_functor([sys = &self->system(), id = self->id()](const caf::error& r) {
    if (!reason::is_normal(r) && !reason::is_kill(r) && !reason::is_crash(r))
      log::error("CRASH REPORT ", describe(*sys, id), " exited: ", reason::to_string(r));
  });
}

}  // namespace rodeo::detail
