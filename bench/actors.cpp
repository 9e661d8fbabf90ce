// Actor runtime micro-benchmarks on a rodeo::node with its default scheduler (Rodeo's, one worker
// per core; --policy sharing for CAF's): spawn+exit cost, memory per idle actor, request/response
// round trip, and a process-group broadcast. Every wait is bounded; results are JSON lines
// (bench_common.hpp).
//
//   bench-actors [--quick] [--smoke] [--idle 100000] [--spawns 200000] [--group 10000]
//                [--seconds 2] [--rounds 50] [--policy rodeo|sharing]
#include <malloc.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <caf/all.hpp>

#include "bench_common.hpp"
#include "rodeo/runtime.hpp"

namespace {

/// A broadcast payload: every member shares the bytes (DESIGN.md §4).
struct shared_bytes {
  std::shared_ptr<const std::string> bytes;
};

}  // namespace

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(shared_bytes)

namespace {

using std::chrono::seconds;

/// Counts arrivals from actor threads; the main thread waits for a target with a deadline.
class arrivals {
 public:
  void reset(size_t target) {
    std::lock_guard<std::mutex> guard{mutex_};
    count_ = 0;
    target_ = target;
    reached_at_ = 0;
  }
  void arrive() {
    if (count_.fetch_add(1, std::memory_order_acq_rel) + 1 != target_.load()) return;
    auto t = bench::now_ns();
    std::lock_guard<std::mutex> guard{mutex_};
    reached_at_ = t;
    done_.notify_all();
  }
  /// False when the deadline passed first.
  bool wait(std::chrono::nanoseconds timeout) {
    std::unique_lock<std::mutex> guard{mutex_};
    return done_.wait_for(guard, timeout, [this] { return reached_at_ != 0; });
  }
  uint64_t reached_at() const { return reached_at_; }
  size_t count() const { return count_.load(); }

 private:
  std::atomic<size_t> count_{0};
  std::atomic<size_t> target_{0};
  std::mutex mutex_;
  std::condition_variable done_;
  uint64_t reached_at_ = 0;
};

/// Quits in its init: what "spawn+exit" costs.
caf::behavior quitter(caf::event_based_actor* self, arrivals* exited) {
  self->attach_functor([exited] { exited->arrive(); });
  self->quit();
  return {};
}

caf::behavior idle_actor(caf::event_based_actor* self, arrivals* started, arrivals* exited) {
  self->attach_functor([exited] { exited->arrive(); });
  started->arrive();
  return {[](rodeo::data_atom, int) {
  }};
}

caf::behavior ponger(caf::event_based_actor* self, arrivals* exited) {
  self->attach_functor([exited] { exited->arrive(); });
  return {[](rodeo::call_atom, uint64_t x) {
    return x;
  }};
}

caf::behavior group_member(caf::event_based_actor* self, arrivals* started, arrivals* delivered,
                           arrivals* exited) {
  self->attach_functor([exited] { exited->arrive(); });
  started->arrive();
  return {[delivered](rodeo::data_atom, const shared_bytes&) {
    delivered->arrive();
  }};
}

bool spawn_exit(caf::actor_system& sys, size_t n) {
  arrivals exited;
  exited.reset(n);
  auto t0 = bench::now_ns();
  for (size_t i = 0; i < n; ++i) {
    rodeo::spawn(sys, quitter, &exited);
  }
  if (!exited.wait(seconds{60})) {
    bench::skipped("spawn_exit_us", "only " + std::to_string(exited.count()) + " of " +
                                        std::to_string(n) + " actors exited within 60 s");
    return false;
  }
  auto elapsed = static_cast<double>(exited.reached_at() - t0);
  bench::result("spawn_exit_us", elapsed / 1e3 / static_cast<double>(n), "us",
                std::to_string(n) + " spawns from one thread");
  bench::result("spawn_exit_rate", static_cast<double>(n) / (elapsed / 1e9), "actors/s");
  return true;
}

bool idle_memory(caf::actor_system& sys, size_t n) {
  std::vector<caf::actor> held;
  held.reserve(n);
  arrivals started;
  arrivals exited;
  started.reset(n);
  exited.reset(n);
  malloc_trim(0);
  auto rss0 = bench::vm_rss();
  for (size_t i = 0; i < n; ++i) {
    held.push_back(rodeo::spawn(sys, idle_actor, &started, &exited));
  }
  bool ok = started.wait(seconds{60});
  auto rss1 = bench::vm_rss();
  if (ok) {
    bench::result("idle_actor_bytes", static_cast<double>(rss1 - rss0) / static_cast<double>(n),
                  "B", "RSS delta over " + std::to_string(n) + " idle actors");
  } else {
    bench::skipped("idle_actor_bytes", "actors did not all start within 60 s");
  }
  for (auto& a : held) caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
  held.clear();
  if (!exited.wait(seconds{60})) {
    std::fprintf(stderr, "idle actors did not all exit within 60 s\n");
    return false;
  }
  return ok;
}

/// One pinger keeps `window` requests outstanding to one ponger for `duration`; with a window of 1
/// every sample is one request/response round trip.
struct ping_result {
  bench::histogram rtt;
  uint64_t completed = 0;
  double elapsed_s = 0;
};

ping_result ping_pong(caf::actor_system& sys, size_t window, double duration_s) {
  arrivals ponger_exited;
  ponger_exited.reset(1);
  auto pong = rodeo::spawn(sys, ponger, &ponger_exited);
  auto out = std::make_shared<ping_result>();
  arrivals finished;
  finished.reset(1);
  auto deadline = bench::now_ns() + static_cast<uint64_t>(duration_s * 1e9);
  auto pinger = [=, &finished](caf::event_based_actor* self, caf::actor target) -> caf::behavior {
    struct state {
      uint64_t started = 0;
      uint64_t outstanding = 0;
      uint64_t t0 = 0;
      std::function<void()> next;
    };
    auto st = std::make_shared<state>();
    st->t0 = bench::now_ns();
    st->next = [=, &finished] {
      auto sent_at = bench::now_ns();
      ++st->outstanding;
      self->request(target, caf::infinite, rodeo::call_atom::value, st->started++)
          .then([=, &finished](uint64_t) {
            auto now = bench::now_ns();
            out->rtt.record(now - sent_at);
            ++out->completed;
            --st->outstanding;
            if (now < deadline) {
              st->next();
            } else if (st->outstanding == 0) {
              out->elapsed_s = static_cast<double>(now - st->t0) / 1e9;
              st->next = nullptr;  // breaks the state <-> closure cycle
              self->quit();
              finished.arrive();
            }
          });
    };
    for (size_t i = 0; i < window; ++i) st->next();
    // Only the responses matter; this behaviour keeps the actor waiting for them.
    return {[](rodeo::timeout_atom) {
    }};
  };
  rodeo::spawn(sys, pinger, pong);
  if (!finished.wait(
          std::chrono::nanoseconds{static_cast<uint64_t>(duration_s * 1e9) + 30'000'000'000ull}))
    std::fprintf(stderr, "ping-pong did not finish in time\n");
  caf::anon_send_exit(pong, caf::exit_reason::user_shutdown);
  pong = nullptr;
  if (!ponger_exited.wait(seconds{30})) std::fprintf(stderr, "the ponger did not exit\n");
  return std::move(*out);
}

bool group_broadcast(rodeo::node& n, size_t members, size_t rounds) {
  auto& sys = n.system();
  const std::string group = "bench";
  arrivals started;
  arrivals delivered;
  arrivals exited;
  started.reset(members);
  exited.reset(members);
  std::vector<caf::actor> held;
  held.reserve(members);
  for (size_t i = 0; i < members; ++i) {
    held.push_back(rodeo::spawn(sys, group_member, &started, &delivered, &exited));
    n.groups().join(group, held.back());
  }
  bool ok = started.wait(seconds{60});
  bench::histogram fanout;
  bench::histogram send_call;
  auto payload = shared_bytes{std::make_shared<const std::string>(32, 'x')};
  for (size_t r = 0; ok && r < rounds; ++r) {
    delivered.reset(members);
    auto t0 = bench::now_ns();
    auto sent = n.groups().send(group, rodeo::data_atom::value, payload);
    send_call.record(bench::now_ns() - t0);
    if (sent != members || !delivered.wait(seconds{30})) {
      bench::skipped("pg_broadcast_ms", "round " + std::to_string(r) + ": " +
                                            std::to_string(delivered.count()) + " of " +
                                            std::to_string(members) + " delivered");
      ok = false;
      break;
    }
    fanout.record(delivered.reached_at() - t0);
  }
  if (ok) {
    auto note = std::to_string(members) + " members, " + std::to_string(rounds) + " rounds";
    bench::result("pg_broadcast_p50_ms", static_cast<double>(fanout.percentile(0.5)) / 1e6, "ms",
                  note + ", send to last delivery");
    bench::result("pg_broadcast_p99_ms", static_cast<double>(fanout.percentile(0.99)) / 1e6, "ms",
                  note);
    bench::result("pg_broadcast_ns_per_member",
                  static_cast<double>(fanout.percentile(0.5)) / static_cast<double>(members), "ns",
                  "median fan-out time / members");
    bench::result("pg_send_call_ms", static_cast<double>(send_call.percentile(0.5)) / 1e6, "ms",
                  "median time inside process_groups::send");
  }
  for (auto& a : held) caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
  held.clear();
  return exited.wait(seconds{60}) && ok;
}

}  // namespace

int main(int argc, char** argv) {
  bench::args opts{argc, argv};
  bool quick = opts.flag("--quick");
  bool smoke = opts.flag("--smoke");
  size_t idle = opts.num("--idle", smoke ? 2000 : 100000);
  size_t spawns = opts.num("--spawns", smoke ? 2000 : quick ? 50000 : 200000);
  size_t members = opts.num("--group", smoke ? 500 : 10000);
  size_t rounds = opts.num("--rounds", smoke ? 3 : quick ? 20 : 50);
  double secs = opts.real("--seconds", smoke ? 0.2 : quick ? 1.0 : 2.0);

  // --policy sharing: CAF's work-sharing scheduler instead of Rodeo's, for side-by-side figures.
  auto cfg = std::make_unique<rodeo::node_config>();
  cfg->set("scheduler.policy", caf::atom_from_string(opts.get("--policy", "rodeo")));
  rodeo::node n{std::move(cfg)};
  auto& sys = n.system();
  bool ok = spawn_exit(sys, spawns);
  ok = idle_memory(sys, idle) && ok;

  auto latency = ping_pong(sys, 1, secs);
  bench::result("request_rtt_p50_us", static_cast<double>(latency.rtt.percentile(0.5)) / 1e3, "us",
                "request/response, 1 outstanding");
  bench::result("request_rtt_p99_us", static_cast<double>(latency.rtt.percentile(0.99)) / 1e3,
                "us");
  bench::result("request_rate_1", static_cast<double>(latency.completed) / latency.elapsed_s,
                "req/s", "1 outstanding");
  auto throughput = ping_pong(sys, 64, secs);
  bench::result("request_rate_64", static_cast<double>(throughput.completed) / throughput.elapsed_s,
                "req/s", "64 outstanding");
  ok = ok && latency.completed > 0 && throughput.completed > 0;

  ok = group_broadcast(n, members, rounds) && ok;
  return ok ? 0 : 1;
}
