// Supervisor restart time: a one_for_one supervisor with one permanent worker; the worker is told
// to crash (it stamps the time and throws), the supervisor restarts it, and the new worker stamps
// the time it runs. The figure is the gap between the two stamps: crash report, down message,
// restart decision, start function and the new actor's first run. Crash reports are built as usual
// but written to a sink that drops them, so the terminal is not the bottleneck.
//
//   bench-supervisor [--rounds 2000] [--smoke]
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>

#include <caf/all.hpp>

#include "bench_common.hpp"
#include "rodeo/runtime.hpp"
#include "rodeo/supervisor.hpp"

namespace {

/// Asks a worker to crash.
using close_atom = caf::atom_constant<caf::atom("close")>;

/// What the current worker incarnation publishes to the main thread.
struct worker_board {
  std::mutex mutex;
  std::condition_variable started;
  caf::actor current;
  uint64_t generation = 0;
  uint64_t crashed_at = 0;
  uint64_t started_at = 0;
};

caf::behavior worker(caf::event_based_actor* self, std::shared_ptr<worker_board> board) {
  {
    std::lock_guard<std::mutex> guard{board->mutex};
    board->current = caf::actor_cast<caf::actor>(self);
    board->started_at = bench::now_ns();
    ++board->generation;
  }
  board->started.notify_all();
  return {[board](close_atom) {
    board->crashed_at = bench::now_ns();
    throw std::runtime_error("crash requested by the benchmark");
  }};
}

}  // namespace

int main(int argc, char** argv) {
  bench::args opts{argc, argv};
  size_t rounds = opts.num("--rounds", opts.flag("--smoke")   ? 20
                                       : opts.flag("--quick") ? 500
                                                              : 2000);
  std::atomic<size_t> reports{0};
  rodeo::log::set_sink([&reports](rodeo::log::level, std::string_view) { ++reports; });

  // --policy sharing: CAF's work-sharing scheduler instead of Rodeo's, for side-by-side figures.
  auto cfg = std::make_unique<rodeo::node_config>();
  cfg->set("scheduler.policy", caf::atom_from_string(opts.get("--policy", "rodeo")));
  rodeo::node n{std::move(cfg)};
  auto board = std::make_shared<worker_board>();
  rodeo::supervisor_spec spec;
  spec.flags.strategy = rodeo::strategy::one_for_one;
  spec.flags.intensity = static_cast<int>(rounds) + 10;
  spec.flags.period = std::chrono::seconds{1};
  rodeo::child_spec child;
  child.id = "worker";
  child.start = [board](caf::actor_system& sys) {
    return rodeo::spawn(sys, worker, board);
  };
  spec.children.push_back(std::move(child));
  auto sup = rodeo::start_supervisor(n.system(), std::move(spec));
  if (!sup) {
    bench::skipped("supervisor_restart_us",
                   "start_supervisor failed: " + rodeo::format_error(sup.error()));
    return 1;
  }
  bench::histogram restart;
  bool ok = true;
  for (size_t r = 0; r < rounds; ++r) {
    caf::actor victim;
    uint64_t generation;
    {
      std::lock_guard<std::mutex> guard{board->mutex};
      victim = board->current;
      generation = board->generation;
    }
    caf::anon_send(victim, close_atom::value);
    victim = nullptr;
    std::unique_lock<std::mutex> guard{board->mutex};
    if (!board->started.wait_for(guard, std::chrono::seconds{5},
                                 [&] { return board->generation > generation; })) {
      bench::skipped("supervisor_restart_us",
                     "round " + std::to_string(r) + ": no restart within 5 s");
      ok = false;
      break;
    }
    restart.record(board->started_at - board->crashed_at);
  }
  if (ok) {
    auto note = std::to_string(rounds) + " restarts, one_for_one";
    bench::result("supervisor_restart_p50_us", static_cast<double>(restart.percentile(0.5)) / 1e3,
                  "us", note);
    bench::result("supervisor_restart_p99_us", static_cast<double>(restart.percentile(0.99)) / 1e3,
                  "us", note);
    if (reports.load() < rounds)
      std::fprintf(stderr, "note: %zu log lines for %zu crashes\n", reports.load(), rounds);
  }
  {
    std::lock_guard<std::mutex> guard{board->mutex};
    board->current = nullptr;
  }
  if (auto err = rodeo::stop_supervisor(*sup, rodeo::reason::shutdown(), std::chrono::seconds{10}))
    std::fprintf(stderr, "stop_supervisor: %s\n", rodeo::format_error(err).c_str());
  return ok ? 0 : 1;
}
