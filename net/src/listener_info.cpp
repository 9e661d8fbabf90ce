// ranch:info and ranch:procs of the node's listeners, and their Prometheus collector.
#include <algorithm>
#include <limits>
#include <utility>
#include <vector>

#include <caf/all.hpp>

#include "listener_registry.hpp"
#include "rodeo/supervisor.hpp"

namespace rodeo {
namespace detail {

// -- The node's listeners ----------------------------------------------------------------------

std::mutex registry_mutex;
std::map<node*, std::map<std::string, listener_entry>>& listeners() {
  static std::map<node*, std::map<std::string, listener_entry>> all;
  return all;
}

std::optional<listener_entry> find(node& n, const std::string& name) {
  std::lock_guard<std::mutex> guard{registry_mutex};
  auto& all = listeners();
  auto i = all.find(&n);
  if (i == all.end()) return std::nullopt;
  auto j = i->second.find(name);
  if (j == i->second.end() || !j->second.sup) return std::nullopt;
  return j->second;
}

caf::actor conns_of(const listener_entry& e) {
  std::lock_guard<std::mutex> guard{e.ls->mutex};
  return e.ls->conns;
}

listener_info info_of(const std::string& name, const listener_entry& e) {
  auto& ls = *e.ls;
  listener_info i{name, ls.transport.ip, 0, e.sup};
  i.transport = ls.protocols.tls() ? "tls" : "tcp";
  i.protocols = {"http/1.1"};
  i.active_connections = ls.connections.load();
  i.max_connections = ls.max_connections.load();
  i.num_acceptors = std::max<size_t>(1, ls.transport.num_acceptors);
  i.accepted = ls.accepted.load();
  i.refused = ls.accept_errors.load();
  std::lock_guard<std::mutex> guard{ls.mutex};
  i.port = ls.port;
  i.status = ls.draining         ? listener_status::draining
             : ls.listen_fd >= 0 ? listener_status::running
                                 : listener_status::suspended;
  return i;
}

// The node's listeners in its Prometheus registry (one collector for all of them).
void collect_listeners(node* np, prometheus::exposition& e) {
  std::vector<std::pair<std::string, std::shared_ptr<listener_state>>> ls;
  {
    std::lock_guard<std::mutex> guard{registry_mutex};
    auto& all = listeners();
    if (auto i = all.find(np); i != all.end())
      for (auto& [name, entry] : i->second)
        if (entry.sup) ls.emplace_back(name, entry.ls);
  }
  using prometheus::metric_type;
  auto each = [&](const char* name, const char* help, metric_type type, auto value) {
    e.family(name, help, type);
    for (auto& [n, l] : ls) e.sample(name, {{"listener", n}}, value(*l));
  };
  each("rodeo_listener_connections", "Open connections.", metric_type::gauge,
       [](listener_state& l) { return static_cast<double>(l.connections.load()); });
  each("rodeo_listener_max_connections", "The listener's max_connections (+Inf: infinity).",
       metric_type::gauge, [](listener_state& l) {
         auto m = l.max_connections.load();
         return m == infinity ? std::numeric_limits<double>::infinity() : static_cast<double>(m);
       });
  each("rodeo_listener_accepted_total", "Connections accepted.", metric_type::counter,
       [](listener_state& l) { return static_cast<double>(l.accepted.load()); });
  each("rodeo_listener_accept_errors_total",
       "Accepts that failed for lack of resources (EMFILE, ENFILE, ENOBUFS, ENOMEM).",
       metric_type::counter,
       [](listener_state& l) { return static_cast<double>(l.accept_errors.load()); });
  e.family("rodeo_listener_status", "1 for the listener's current status.", metric_type::gauge);
  for (auto& [n, l] : ls) {
    listener_status now;
    {
      std::lock_guard<std::mutex> guard{l->mutex};
      now = l->draining         ? listener_status::draining
            : l->listen_fd >= 0 ? listener_status::running
                                : listener_status::suspended;
    }
    for (auto [st, text] : {std::pair{listener_status::running, "running"},
                            std::pair{listener_status::suspended, "suspended"},
                            std::pair{listener_status::draining, "draining"}})
      e.sample("rodeo_listener_status", {{"listener", n}, {"status", text}}, now == st ? 1 : 0);
  }
}

}  // namespace detail

using namespace detail;

std::optional<listener_status> get_status(node& n, const std::string& name) {
  auto e = find(n, name);
  if (!e) return std::nullopt;
  return info_of(name, *e).status;
}

std::optional<listener_info> info(node& n, const std::string& name) {
  auto e = find(n, name);
  if (!e) return std::nullopt;
  return info_of(name, *e);
}

std::vector<listener_info> info(node& n) {
  std::vector<std::pair<std::string, listener_entry>> all;
  {
    std::lock_guard<std::mutex> guard{registry_mutex};
    if (auto i = listeners().find(&n); i != listeners().end())
      for (auto& [name, e] : i->second)
        if (e.sup) all.emplace_back(name, e);
  }
  std::vector<listener_info> out;
  for (auto& [name, e] : all) out.push_back(info_of(name, e));
  return out;
}

std::vector<caf::actor> procs(node& n, const std::string& name, proc_type type) {
  auto e = find(n, name);
  if (!e) return {};
  std::vector<caf::actor> out;
  if (type == proc_type::acceptors) {
    // Ranch asks the acceptors' supervisor: an acceptor registers itself in the listener state only
    // once it runs, which may be after start_clear returned.
    auto top = which_children(e->sup, std::chrono::milliseconds{5000});
    if (!top) return out;
    for (auto& c : *top)
      if (c.id == "acceptors" && c.handle)
        if (auto children = which_children(c.handle, std::chrono::milliseconds{5000}))
          for (auto& a : *children)
            if (a.handle) out.push_back(a.handle);
    return out;
  }
  if (auto c = conns_of(*e)) {
    caf::scoped_actor self{n.system()};
    self->request(c, std::chrono::seconds{5}, which_atom::value)
        .receive([&](std::vector<caf::actor>& v) { out = std::move(v); }, [](caf::error&) {});
  }
  return out;
}

}  // namespace rodeo
