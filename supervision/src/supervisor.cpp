// The supervisor actor (OTP's supervisor behaviour) and start_supervisor; the blocking operations
// on a running supervisor are in supervisor_operations.cpp.
#include "rodeo/supervisor.hpp"

#include <algorithm>
#include <deque>
#include <exception>
#include <memory>
#include <unordered_map>
#include <unordered_set>

#include <caf/all.hpp>

#include "rodeo/exit.hpp"
#include "rodeo/log.hpp"
#include "rodeo/node.hpp"
#include "rodeo/process.hpp"
#include "supervisor_messages.hpp"
#include "supervisor_metrics.hpp"

namespace rodeo {
namespace {

using detail::stop_atom;

// Private vocabulary between supervisors and their starters.
using ack_atom = caf::atom_constant<caf::atom("supack")>;
using stop_timeout_atom = caf::atom_constant<caf::atom("supstoptmo")>;
using try_again_atom = caf::atom_constant<caf::atom("tryagain")>;

// While a supervisor runs a start function, a supervisor started in it becomes its child: it is
// spawned with this parent and acknowledges its init to it instead of blocking a thread.
struct start_context {
  caf::actor parent;
  std::vector<caf::actor> started;
};
thread_local start_context* current_start = nullptr;

shutdown_spec shutdown_of(const child_spec& spec) {
  if (spec.shutdown) return *spec.shutdown;
  return spec.type == child_type::supervisor ? shutdown::infinity : shutdown_spec{};
}

caf::error invalid_spec(std::string why) {
  return make_error(supervisor_error::invalid_spec, caf::make_message(std::move(why)));
}

caf::error validate(const child_spec& spec) {
  if (spec.id.empty()) return invalid_spec("a child spec needs an id");
  if (!spec.start) return invalid_spec("child " + spec.id + " has no start function");
  if (auto s = shutdown_of(spec); s.how == shutdown_spec::kind::timeout && s.timeout.count() < 0)
    return invalid_spec("child " + spec.id + " has a negative shutdown timeout");
  return {};
}

caf::error validate(const supervisor_spec& spec) {
  if (spec.flags.intensity < 0) return invalid_spec("intensity must be >= 0");
  if (spec.flags.period.count() <= 0) return invalid_spec("period must be > 0");
  if (spec.flags.strategy == strategy::simple_one_for_one && spec.children.size() != 1)
    return invalid_spec("a simple_one_for_one supervisor has exactly one child spec");
  std::unordered_set<std::string> ids;
  for (auto& c : spec.children) {
    if (auto err = validate(c)) return err;
    if (!ids.insert(c.id).second) return invalid_spec("duplicate child id " + c.id);
  }
  return {};
}

struct child {
  child_spec spec;
  caf::message args;  // simple_one_for_one: the extra arguments of start_child
  caf::actor handle;  // invalid: not running
  bool restarting = false;
  bool removed = false;
  std::uint64_t restarts = 0;     // after its own exits
  std::uint64_t serial = 0;       // identity for try_again messages
  std::uint64_t incarnation = 0;  // tells a stale exit from the current one
  std::uint64_t stop_token = 0;   // the shutdown timer that applies to this stop
  // Set while the supervisor waits for this child: its DOWN (being stopped, or died while
  // starting) and its init acknowledgement (a nested supervisor that is starting).
  std::function<void(const caf::error&)> on_down;
  std::function<void(const caf::error&)> on_ack;
};
using child_ptr = std::shared_ptr<child>;

class supervisor_actor : public caf::event_based_actor {
 public:
  supervisor_actor(caf::actor_config& cfg, supervisor_init init, std::string name,
                   caf::actor_addr parent, caf::actor ack_to)
      : caf::event_based_actor(cfg),
        init_(std::move(init)),
        name_(std::move(name)),
        parent_(std::move(parent)),
        ack_to_(std::move(ack_to)) {}

  const char* name() const override { return "rodeo.supervisor"; }

  caf::behavior make_behavior() override {
    // A supervisor lives until it is stopped, like an Erlang process, not until nobody holds its
    // handle (CAF's "unreachable"): it keeps itself alive until it exits.
    keep_alive_ = self_handle();
    detail::init_process(this);
    set_exit_handler([this](caf::exit_msg& m) { on_exit_signal(m); });
    set_down_handler([this](caf::down_msg& m) { on_down(m); });
    set_default_handler(
        [this](caf::scheduled_actor*, caf::message_view& x) -> caf::result<caf::message> {
          log::error("supervisor ", who(),
                     " received unexpected message: ", caf::to_string(x.copy_content_to_message()));
          return caf::sec::unexpected_message;
        });
    init();
    return {
        [this](start_child_atom, child_spec& spec) {
          return call(
              [this, spec = std::move(spec)]() mutable { handle_start_child(std::move(spec)); });
        },
        [this](start_child_atom, caf::message& args) {
          return call(
              [this, args = std::move(args)]() mutable { handle_start_dynamic(std::move(args)); });
        },
        [this](terminate_child_atom, std::string& id) {
          return call([this, id = std::move(id)] {
            // OTP: a simple_one_for_one child is named by its handle only.
            if (simple()) return reply(make_error(supervisor_error::simple_one_for_one));
            handle_terminate(find(id));
          });
        },
        [this](terminate_child_atom, caf::actor& who) {
          return call([this, who = std::move(who)] { handle_terminate(find(who)); });
        },
        [this](restart_child_atom, std::string& id) {
          return call([this, id = std::move(id)] { handle_restart_child(id); });
        },
        [this](delete_child_atom, std::string& id) {
          return call([this, id = std::move(id)] { handle_delete_child(id); });
        },
        [this](which_children_atom) { return call([this] { reply(which()); }); },
        [this](count_children_atom) { return call([this] { reply(counts()); }); },
        [this](ack_atom, caf::error& err) { on_ack(err); },
        [this](stop_timeout_atom, std::uint64_t token) { on_stop_timeout(token); },
        [this](try_again_atom, std::uint64_t serial) {
          post([this, serial] {
            if (auto c = find_serial(serial); c && c->restarting) restart(c);
          });
        },
        [this](stop_atom, caf::error& reason) {
          post([this, reason = std::move(reason)] { terminate_self(reason); });
        },
    };
  }

  void on_exit() override {
    // An Erlang link's other half: children still alive when the supervisor dies get its exit.
    for (auto& [id, c] : running_)
      if (c->handle) send_exit(c->handle, fail_state());
    // Continuations capture their child: drop them so nothing keeps the children alive.
    auto drop_waits = [](const child_ptr& c) {
      c->on_down = nullptr;
      c->on_ack = nullptr;
    };
    for (auto& [id, c] : running_) drop_waits(c);
    for (auto& c : children_) drop_waits(c);
    for (auto& [serial, c] : dynamic_) drop_waits(c);
    if (active_reply_.pending())
      active_reply_.deliver(caf::make_error(caf::sec::request_receiver_down));
    for (auto& ev : queue_)
      if (ev.reply.pending()) ev.reply.deliver(caf::make_error(caf::sec::request_receiver_down));
    queue_.clear();
    running_.clear();
    children_.clear();
    dynamic_.clear();
    ack_to_ = nullptr;
    init_ = nullptr;
    active_reply_ = caf::response_promise{};
    keep_alive_ = nullptr;
  }

 private:
  struct event {
    std::function<void()> run;
    caf::response_promise reply;
  };

  // --- the event queue: one operation at a time, as OTP's supervisor runs one call at a time.
  // Operations that wait (for a DOWN, an init acknowledgement, a timer) hold `busy_`; whatever
  // arrives meanwhile waits in the queue, in arrival order.

  caf::response_promise call(std::function<void()> run) {
    auto rp = make_response_promise();
    queue_.push_back({std::move(run), rp});
    pump();
    return rp;
  }

  void post(std::function<void()> run) {
    queue_.push_back({std::move(run), {}});
    pump();
  }

  void pump() {
    if (pumping_) return;
    pumping_ = true;
    while (!busy_ && !terminating_ && !queue_.empty()) {
      auto ev = std::move(queue_.front());
      queue_.pop_front();
      active_reply_ = std::move(ev.reply);
      ev.run();
    }
    pumping_ = false;
  }

  void begin() { busy_ = true; }
  void end() {
    busy_ = false;
    pump();
  }

  template <class T>
  void reply(T&& x) {
    if (active_reply_.pending()) active_reply_.deliver(std::forward<T>(x));
  }
  void reply_ok() { reply(caf::unit); }

  caf::actor self_handle() { return caf::actor_cast<caf::actor>(this); }

  std::string who() const { return name_.empty() ? "actor " + std::to_string(id()) : name_; }

  void report(const char* context, const caf::error& reason, const child& c) {
    report(context, format_error(reason), c);
  }
  void report(const char* context, const std::string& reason, const child& c) {
    log::error("SUPERVISOR REPORT supervisor: ", who(), " context: ", context, " reason: ", reason,
               " offender: ", c.spec.id.empty() ? "a simple_one_for_one child" : c.spec.id);
  }

  bool simple() const { return flags_.strategy == strategy::simple_one_for_one; }

  // --- init: OTP's init/1 and init_children.

  void init() {
    begin();
    if (!name_.empty()) {
      auto* n = node::find(system());
      if (n == nullptr)
        return init_failed(invalid_spec("a registered name needs a rodeo::node"), {});
      if (!n->registry().register_name(name_, self_handle())) {
        auto holder = n->registry().whereis(name_);
        return init_failed(make_error(supervisor_error::already_started, caf::make_message(holder)),
                           {});
      }
    }
    caf::expected<supervisor_spec> spec{caf::make_error(caf::sec::bad_function_call)};
    try {
      if (init_) spec = init_();
    } catch (const std::exception& e) {
      spec = reason::crash(e.what());
    } catch (...) {
      spec = reason::crash("unknown exception");
    }
    if (!spec) return init_failed(spec.error(), spec.error());
    if (auto err = validate(*spec)) return init_failed(err, err);
    flags_ = std::move(spec->flags);
    if (simple()) {
      template_ = std::move(spec->children.front());
      return init_done();
    }
    for (auto& cs : spec->children) children_.push_back(make_child(std::move(cs)));
    start_in_order(children_, 0, [this](child_ptr failed, caf::error err) {
      if (!failed) return init_done();
      auto why = make_error(supervisor_error::failed_to_start_child,
                            caf::make_message(failed->spec.id, err));
      auto started = reversed(children_);
      stop_in_order(started, 0,
                    [this, why] { init_failed(why, reason::shutdown(format_error(why))); });
    });
  }

  void init_done() {
    if (ack_to_) send(ack_to_, ack_atom::value, caf::error{});
    ack_to_ = nullptr;
    end();
  }

  // `exit_reason` empty: the start failed before the supervisor did anything; it exits normally.
  void init_failed(caf::error why, caf::error exit_reason) {
    if (ack_to_) send(ack_to_, ack_atom::value, why);
    ack_to_ = nullptr;
    terminating_ = true;
    quit(std::move(exit_reason));
  }

  // --- children

  child_ptr make_child(child_spec spec, caf::message args = {}) {
    auto c = std::make_shared<child>();
    c->spec = std::move(spec);
    c->args = std::move(args);
    c->serial = ++next_serial_;
    return c;
  }

  child_ptr find(const std::string& id) {
    for (auto& c : children_)
      if (c->spec.id == id) return c;
    return nullptr;
  }

  child_ptr find(const caf::actor& who) {
    if (!who) return nullptr;
    auto i = running_.find(who.id());
    return i != running_.end() && i->second->handle == who ? i->second : nullptr;
  }

  child_ptr find_serial(std::uint64_t serial) {
    if (simple()) {
      auto i = dynamic_.find(serial);
      return i != dynamic_.end() ? i->second : nullptr;
    }
    for (auto& c : children_)
      if (c->serial == serial) return c;
    return nullptr;
  }

  static std::vector<child_ptr> reversed(const std::vector<child_ptr>& xs) {
    return {xs.rbegin(), xs.rend()};
  }

  // The child is no longer running (it died or was stopped).
  void forget(const child_ptr& c) {
    if (!c->handle) return;
    if (auto i = running_.find(c->handle.id()); i != running_.end() && i->second == c)
      running_.erase(i);
    c->handle = nullptr;
    c->on_down = nullptr;
    c->on_ack = nullptr;
  }

  // OTP's del_child: a temporary child (and every simple_one_for_one child) goes away with its
  // process; the spec of any other child stays, not running.
  void del_child(const child_ptr& c) {
    forget(c);
    c->restarting = false;
    if (simple()) {
      dynamic_.erase(c->serial);
      c->removed = true;
    } else if (c->spec.restart == restart_type::temporary) {
      remove(c);
    }
  }

  void remove(const child_ptr& c) {
    forget(c);
    c->removed = true;
    children_.erase(std::remove(children_.begin(), children_.end(), c), children_.end());
    dynamic_.erase(c->serial);
  }

  // Runs the start function; k gets the error of a failed start. A start that returned `ignore`
  // succeeds with no handle. A nested supervisor's start completes when it acknowledged its init.
  void start_one(const child_ptr& c, std::function<void(const caf::error&)> k) {
    start_context ctx{self_handle(), {}};
    auto* outer = std::exchange(current_start, &ctx);
    auto res = c->spec.start(system(), c->args);
    current_start = outer;
    ctx.parent = nullptr;
    caf::actor h = res ? *res : caf::actor{};
    bool awaits_ack = false;
    for (auto& sup : ctx.started) {
      if (sup == h)
        awaits_ack = true;
      else
        send_exit(sup, reason::shutdown());  // started but not returned: nobody would supervise it
    }
    if (!res) return k(res.error());
    if (!h) return k({});
    c->handle = h;
    c->restarting = false;
    ++c->incarnation;
    monitor(h);
    running_[h.id()] = c;
    if (!awaits_ack) {
      log::debug("PROGRESS REPORT supervisor: ", who(), " started: ", c->spec.id, " (actor ",
                 h.id(), ")");
      return k({});
    }
    auto done = std::make_shared<std::function<void(const caf::error&)>>(std::move(k));
    c->on_ack = [this, c, done](const caf::error& err) {
      if (err) forget(c);
      (*done)(err);
    };
    c->on_down = [c, done](const caf::error& reason) {
      (*done)(reason ? reason
                     : caf::make_error(caf::sec::runtime_error,
                                       "supervisor exited before it finished starting"));
    };
  }

  void on_ack(const caf::error& err) {
    auto from = current_sender();
    if (!from) return;
    auto i = running_.find(from->id());
    if (i == running_.end() || !i->second->on_ack) return;
    auto c = i->second;
    auto k = std::move(c->on_ack);
    c->on_ack = nullptr;
    c->on_down = nullptr;
    k(err);
  }

  // Starts list[i..] in order; k(nullptr, {}) when all started, k(child, reason) at the first
  // failure (the rest are left as they are).
  void start_in_order(std::vector<child_ptr> list, std::size_t i,
                      std::function<void(child_ptr, caf::error)> k) {
    while (i < list.size() && list[i]->removed) ++i;
    if (i == list.size()) return k(nullptr, {});
    auto c = list[i];
    start_one(
        c, [this, c, list = std::move(list), i, k = std::move(k)](const caf::error& err) mutable {
          if (err) {
            report("start_error", err, *c);
            return k(c, err);
          }
          if (!c->handle && c->spec.restart == restart_type::temporary) remove(c);
          start_in_order(std::move(list), i + 1, std::move(k));
        });
  }

  // OTP's shutdown/2: exit(shutdown) and wait for the DOWN up to the timeout, then kill; or kill
  // at once (brutal_kill); or wait forever (infinity). Waiting is a monitor and a timer message.
  void stop_one(const child_ptr& c, std::function<void()> k) {
    if (!c->handle) return k();
    auto spec = shutdown_of(c->spec);
    c->on_down = [this, c, spec, k = std::move(k)](const caf::error& reason) {
      check_shutdown_reason(*c, spec, reason);
      k();
    };
    signal_stop(c, spec);
    if (spec.how == shutdown_spec::kind::timeout) {
      c->stop_token = ++next_token_;
      delayed_send(self_handle(), spec.timeout, stop_timeout_atom::value, c->stop_token);
    }
  }

  void signal_stop(const child_ptr& c, const shutdown_spec& spec) {
    send_exit(c->handle,
              spec.how == shutdown_spec::kind::brutal_kill ? reason::kill() : reason::shutdown());
  }

  void check_shutdown_reason(const child& c, const shutdown_spec& spec, const caf::error& r) {
    bool expected =
        spec.how == shutdown_spec::kind::brutal_kill ? reason::is_kill(r) : reason::is_shutdown(r);
    if (!expected && c.spec.restart != restart_type::permanent) expected = reason::is_normal(r);
    if (!expected) report("shutdown_error", r, c);
  }

  void stop_in_order(std::vector<child_ptr> list, std::size_t i, std::function<void()> k) {
    while (i < list.size() && !list[i]->handle) ++i;
    if (i == list.size()) return k();
    auto c = list[i];
    stop_one(c, [this, list = std::move(list), i, k = std::move(k)]() mutable {
      stop_in_order(std::move(list), i + 1, std::move(k));
    });
  }

  // OTP's terminate_dynamic_children: every child gets its signal at once, one timer for all.
  void stop_all_dynamic(std::function<void()> k) {
    auto spec = shutdown_of(template_);
    auto remaining = std::make_shared<std::size_t>(0);
    auto done = std::make_shared<std::function<void()>>(std::move(k));
    std::vector<child_ptr> live;
    for (auto& [serial, c] : dynamic_)
      if (c->handle) live.push_back(c);
    if (live.empty()) return (*done)();
    *remaining = live.size();
    for (auto& c : live) {
      c->on_down = [this, c, spec, remaining, done](const caf::error& reason) {
        check_shutdown_reason(*c, spec, reason);
        if (--*remaining == 0) (*done)();
      };
      signal_stop(c, spec);
    }
    if (spec.how == shutdown_spec::kind::timeout) {
      group_stop_token_ = ++next_token_;
      delayed_send(self_handle(), spec.timeout, stop_timeout_atom::value, group_stop_token_);
    }
  }

  void on_stop_timeout(std::uint64_t token) {
    auto kill_if_waiting = [this](const child_ptr& c) {
      if (c->handle && c->on_down) send_exit(c->handle, reason::kill());
    };
    if (token == group_stop_token_) {
      for (auto& [serial, c] : dynamic_) kill_if_waiting(c);
      return;
    }
    for (auto& c : children_)
      if (c->stop_token == token) kill_if_waiting(c);
  }

  void on_down(caf::down_msg& m) {
    auto i = running_.find(m.source.id());
    if (i == running_.end() || i->second->handle.address() != m.source) return;
    auto c = i->second;
    if (c->on_down) {
      auto k = std::move(c->on_down);
      forget(c);
      return k(m.reason);
    }
    forget(c);
    post([this, c, incarnation = c->incarnation, reason = std::move(m.reason)] {
      child_exited(c, incarnation, reason);
    });
  }

  void on_exit_signal(caf::exit_msg& m) {
    bool from_parent = parent_ && m.source == parent_;
    if (!from_parent && (parent_ || !m.reason)) return;  // OTP ignores other exit signals
    post([this, reason = std::move(m.reason)] { terminate_self(reason); });
  }

  // --- restarts: OTP's do_restart, restart/2 and restart/3.

  void child_exited(const child_ptr& c, std::uint64_t incarnation, const caf::error& r) {
    if (c->removed || c->incarnation != incarnation || c->handle) return;  // superseded
    switch (c->spec.restart) {
      case restart_type::permanent:
        report("child_terminated", r, *c);
        return restart(c);
      case restart_type::transient:
        if (reason::is_normal(r)) return del_child(c);
        report("child_terminated", r, *c);
        return restart(c);
      case restart_type::temporary:
        if (!reason::is_normal(r)) report("child_terminated", r, *c);
        return del_child(c);
    }
  }

  bool add_restart() {
    auto now = flags_.clock ? flags_.clock() : std::chrono::steady_clock::now();
    auto threshold = now - flags_.period;
    while (!restarts_.empty() && restarts_.front() < threshold) restarts_.pop_front();
    restarts_.push_back(now);
    return restarts_.size() <= static_cast<std::size_t>(flags_.intensity);
  }

  void restart(const child_ptr& c) {
    if (!add_restart()) {
      report("shutdown", std::string{"reached_max_restart_intensity"}, *c);
      del_child(c);
      return terminate_self(reason::shutdown());
    }
    ++c->restarts;
    detail::count_restart(system(), name_, simple() ? template_.id : c->spec.id);
    begin();
    auto retry_later = [this](const child_ptr& failed) {
      failed->restarting = true;
      send(self_handle(), try_again_atom::value, failed->serial);
    };
    switch (flags_.strategy) {
      case strategy::one_for_one:
      case strategy::simple_one_for_one:
        return start_one(c, [this, c, retry_later](const caf::error& err) {
          if (err) {
            report("start_error", err, *c);
            retry_later(c);
          } else if (!c->handle && simple()) {
            del_child(c);
          }
          end();
        });
      case strategy::one_for_all:
        return restart_multiple(children_, retry_later);
      case strategy::rest_for_one: {
        auto from = std::find(children_.begin(), children_.end(), c);
        return restart_multiple({from, children_.end()}, retry_later);
      }
    }
  }

  // OTP's restart_multiple_children: stop `list` (start order) in reverse order, dropping the
  // temporary children, then start what is left in order.
  void restart_multiple(std::vector<child_ptr> list, std::function<void(const child_ptr&)> retry) {
    auto stop_list = reversed(list);
    stop_in_order(stop_list, 0, [this, list = std::move(list), retry = std::move(retry)]() mutable {
      for (auto& c : list)
        if (c->spec.restart == restart_type::temporary) remove(c);
      start_in_order(std::move(list), 0, [this, retry](child_ptr failed, caf::error) {
        if (failed) retry(failed);
        end();
      });
    });
  }

  // OTP's terminate/2: stop every child, then exit with `reason`. Nothing else runs after it.
  void terminate_self(caf::error reason) {
    begin();
    terminating_ = true;
    auto finish = [this, reason = std::move(reason)] {
      quit(reason);
    };
    if (simple())
      stop_all_dynamic(std::move(finish));
    else
      stop_in_order(reversed(children_), 0, std::move(finish));
  }

  // --- calls

  void handle_start_child(child_spec spec) {
    if (simple()) return reply(make_error(supervisor_error::simple_one_for_one));
    if (auto err = validate(spec)) return reply(err);
    if (auto old = find(spec.id)) {
      if (old->handle)
        return reply(make_error(supervisor_error::already_started, caf::make_message(old->handle)));
      return reply(make_error(supervisor_error::already_present));
    }
    auto c = make_child(std::move(spec));
    begin();
    start_one(c, [this, c](const caf::error& err) {
      if (err) {
        reply(err);
      } else {
        if (c->handle || c->spec.restart != restart_type::temporary) children_.push_back(c);
        reply(c->handle);
      }
      end();
    });
  }

  void handle_start_dynamic(caf::message args) {
    if (!simple())
      return reply(
          invalid_spec("start_child with arguments needs a simple_one_for_one supervisor"));
    auto c = make_child(template_, std::move(args));
    begin();
    start_one(c, [this, c](const caf::error& err) {
      if (err) {
        reply(err);
      } else {
        if (c->handle) dynamic_.emplace(c->serial, c);
        reply(c->handle);
      }
      end();
    });
  }

  void handle_terminate(const child_ptr& c) {
    if (!c) return reply(make_error(supervisor_error::not_found));
    begin();
    stop_one(c, [this, c] {
      del_child_after_terminate(c);
      reply_ok();
      end();
    });
  }

  // OTP's terminate_child keeps the spec of a permanent or transient static child.
  void del_child_after_terminate(const child_ptr& c) {
    forget(c);
    c->restarting = false;
    if (simple() || c->spec.restart == restart_type::temporary) remove(c);
  }

  void handle_restart_child(const std::string& id) {
    if (simple()) return reply(make_error(supervisor_error::simple_one_for_one));
    auto c = find(id);
    if (!c) return reply(make_error(supervisor_error::not_found));
    if (c->handle) return reply(make_error(supervisor_error::running));
    if (c->restarting) return reply(make_error(supervisor_error::restarting));
    begin();
    start_one(c, [this, c](const caf::error& err) {
      if (err)
        reply(err);
      else
        reply(c->handle);
      end();
    });
  }

  void handle_delete_child(const std::string& id) {
    if (simple()) return reply(make_error(supervisor_error::simple_one_for_one));
    auto c = find(id);
    if (!c) return reply(make_error(supervisor_error::not_found));
    if (c->handle) return reply(make_error(supervisor_error::running));
    if (c->restarting) return reply(make_error(supervisor_error::restarting));
    remove(c);
    reply_ok();
  }

  std::vector<child_info> which() const {
    std::vector<child_info> out;
    if (simple()) {
      out.reserve(dynamic_.size());
      for (auto& [serial, c] : dynamic_)
        out.push_back({{}, c->handle, c->restarting, c->spec.type, c->spec.restart, c->restarts});
    } else {
      for (auto i = children_.rbegin(); i != children_.rend(); ++i)
        out.push_back({(*i)->spec.id, (*i)->handle, (*i)->restarting, (*i)->spec.type,
                       (*i)->spec.restart, (*i)->restarts});
    }
    return out;
  }

  child_counts counts() const {
    child_counts n;
    if (simple()) {
      std::size_t restarting = 0;
      for (auto& [serial, c] : dynamic_) restarting += c->restarting ? 1 : 0;
      n.specs = 1;
      n.active = dynamic_.size() - restarting;
      (template_.type == child_type::supervisor ? n.supervisors : n.workers) = dynamic_.size();
      return n;
    }
    for (auto& c : children_) {
      ++n.specs;
      if (c->handle) ++n.active;
      ++(c->spec.type == child_type::supervisor ? n.supervisors : n.workers);
    }
    return n;
  }

  supervisor_init init_;
  std::string name_;
  caf::actor_addr parent_;
  caf::actor ack_to_;  // who waits for the init result; released once told
  caf::actor keep_alive_;
  supervisor_flags flags_;
  child_spec template_;                                   // simple_one_for_one
  std::vector<child_ptr> children_;                       // static children, start order
  std::unordered_map<std::uint64_t, child_ptr> dynamic_;  // simple_one_for_one, by serial
  std::unordered_map<caf::actor_id, child_ptr> running_;  // every running child
  std::deque<std::chrono::steady_clock::time_point> restarts_;
  std::deque<event> queue_;
  caf::response_promise active_reply_;
  bool busy_ = false;
  bool pumping_ = false;
  bool terminating_ = false;
  std::uint64_t next_serial_ = 0;
  std::uint64_t next_token_ = 0;
  std::uint64_t group_stop_token_ = 0;
};

}  // namespace

caf::expected<caf::actor> start_fn::operator()(caf::actor_system& sys,
                                               const caf::message& args) const {
  try {
    return fn_(sys, args);
  } catch (const std::exception& e) {
    return reason::crash(e.what());
  } catch (...) {
    return reason::crash("unknown exception");
  }
}

caf::expected<caf::actor> start_supervisor(caf::actor_system& sys, supervisor_init init,
                                           std::string name) {
  if (auto* ctx = current_start; ctx && &ctx->parent.home_system() == &sys) {
    auto sup = sys.spawn<supervisor_actor>(std::move(init), std::move(name), ctx->parent.address(),
                                           ctx->parent);
    ctx->started.push_back(sup);
    return sup;
  }
  caf::scoped_actor self{sys};
  auto sup = sys.spawn<supervisor_actor>(std::move(init), std::move(name), caf::actor_addr{},
                                         caf::actor{self});
  self->monitor(sup);
  caf::expected<caf::actor> result{caf::make_error(caf::sec::runtime_error)};
  self->receive(
      [&](ack_atom, caf::error& err) {
        if (err)
          result = std::move(err);
        else
          result = sup;
      },
      [&](caf::down_msg& m) {
        result = m.reason ? std::move(m.reason)
                          : caf::make_error(caf::sec::runtime_error,
                                            "supervisor exited before it finished starting");
      });
  self->demonitor(sup);
  // A tree started from a thread has no parent to stop it: its node does, when it stops.
  if (auto* n = node::find(sys); n != nullptr && result) {
    n->on_stop([addr = sup.address()] {
      if (auto top = caf::actor_cast<caf::actor>(addr)) stop_supervisor(top);
    });
  }
  return result;
}

caf::expected<caf::actor> start_supervisor(caf::actor_system& sys, supervisor_spec spec,
                                           std::string name) {
  return start_supervisor(
      sys, [spec = std::move(spec)]() -> caf::expected<supervisor_spec> { return spec; },
      std::move(name));
}

}  // namespace rodeo
