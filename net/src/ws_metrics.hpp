#pragma once
// WebSocket session counts of a node, for its Prometheus registry: opened, ended, closes by code.
#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>

namespace rodeo {
class node;
}

namespace rodeo::detail {

struct ws_counters {
  std::atomic<uint64_t> opened{0};
  std::atomic<uint64_t> ended{0};
  std::atomic<uint64_t> send_queue_overflows{0};
  std::mutex mutex;
  std::map<uint16_t, uint64_t> closes;  // guarded; 1006: ended without a close frame

  void count_close(uint16_t code) {
    std::lock_guard<std::mutex> guard{mutex};
    ++closes[code];
  }
};

/// The node's counters; the first call registers their collector.
std::shared_ptr<ws_counters> ws_counters_of(node& n);

}  // namespace rodeo::detail
