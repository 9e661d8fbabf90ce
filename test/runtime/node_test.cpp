// A node: configuration, stop hooks, and a clean stop on SIGTERM/SIGINT.
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <thread>

#include "runtime_test.hpp"

using namespace rodeo_test;

namespace {

// argv for a node, from strings.
class args {
 public:
  args(std::initializer_list<std::string> xs) : strings_(xs) {
    for (auto& x : strings_) pointers_.push_back(x.data());
    pointers_.push_back(nullptr);
  }
  int argc() const { return static_cast<int>(strings_.size()); }
  char** argv() { return pointers_.data(); }

 private:
  std::vector<std::string> strings_;
  std::vector<char*> pointers_;
};

// An ini file that lives as long as the object.
class temp_ini {
 public:
  explicit temp_ini(const std::string& text)
      : path_(std::filesystem::temp_directory_path() /
              ("rodeo-node-test-" + std::to_string(::getpid()) + ".ini")) {
    std::ofstream{path_} << text;
  }
  ~temp_ini() { std::filesystem::remove(path_); }
  const char* path() const { return path_.c_str(); }

 private:
  std::filesystem::path path_;
};

// Runs `body` in a forked child, whose exit code is body's result. Fork before creating any node
// in the test: the child has only the forking thread. The child starts with the default SIGINT
// and SIGTERM dispositions, not Catch's handlers, so that it catches them only once a node runs.
pid_t fork_child(const std::function<int()>& body) {
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  struct sigaction old_int {};
  struct sigaction old_term {};
  ::sigaction(SIGINT, &dfl, &old_int);
  ::sigaction(SIGTERM, &dfl, &old_term);
  auto pid = ::fork();
  if (pid != 0) {
    ::sigaction(SIGINT, &old_int, nullptr);
    ::sigaction(SIGTERM, &old_term, nullptr);
  }
  if (pid == 0) {
    int code = 100;
    try {
      code = body();
    } catch (...) {
      code = 101;
    }
    ::_exit(code);
  }
  return pid;
}

// The child's exit status, waiting at most `patience` (then it is killed and nothing returned).
std::optional<int> wait_child(pid_t pid) {
  int fd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  REQUIRE(fd >= 0);
  pollfd exited{fd, POLLIN, 0};
  auto ready = ::poll(&exited, 1, static_cast<int>(std::chrono::milliseconds{patience}.count()));
  ::close(fd);
  int status = 0;
  if (ready != 1) {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, &status, 0);
    return std::nullopt;
  }
  ::waitpid(pid, &status, 0);
  return status;
}

// True once process `pid` has a handler installed for `sig` (the SigCgt mask in /proc).
bool catches(pid_t pid, int sig) {
  std::ifstream status{"/proc/" + std::to_string(pid) + "/status"};
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("SigCgt:", 0) != 0) continue;
    auto mask = std::stoull(line.substr(7), nullptr, 16);
    return (mask >> (sig - 1)) & 1u;
  }
  return false;
}

caf::behavior idle(caf::event_based_actor*) {
  return {[](ping_atom) {
    return ready_atom::value;
  }};
}

}  // namespace

TEST_CASE("a node uses Rodeo's scheduler with one worker per core") {
  rodeo::node n;
  auto policy = caf::get_or(n.config(), "scheduler.policy", caf::atom("stealing"));
  CHECK(policy == rodeo::scheduler::policy);
  auto cores = std::max(1u, std::thread::hardware_concurrency());
  CHECK(caf::get_or(n.config(), "scheduler.max-threads", size_t{0}) == cores);
  CHECK(n.system().scheduler().num_workers() == cores);
  REQUIRE(rodeo::scheduler::coordinator::of(n.system()) != nullptr);
  CHECK(rodeo::scheduler::coordinator::of(n.system())->size() == cores);
}

TEST_CASE("scheduler.policy=sharing selects CAF's work-sharing scheduler") {
  args cli{"rodeo-test", "--scheduler.policy=sharing"};
  rodeo::node n{cli.argc(), cli.argv(), nullptr};
  CHECK(rodeo::scheduler::coordinator::of(n.system()) == nullptr);
  auto cores = std::max(1u, std::thread::hardware_concurrency());
  CHECK(n.system().scheduler().num_workers() == cores);
}

TEST_CASE("node::of finds the node of an actor system") {
  rodeo::node n;
  CHECK(&rodeo::node::of(n.system()) == &n);
  caf::actor_system_config cfg;
  caf::actor_system plain{cfg};
  CHECK(rodeo::node::find(plain) == nullptr);
  CHECK_THROWS_AS(rodeo::node::of(plain), std::logic_error);
}

TEST_CASE("command-line options override the ini file which overrides the defaults") {
  temp_ini ini{"[scheduler]\nmax-threads=5\npolicy='stealing'\n"};
  args cli{"rodeo-test", "--scheduler.max-threads=3"};
  rodeo::node n{cli.argc(), cli.argv(), ini.path()};
  CHECK(caf::get_or(n.config(), "scheduler.max-threads", size_t{0}) == 3);
  CHECK(caf::get_or(n.config(), "scheduler.policy", caf::atom("")) == caf::atom("stealing"));
  CHECK(n.system().scheduler().num_workers() == 3);
}

TEST_CASE("the --caf. option prefix of newer CAF versions is accepted") {
  args cli{"rodeo-test", "--caf.scheduler.max-threads=3"};
  rodeo::node n{cli.argc(), cli.argv(), nullptr};
  CHECK(caf::get_or(n.config(), "scheduler.max-threads", size_t{0}) == 3);
  CHECK(n.system().scheduler().num_workers() == 3);
}

TEST_CASE("an unknown or invalid command-line option is refused") {
  args unknown{"rodeo-test", "--no-such-option=1"};
  CHECK_THROWS_AS(rodeo::node(unknown.argc(), unknown.argv()), std::runtime_error);
  args invalid{"rodeo-test", "--scheduler.max-threads=many"};
  CHECK_THROWS_AS(rodeo::node(invalid.argc(), invalid.argv()), std::runtime_error);
}

TEST_CASE("an application's own options are read from the command line") {
  struct app_config : rodeo::node_config {
    uint16_t port = 0;
    app_config() { opt_group{custom_options_, "global"}.add(port, "port", "listening port"); }
  };
  args cli{"rodeo-test", "--port=8080", "--caf.scheduler.max-threads=1"};
  rodeo::node n{std::make_unique<app_config>(), cli.argc(), cli.argv()};
  CHECK(static_cast<app_config&>(n.config()).port == 8080);
  CHECK(n.system().scheduler().num_workers() == 1);
}

TEST_CASE("stop hooks run once in reverse order of registration") {
  std::vector<int> order;
  {
    rodeo::node n;
    for (int i = 1; i <= 3; ++i) n.on_stop([&order, i] { order.push_back(i); });
    n.stop();
    CHECK(order == std::vector<int>{3, 2, 1});
    n.stop();
  }
  CHECK(order == std::vector<int>{3, 2, 1});
}

TEST_CASE("run returns when request_stop is called from another thread") {
  rodeo::node n;
  std::atomic<bool> hook_ran{false};
  n.on_stop([&] { hook_ran = true; });
  std::thread stopper{[&] {
    n.request_stop();
  }};
  CHECK(n.run() == 0);
  stopper.join();
  CHECK(hook_ran);
}

TEST_CASE("a node stops cleanly on SIGTERM or SIGINT and runs its stop hooks") {
  for (int sig : {SIGTERM, SIGINT}) {
    auto pid = fork_child([sig] {
      rodeo::node n;
      std::vector<int> order;
      // A server the application stops in its hook; the node then waits for it to end.
      auto server = rodeo::spawn(n.system(), idle);
      n.on_stop([&order] { order.push_back(1); });
      n.on_stop([&order, &server] {
        order.push_back(2);
        rodeo::send_exit(server, rodeo::reason::shutdown("node stopping"));
        server = nullptr;
      });
      auto got = n.run();
      return got == sig && order == std::vector<int>{2, 1} ? 42 : 1;
    });
    REQUIRE(pid > 0);
    auto deadline = std::chrono::steady_clock::now() + patience;
    while (!catches(pid, sig) && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(1ms);  // polling the child's signal mask, bounded
    REQUIRE(catches(pid, sig));
    ::kill(pid, sig);
    auto status = wait_child(pid);
    REQUIRE(status);
    CHECK(WIFEXITED(*status));
    CHECK(WEXITSTATUS(*status) == 42);
  }
}

TEST_CASE("a node stops even when idle actors stay registered or in groups") {
  auto pid = fork_child([] {
    rodeo::node n;
    REQUIRE(rodeo::register_name(n.system(), "resident", rodeo::spawn(n.system(), idle)));
    n.groups().join("residents", rodeo::spawn(n.system(), idle));
    return 0;  // ~node must not wait for them forever
  });
  REQUIRE(pid > 0);
  auto status = wait_child(pid);
  REQUIRE(status);
  CHECK(WIFEXITED(*status));
  CHECK(WEXITSTATUS(*status) == 0);
}
