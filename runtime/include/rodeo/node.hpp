#pragma once
// A node: one caf::actor_system with Rodeo's defaults, its name registry and process groups, and a
// clean stop on SIGINT/SIGTERM.
//
//   int main(int argc, char** argv) {
//     rodeo::node n{argc, argv};            // --scheduler.max-threads=4, rodeo.ini, ...
//     if (n.config().cli_helptext_printed) return 0;
//     auto app = rodeo::start_application(n, "app", my_tree);   // supervision/
//     n.run();                              // blocks until SIGINT/SIGTERM, then stops cleanly
//     return 0;
//   }
#include <functional>
#include <memory>
#include <mutex>
#include <string_view>
#include <vector>

#include <caf/actor.hpp>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>

#include "rodeo/pg.hpp"
#include "rodeo/registry.hpp"
#include "rodeo/report_limiter.hpp"

namespace rodeo {

/// CAF's config with Rodeo's defaults: Rodeo's own scheduler (rodeo/scheduler.hpp) with one worker
/// per core and at most 100 messages per resume. `scheduler.policy=sharing` (or `stealing`) selects
/// one of CAF's schedulers instead; every setting can be overridden from the command line or the
/// ini file.
class node_config : public caf::actor_system_config {
 public:
  node_config();
};

class node {
 public:
  /// A node with the default configuration (reads no file and no command line).
  node();
  /// Parses the command line and, when present, `ini_file`; the command line wins. CAF 0.17
  /// spells its options `--scheduler.max-threads=3`; the `--caf.scheduler.max-threads=3` spelling
  /// of newer CAF versions is accepted too. Throws std::runtime_error on an unknown or invalid
  /// option. After `--help` CAF has printed the options and config().cli_helptext_printed is set:
  /// main should return.
  node(int argc, char** argv, const char* ini_file = "rodeo.ini");
  explicit node(std::unique_ptr<node_config> cfg);
  /// As above, with a config carrying the application's own options (opt_group{...}.add(...)).
  node(std::unique_ptr<node_config> cfg, int argc, char** argv, const char* ini_file = "rodeo.ini");
  node(const node&) = delete;
  node& operator=(const node&) = delete;
  /// Runs the stop hooks (if stop() has not), drops the registry's and the groups' handles, then
  /// waits for every remaining actor (an actor still referenced elsewhere keeps this waiting).
  ~node();

  caf::actor_system& system() noexcept { return *system_; }
  node_config& config() noexcept { return *config_; }
  rodeo::registry& registry() noexcept { return registry_; }
  /// Rate-limits this node's crash reports (identical ones: the first whole, then a count).
  report_limiter& crash_reports() noexcept { return crash_reports_; }
  /// Logs a crash report through crash_reports(). A window's count is logged when the window
  /// ends, also when no report follows (a timer on the node's deadline service), until stop().
  void crash_report(std::string_view kind, std::string_view text);
  process_groups& groups() noexcept { return groups_; }

  /// Registers `fn` to run when the node stops; hooks run in reverse order of registration (the
  /// application started last stops first).
  void on_stop(std::function<void()> fn);
  /// Blocks until SIGINT, SIGTERM or request_stop(), then stop(). Returns the signal number, or 0.
  int run();
  /// Makes run() return; callable from any thread and from a signal handler's context.
  void request_stop();
  /// Runs the stop hooks now; later calls do nothing.
  void stop();

  /// The node that owns `sys`, or nullptr for an actor system not made by rodeo::node.
  static node* find(caf::actor_system& sys);
  /// As find(), but throws std::logic_error when there is none.
  static node& of(caf::actor_system& sys);

 private:
  struct stopper;
  void parse(int argc, char** argv, const char* ini_file);
  void start();

  // Declared before system_: destroyed after it, so actors dying during shutdown can still use
  // them.
  rodeo::registry registry_;
  report_limiter crash_reports_;
  process_groups groups_;
  std::unique_ptr<node_config> config_;
  std::unique_ptr<caf::actor_system> system_;
  std::mutex hooks_mutex_;
  std::vector<std::function<void()>> stop_hooks_;
  bool stopped_ = false;
  // Receives the deadlines at which crash-report windows end; spawned on the first count.
  std::mutex flusher_mutex_;
  caf::actor flusher_;
  std::unique_ptr<stopper> stop_;
};

/// Shorthands for the node's registry: Erlang's register/2, whereis/1, unregister/1.
bool register_name(caf::actor_system& sys, const std::string& name, const caf::actor& who);
caf::actor whereis(caf::actor_system& sys, const std::string& name);
bool unregister(caf::actor_system& sys, const std::string& name);

}  // namespace rodeo
