#pragma once
// Test helpers for the supervision suite: a thread-safe event log that tests wait on, workers that
// record their start and stop in it, and a manual clock for restart intensity.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <caf/all.hpp>

#include "eventually.hpp"
#include "rodeo/runtime.hpp"
#include "rodeo/supervision.hpp"

namespace sup_test {

using namespace std::chrono_literals;

// Generous: waits end as soon as the event happens; this only bounds a broken run.
inline constexpr auto wait_limit = 10s;

class event_log {
 public:
  void add(std::string event) {
    {
      std::lock_guard<std::mutex> guard{mutex_};
      events_.push_back(std::move(event));
    }
    changed_.notify_all();
  }

  std::size_t size() const {
    std::lock_guard<std::mutex> guard{mutex_};
    return events_.size();
  }

  std::vector<std::string> since(std::size_t mark) const {
    std::lock_guard<std::mutex> guard{mutex_};
    return {events_.begin() + static_cast<std::ptrdiff_t>(std::min(mark, events_.size())),
            events_.end()};
  }

  std::size_t count(const std::string& event) const {
    std::lock_guard<std::mutex> guard{mutex_};
    return static_cast<std::size_t>(std::count(events_.begin(), events_.end(), event));
  }

  /// Waits until the events recorded after `mark` number at least `n`; returns them.
  std::vector<std::string> wait_since(std::size_t mark, std::size_t n,
                                      std::chrono::milliseconds limit = wait_limit) const {
    std::unique_lock<std::mutex> guard{mutex_};
    changed_.wait_for(guard, limit, [&] { return events_.size() >= mark + n; });
    return {events_.begin() + static_cast<std::ptrdiff_t>(std::min(mark, events_.size())),
            events_.end()};
  }

  /// Waits until `event` was recorded at least `n` times.
  bool wait_count(const std::string& event, std::size_t n,
                  std::chrono::milliseconds limit = wait_limit) const {
    std::unique_lock<std::mutex> guard{mutex_};
    return changed_.wait_for(guard, limit, [&] {
      return static_cast<std::size_t>(std::count(events_.begin(), events_.end(), event)) >= n;
    });
  }

 private:
  mutable std::mutex mutex_;
  mutable std::condition_variable changed_;
  std::vector<std::string> events_;
};
using log_ptr = std::shared_ptr<event_log>;

using crash_atom = caf::atom_constant<caf::atom("crash")>;
using finish_atom = caf::atom_constant<caf::atom("finish")>;
using release_atom = caf::atom_constant<caf::atom("release")>;
using args_atom = caf::atom_constant<caf::atom("args")>;

/// What a worker does with an exit signal: exit with its reason, ignore it, or hold it until it
/// gets `release` and then exit with it.
enum class on_exit_signal { exit, ignore, hold };

/// Records "stop:<name>:<reason>" itself right before it exits (so the record precedes the DOWN
/// its supervisor waits for), "ignored:<name>" / "held:<name>" for exit signals it does not obey,
/// and "killed:<name>" when killed. `crash` throws, `finish` exits normally, `args` answers its
/// start arguments as text.
inline caf::behavior worker(caf::event_based_actor* self, log_ptr log, std::string name,
                            on_exit_signal mode, caf::message args) {
  auto held = std::make_shared<caf::error>();
  self->attach_functor([log, name](const caf::error& r) {
    if (rodeo::reason::is_kill(r)) log->add("killed:" + name);
  });
  self->set_exit_handler([=](caf::exit_msg& m) {
    if (!m.reason) return;  // a normal exit signal does nothing, as for a process not trapping
    switch (mode) {
      case on_exit_signal::exit:
        log->add("stop:" + name + ":" + rodeo::reason::to_string(m.reason));
        self->quit(m.reason);
        break;
      case on_exit_signal::ignore:
        log->add("ignored:" + name);
        break;
      case on_exit_signal::hold:
        log->add("held:" + name);
        *held = m.reason;
        break;
    }
  });
  return {
      [=](crash_atom) -> caf::result<void> {
        log->add("stop:" + name + ":crash");
        throw std::runtime_error("boom");
      },
      [=](finish_atom) {
        log->add("stop:" + name + ":normal");
        self->quit();
      },
      [=](release_atom) {
        log->add("stop:" + name + ":" + rodeo::reason::to_string(*held));
        self->quit(*held);
      },
      [=](args_atom) { return caf::to_string(args); },
  };
}

/// A worker child spec; its start function records "start:<id>" as the supervisor starts it.
inline rodeo::child_spec worker_spec(log_ptr log, std::string id,
                                     rodeo::restart_type restart = rodeo::restart_type::permanent,
                                     on_exit_signal mode = on_exit_signal::exit,
                                     std::optional<rodeo::shutdown_spec> shutdown = {}) {
  rodeo::child_spec spec;
  spec.id = id;
  spec.start = [log, id, mode](caf::actor_system& sys, const caf::message& args) {
    log->add("start:" + id);
    return rodeo::spawn(sys, worker, log, id, mode, args);
  };
  spec.restart = restart;
  spec.shutdown = shutdown;
  return spec;
}

/// The running child `id` of `sup` (invalid when none).
inline caf::actor child_of(const caf::actor& sup, const std::string& id) {
  auto children = rodeo::which_children(sup, std::chrono::milliseconds{wait_limit});
  if (!children) return nullptr;
  for (auto& c : *children)
    if (c.id == id) return c.handle;
  return nullptr;
}

/// The exit reason of `who`, or nullopt if it is still alive after the limit.
inline std::optional<caf::error> wait_down(caf::actor_system& sys, const caf::actor& who,
                                           std::chrono::milliseconds limit = wait_limit) {
  caf::scoped_actor self{sys};
  self->monitor(who);
  std::optional<caf::error> result;
  self->receive([&](caf::down_msg& m) { result = m.reason; }, caf::after(limit) >> [] {});
  return result;
}

/// For state that no event announces, such as a supervisor having handled a child's exit.
using rodeo_test::eventually;

/// Children of `sup` that are running.
inline std::size_t active_children(const caf::actor& sup) {
  auto counts = rodeo::count_children(sup, std::chrono::milliseconds{wait_limit});
  return counts ? counts->active : 0;
}

/// Child specs `sup` holds.
inline std::size_t child_specs(const caf::actor& sup) {
  auto counts = rodeo::count_children(sup, std::chrono::milliseconds{wait_limit});
  return counts ? counts->specs : 0;
}

/// A restart-intensity clock the test moves by hand.
class manual_clock {
 public:
  std::function<std::chrono::steady_clock::time_point()> fn() const {
    return [now = now_] {
      return std::chrono::steady_clock::time_point{std::chrono::milliseconds{now->load()}};
    };
  }
  void advance(std::chrono::milliseconds d) { *now_ += d.count(); }

 private:
  std::shared_ptr<std::atomic<std::int64_t>> now_ = std::make_shared<std::atomic<std::int64_t>>(0);
};

/// Collects rodeo::log output (crash and supervisor reports) instead of printing it.
class captured_log {
 public:
  captured_log() {
    previous_ = rodeo::log::set_sink([lines = lines_](rodeo::log::level, std::string_view text) {
      std::lock_guard<std::mutex> guard{lines->mutex};
      lines->text.emplace_back(text);
    });
  }
  ~captured_log() { rodeo::log::set_sink(previous_); }
  captured_log(const captured_log&) = delete;
  captured_log& operator=(const captured_log&) = delete;

  bool contains(const std::string& needle) const {
    std::lock_guard<std::mutex> guard{lines_->mutex};
    for (auto& line : lines_->text)
      if (line.find(needle) != std::string::npos) return true;
    return false;
  }

 private:
  struct lines_t {
    std::mutex mutex;
    std::vector<std::string> text;
  };
  std::shared_ptr<lines_t> lines_ = std::make_shared<lines_t>();
  rodeo::log::sink_fn previous_;
};

}  // namespace sup_test
