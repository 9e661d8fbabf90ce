#include "rodeo/exit.hpp"

#include <caf/message.hpp>
#include <caf/sec.hpp>

namespace rodeo::reason {
namespace {

std::string context_text(const caf::error& r) {
  const auto& ctx = r.context();
  if (ctx.size() == 1 && ctx.match_element<std::string>(0)) return ctx.get_as<std::string>(0);
  // CAF's own exception handler stores (exception type, what()).
  if (ctx.size() == 2 && ctx.match_element<std::string>(1)) return ctx.get_as<std::string>(1);
  return ctx.empty() ? std::string{} : to_string(ctx);
}

}  // namespace

caf::error shutdown() {
  return caf::exit_reason::user_shutdown;
}

caf::error shutdown(std::string detail) {
  return caf::error{static_cast<uint8_t>(caf::exit_reason::user_shutdown), caf::atom("exit"),
                    caf::make_message(std::move(detail))};
}

caf::error kill() {
  return caf::exit_reason::kill;
}

caf::error crash(std::string what) {
  return caf::error{static_cast<uint8_t>(caf::exit_reason::unhandled_exception), caf::atom("exit"),
                    caf::make_message(std::move(what))};
}

bool is_shutdown(const caf::error& r) {
  return r == caf::exit_reason::user_shutdown;
}
bool is_normal(const caf::error& r) {
  return !r || r == caf::exit_reason::normal || is_shutdown(r) ||
         r == caf::exit_reason::unreachable;
}
bool is_kill(const caf::error& r) {
  return r == caf::exit_reason::kill;
}
bool is_crash(const caf::error& r) {
  return r == caf::exit_reason::unhandled_exception || r == caf::sec::runtime_error;
}
bool is_timeout(const caf::error& r) {
  return r == caf::sec::request_timeout;
}

std::string to_string(const caf::error& r) {
  if (!r || r == caf::exit_reason::normal) return "normal";
  if (is_shutdown(r)) {
    auto detail = context_text(r);
    return detail.empty() ? "shutdown" : "{shutdown," + detail + "}";
  }
  if (is_kill(r)) return "killed";
  if (is_crash(r)) return "{crash,\"" + context_text(r) + "\"}";
  if (is_timeout(r)) return "timeout";
  if (r == caf::sec::request_receiver_down) return "noproc";
  if (r == caf::exit_reason::unreachable) return "unreachable";
  return caf::to_string(r);
}

}  // namespace rodeo::reason
