#include "rodeo/node.hpp"

#include <semaphore.h>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <cerrno>
#include <stdexcept>
#include <thread>

#include <caf/io/middleman.hpp>

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
  set("scheduler.policy", caf::atom("sharing"));
  set("scheduler.max-threads", static_cast<size_t>(std::max(1u, std::thread::hardware_concurrency())));
  load<caf::io::middleman>();
}

node::node() : node(std::make_unique<node_config>()) {}

node::node(int argc, char** argv, const char* ini_file)
    : config_(std::make_unique<node_config>()), stop_(std::make_unique<stopper>()) {
  if (auto err = config_->parse(argc, argv, ini_file))
    throw std::runtime_error("invalid node configuration: " + caf::to_string(err));
  system_ = std::make_unique<caf::actor_system>(*config_);
  attach();
}

node::node(std::unique_ptr<node_config> cfg)
    : config_(std::move(cfg)), stop_(std::make_unique<stopper>()) {
  system_ = std::make_unique<caf::actor_system>(*config_);
  attach();
}

void node::attach() {
  sem_init(&stop_->sem, 0, 0);
  std::lock_guard<std::mutex> guard{nodes_mutex};
  nodes().emplace_back(system_.get(), this);
}

node::~node() {
  stop();
  {
    std::lock_guard<std::mutex> guard{nodes_mutex};
    auto& all = nodes();
    all.erase(std::remove_if(all.begin(), all.end(), [this](auto& p) { return p.second == this; }),
              all.end());
  }
  system_.reset();
  sem_destroy(&stop_->sem);
}

void node::on_stop(std::function<void()> fn) {
  std::lock_guard<std::mutex> guard{hooks_mutex_};
  stop_hooks_.push_back(std::move(fn));
}

int node::run() {
  running = &stop_->sem;
  auto previous_int = std::signal(SIGINT, on_signal);
  auto previous_term = std::signal(SIGTERM, on_signal);
  while (sem_wait(&stop_->sem) != 0 && errno == EINTR) {
  }
  running = nullptr;
  std::signal(SIGINT, previous_int);
  std::signal(SIGTERM, previous_term);
  stop();
  return received_signal.exchange(0);
}

void node::request_stop() { sem_post(&stop_->sem); }

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
  for (auto& [s, n] : nodes())
    if (s == &sys) return n;
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
