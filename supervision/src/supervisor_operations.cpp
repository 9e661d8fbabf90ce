// OTP's supervisor API around the actor: nested supervisor child specs, the operations on a running
// supervisor (start_child, terminate_child, which_children, ...: each is one request from a scoped
// actor, so it blocks the calling thread), and the supervisor's error values.
#include <caf/all.hpp>

#include "rodeo/exit.hpp"
#include "rodeo/supervisor.hpp"
#include "supervisor_messages.hpp"

namespace rodeo {
namespace {

using detail::stop_atom;

constexpr caf::atom_value error_category = caf::atom("supervisor");

template <class... Ts>
caf::error call_unit(const caf::actor& sup, call_timeout t, Ts&&... xs) {
  if (!sup) return caf::make_error(caf::sec::invalid_argument);
  caf::scoped_actor self{sup->home_system()};
  caf::error result;
  auto timeout = t ? caf::duration{*t} : caf::duration{caf::infinite};
  self->request(sup, timeout, std::forward<Ts>(xs)...)
      .receive([] {}, [&](caf::error& err) { result = std::move(err); });
  return result;
}

template <class T, class... Ts>
caf::expected<T> call_value(const caf::actor& sup, call_timeout t, Ts&&... xs) {
  if (!sup) return caf::make_error(caf::sec::invalid_argument);
  caf::scoped_actor self{sup->home_system()};
  caf::expected<T> result{caf::make_error(caf::sec::invalid_argument)};
  auto timeout = t ? caf::duration{*t} : caf::duration{caf::infinite};
  self->request(sup, timeout, std::forward<Ts>(xs)...)
      .receive([&](T& x) { result = std::move(x); },
               [&](caf::error& err) { result = std::move(err); });
  return result;
}

}  // namespace

child_spec supervisor_child(std::string id, supervisor_init init, restart_type restart) {
  child_spec spec;
  spec.id = std::move(id);
  spec.start = [init = std::move(init)](caf::actor_system& sys) {
    return start_supervisor(sys, init);
  };
  spec.restart = restart;
  spec.shutdown = shutdown::infinity;
  spec.type = child_type::supervisor;
  return spec;
}

child_spec supervisor_child(std::string id, supervisor_spec spec, restart_type restart) {
  return supervisor_child(
      std::move(id), [spec = std::move(spec)]() -> caf::expected<supervisor_spec> { return spec; },
      restart);
}

caf::error make_error(supervisor_error code, caf::message context) {
  return {static_cast<std::uint8_t>(code), error_category, std::move(context)};
}

std::string to_string(supervisor_error code) {
  switch (code) {
    case supervisor_error::already_present:
      return "already_present";
    case supervisor_error::already_started:
      return "already_started";
    case supervisor_error::not_found:
      return "not_found";
    case supervisor_error::running:
      return "running";
    case supervisor_error::restarting:
      return "restarting";
    case supervisor_error::simple_one_for_one:
      return "simple_one_for_one";
    case supervisor_error::invalid_spec:
      return "invalid_spec";
    case supervisor_error::failed_to_start_child:
      return "failed_to_start_child";
  }
  return "unknown";
}

std::optional<failed_child> failed_to_start_child(const caf::error& err) {
  if (!err || err != supervisor_error::failed_to_start_child) return std::nullopt;
  auto& ctx = err.context();
  if (!ctx.match_elements<std::string, caf::error>()) return std::nullopt;
  return failed_child{ctx.get_as<std::string>(0), ctx.get_as<caf::error>(1)};
}

std::string format_error(const caf::error& err) {
  // caf::error's accessors must not be called on an empty (normal) error.
  if (!err || err.category() != error_category) return reason::to_string(err);
  auto code = static_cast<supervisor_error>(err.code());
  auto& ctx = err.context();
  std::string out = "{";
  if (auto f = failed_to_start_child(err)) {
    out += "failed_to_start_child,\"";
    out += f->id;
    out += "\",";
    out += format_error(f->reason);
  } else if (code == supervisor_error::already_started && ctx.match_elements<caf::actor>()) {
    out += "already_started,actor ";
    out += std::to_string(ctx.get_as<caf::actor>(0).id());
  } else if (ctx.match_elements<std::string>()) {
    out += to_string(code);
    out += ",\"";
    out += ctx.get_as<std::string>(0);
    out += "\"";
  } else {
    return to_string(code);
  }
  out += "}";
  return out;
}

caf::expected<caf::actor> start_child(const caf::actor& sup, child_spec spec, call_timeout t) {
  return call_value<caf::actor>(sup, t, start_child_atom::value, std::move(spec));
}

caf::expected<caf::actor> start_child(const caf::actor& sup, caf::message extra_args,
                                      call_timeout t) {
  return call_value<caf::actor>(sup, t, start_child_atom::value, std::move(extra_args));
}

caf::error terminate_child(const caf::actor& sup, const std::string& id, call_timeout t) {
  return call_unit(sup, t, terminate_child_atom::value, id);
}

caf::error terminate_child(const caf::actor& sup, const caf::actor& child, call_timeout t) {
  return call_unit(sup, t, terminate_child_atom::value, child);
}

caf::expected<caf::actor> restart_child(const caf::actor& sup, const std::string& id,
                                        call_timeout t) {
  return call_value<caf::actor>(sup, t, restart_child_atom::value, id);
}

caf::error delete_child(const caf::actor& sup, const std::string& id, call_timeout t) {
  return call_unit(sup, t, delete_child_atom::value, id);
}

caf::expected<std::vector<child_info>> which_children(const caf::actor& sup, call_timeout t) {
  return call_value<std::vector<child_info>>(sup, t, which_children_atom::value);
}

caf::expected<child_counts> count_children(const caf::actor& sup, call_timeout t) {
  return call_value<child_counts>(sup, t, count_children_atom::value);
}

caf::error stop_supervisor(const caf::actor& sup, caf::error why, call_timeout t) {
  if (!sup) return caf::make_error(caf::sec::invalid_argument);
  caf::scoped_actor self{sup->home_system()};
  self->monitor(sup);
  self->send(sup, stop_atom::value, std::move(why));
  caf::error result;
  auto on_down = [](caf::down_msg&) {
  };
  if (t)
    self->receive(
        on_down, caf::after(*t) >> [&] { result = caf::make_error(caf::sec::request_timeout); });
  else
    self->receive(on_down);
  self->demonitor(sup);
  return result;
}

}  // namespace rodeo
