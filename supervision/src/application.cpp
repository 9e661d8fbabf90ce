#include "rodeo/application.hpp"

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <mutex>

#include <caf/all.hpp>

#include "rodeo/exit.hpp"
#include "rodeo/log.hpp"

namespace rodeo {
namespace {

struct running_application {
  node* owner;
  std::string name;
  caf::actor top;
  std::uint64_t serial;
  bool stopping;  // stop_application or the node stops it: its exit is no news
};

std::mutex apps_mutex;
std::vector<running_application>& apps() {
  static std::vector<running_application> all;
  return all;
}
std::atomic<std::uint64_t> next_serial{0};

const char* to_string(application_type type) {
  switch (type) {
    case application_type::temporary:
      return "temporary";
    case application_type::transient:
      return "transient";
    case application_type::permanent:
      return "permanent";
  }
  return "unknown";
}

// Marks the application as stopping and returns its top supervisor (invalid if not running).
caf::actor claim(std::uint64_t serial) {
  std::lock_guard<std::mutex> guard{apps_mutex};
  for (auto& app : apps())
    if (app.serial == serial && !app.stopping) {
      app.stopping = true;
      return app.top;
    }
  return nullptr;
}

void forget(std::uint64_t serial) {
  std::lock_guard<std::mutex> guard{apps_mutex};
  auto& all = apps();
  all.erase(std::remove_if(all.begin(), all.end(), [&](auto& app) { return app.serial == serial; }),
            all.end());
}

void stop_serial(std::uint64_t serial) {
  if (auto top = claim(serial)) {
    stop_supervisor(top, reason::shutdown());
    forget(serial);
  }
}

}  // namespace

caf::expected<caf::actor> start_application(node& n, std::string name, supervisor_init top,
                                            application_type type) {
  auto running = [&]() -> caf::actor {
    for (auto& app : apps())
      if (app.owner == &n && app.name == name) return app.top;
    return nullptr;
  };
  {
    std::lock_guard<std::mutex> guard{apps_mutex};
    if (auto other = running())
      return make_error(supervisor_error::already_started, caf::make_message(other));
  }
  auto sup = start_supervisor(n.system(), std::move(top));
  if (!sup) return sup.error();
  auto serial = ++next_serial;
  {
    std::lock_guard<std::mutex> guard{apps_mutex};
    if (auto other = running()) {
      // Started twice at the same time: the later one loses.
      caf::anon_send_exit(*sup, caf::exit_reason::user_shutdown);
      return make_error(supervisor_error::already_started, caf::make_message(other));
    }
    apps().push_back({&n, name, *sup, serial, false});
  }
  // The tree ending by itself (its top supervisor reached its restart intensity), as OTP's
  // application controller sees it.
  (*sup)->attach_functor([owner = &n, name, serial, type](const caf::error& why) {
    if (!claim(serial)) return;
    forget(serial);
    log::info("application ", name, " exited: ", reason::to_string(why),
              " type: ", to_string(type));
    if (type == application_type::permanent || (type == application_type::transient && why))
      owner->request_stop();
  });
  n.on_stop([serial] { stop_serial(serial); });
  return sup;
}

caf::expected<caf::actor> start_application(node& n, std::string name, supervisor_spec top,
                                            application_type type) {
  return start_application(
      n, std::move(name),
      [top = std::move(top)]() -> caf::expected<supervisor_spec> { return top; }, type);
}

caf::error stop_application(node& n, const std::string& name) {
  std::uint64_t serial = 0;
  {
    std::lock_guard<std::mutex> guard{apps_mutex};
    for (auto& app : apps())
      if (app.owner == &n && app.name == name && !app.stopping) serial = app.serial;
  }
  if (serial == 0) return make_error(supervisor_error::not_found);
  stop_serial(serial);
  return {};
}

std::vector<std::string> which_applications(node& n) {
  std::lock_guard<std::mutex> guard{apps_mutex};
  std::vector<std::string> names;
  for (auto i = apps().rbegin(); i != apps().rend(); ++i)
    if (i->owner == &n && !i->stopping) names.push_back(i->name);
  return names;
}

}  // namespace rodeo
