#include "rodeo/node.hpp"

#include <semaphore.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <csignal>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>

#include <caf/io/middleman.hpp>

#include "rodeo/deadline.hpp"
#include "rodeo/log.hpp"
#include "rodeo/malloc_policy.hpp"
#include "rodeo/process.hpp"
#include "rodeo/scheduler.hpp"

namespace rodeo {
namespace {

std::mutex nodes_mutex;
std::vector<std::pair<caf::actor_system*, node*>>& nodes() {
  static std::vector<std::pair<caf::actor_system*, node*>> all;
  return all;
}

// The semaphore of the node whose run() is waiting; sem_post is async-signal-safe, so the signal
// handler may wake it.
std::atomic<sem_t*> running{nullptr};
std::atomic<int> received_signal{0};

void on_signal(int sig) {
  received_signal = sig;
  if (auto* sem = running.load()) sem_post(sem);
}

}  // namespace

struct node::stopper {
  sem_t sem;
};

node_config::node_config() {
  set("scheduler.policy", scheduler::policy);
  // CAF's default is unbounded: an actor that keeps receiving would never give its worker back,
  // and neither Rodeo's scheduler nor CAF's could then stop it at shutdown.
  set("scheduler.max-throughput", size_t{100});
  set("scheduler.max-threads",
      static_cast<size_t>(std::max(1u, std::thread::hardware_concurrency())));
  load<caf::io::middleman>();
}

node::node() : node(std::make_unique<node_config>()) {}

node::node(int argc, char** argv, const char* ini_file)
    : node(std::make_unique<node_config>(), argc, argv, ini_file) {}

node::node(std::unique_ptr<node_config> cfg)
    : config_(std::move(cfg)), stop_(std::make_unique<stopper>()) {
  start();
}

node::node(std::unique_ptr<node_config> cfg, int argc, char** argv, const char* ini_file)
    : config_(std::move(cfg)), stop_(std::make_unique<stopper>()) {
  parse(argc, argv, ini_file);
  start();
}

void node::parse(int argc, char** argv, const char* ini_file) {
  caf::actor_system_config::string_list args;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg.starts_with("--caf."))
      args.push_back("--" + std::string{arg.substr(6)});
    else
      args.emplace_back(arg);
  }
  if (auto err = config_->parse(std::move(args), ini_file))
    throw std::runtime_error("invalid node configuration: " + caf::to_string(err));
}

void node::start() {
  apply_malloc_policy();
  if (caf::get_or(*config_, "scheduler.policy", scheduler::policy) == scheduler::policy)
    scheduler::install(*config_);
  system_ = std::make_unique<caf::actor_system>(*config_);
  sem_init(&stop_->sem, 0, 0);
  std::lock_guard<std::mutex> guard{nodes_mutex};
  nodes().emplace_back(system_.get(), this);
}

node::~node() {
  stop();
  {
    std::lock_guard<std::mutex> guard{flusher_mutex_};
    if (flusher_) caf::anon_send_exit(flusher_, caf::exit_reason::user_shutdown);
    flusher_ = nullptr;
  }
  // The registry and the groups hold strong handles: an idle registered actor would otherwise
  // keep the actor system waiting for it forever.
  registry_.clear();
  groups_.clear();
  // Still findable while the system shuts down: dying actors may look up their node.
  system_.reset();
  crash_reports_.flush([](std::string_view line) { log::error(line); });
  {
    std::lock_guard<std::mutex> guard{nodes_mutex};
    auto& all = nodes();
    all.erase(std::remove_if(all.begin(), all.end(), [this](auto& p) { return p.second == this; }),
              all.end());
  }
  sem_destroy(&stop_->sem);
}

void node::on_stop(std::function<void()> fn) {
  std::lock_guard<std::mutex> guard{hooks_mutex_};
  stop_hooks_.push_back(std::move(fn));
}

int node::run() {
  running = &stop_->sem;
  struct sigaction action {};
  action.sa_handler = on_signal;
  sigemptyset(&action.sa_mask);
  struct sigaction previous_int {};
  struct sigaction previous_term {};
  sigaction(SIGINT, &action, &previous_int);
  sigaction(SIGTERM, &action, &previous_term);
  while (sem_wait(&stop_->sem) != 0 && errno == EINTR) {
  }
  running = nullptr;
  sigaction(SIGINT, &previous_int, nullptr);
  sigaction(SIGTERM, &previous_term, nullptr);
  stop();
  return received_signal.exchange(0);
}

void node::request_stop() {
  sem_post(&stop_->sem);
}

void node::crash_report(std::string_view kind, std::string_view text) {
  auto write = [](std::string_view line) {
    log::error(line);
  };
  auto due = crash_reports_.report(kind, text, report_limiter::clock::now(), write);
  if (!due) return;
  {
    std::lock_guard<std::mutex> guard{hooks_mutex_};
    if (stopped_) return;  // ~node flushes what is left
  }
  caf::weak_actor_ptr flusher;
  {
    std::lock_guard<std::mutex> guard{flusher_mutex_};
    if (!flusher_)
      flusher_ =
          spawn<caf::hidden>(*system_, [this, write](caf::event_based_actor*) -> caf::behavior {
            return {[this, write](deadline_atom, int64_t) {
              crash_reports_.expire(report_limiter::clock::now(), write);
            }};
          });
    flusher = caf::actor_cast<caf::weak_actor_ptr>(flusher_);
  }
  deadlines::of(*this)->schedule(*due, std::move(flusher));
}

void node::stop() {
  std::vector<std::function<void()>> hooks;
  {
    std::lock_guard<std::mutex> guard{hooks_mutex_};
    if (stopped_) return;
    stopped_ = true;
    hooks.swap(stop_hooks_);
  }
  for (auto it = hooks.rbegin(); it != hooks.rend(); ++it) (*it)();
}

node* node::find(caf::actor_system& sys) {
  std::lock_guard<std::mutex> guard{nodes_mutex};
  // Newest first: a system allocated where a dying node's system was must find its own node.
  auto& all = nodes();
  for (auto it = all.rbegin(); it != all.rend(); ++it)
    if (it->first == &sys) return it->second;
  return nullptr;
}

node& node::of(caf::actor_system& sys) {
  if (auto* n = find(sys)) return *n;
  throw std::logic_error("this caf::actor_system was not created by rodeo::node");
}

bool register_name(caf::actor_system& sys, const std::string& name, const caf::actor& who) {
  return node::of(sys).registry().register_name(name, who);
}

caf::actor whereis(caf::actor_system& sys, const std::string& name) {
  return node::of(sys).registry().whereis(name);
}

bool unregister(caf::actor_system& sys, const std::string& name) {
  return node::of(sys).registry().unregister(name);
}

}  // namespace rodeo
