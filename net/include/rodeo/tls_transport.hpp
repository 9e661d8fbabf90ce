#pragma once
// TLS as a transport (Ranch's ranch_ssl): the same interface as plain TCP, over a plain TCP
// transport. The handshake runs inside the first reads, so the protocol above does not know it is
// there; a failed handshake reads as an error and is counted by cause in the listener's tls_stats,
// which logs the first failure of each cause only.
#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "rodeo/tls_context.hpp"
#include "rodeo/transport.hpp"

namespace rodeo {

/// A TLS listener's handshake counters.
class tls_stats {
 public:
  explicit tls_stats(std::string listener) : listener_(std::move(listener)) {}
  void handshake_done() noexcept { handshakes_.fetch_add(1, std::memory_order_relaxed); }
  /// Counts a failed handshake; logs (warning) the first of each cause.
  void handshake_failed(const std::string& cause);

  uint64_t handshakes() const noexcept { return handshakes_.load(std::memory_order_relaxed); }
  uint64_t failures() const;
  std::map<std::string, uint64_t> failures_by_cause() const;

 private:
  std::string listener_;
  std::atomic<uint64_t> handshakes_{0};
  mutable std::mutex mutex_;
  std::map<std::string, uint64_t> failures_;
};

/// TLS over `tcp` (an open plain transport), server side.
std::unique_ptr<transport> make_tls_transport(std::unique_ptr<transport> tcp,
                                              std::shared_ptr<const tls_context> context,
                                              std::shared_ptr<tls_stats> stats);

}  // namespace rodeo
