#pragma once
// The one bounded wait of every suite: polls a condition that no event announces (a count
// dropping, a supervisor having handled an exit) until it holds or the limit passed; and the
// window a timeout must fire in.
#include <chrono>
#include <functional>
#include <thread>

namespace rodeo_test {

inline bool eventually(const std::function<bool()>& pred,
                       std::chrono::milliseconds limit = std::chrono::seconds{10}) {
  auto end = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < end) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds{2});
  }
  return pred();
}

/// A timeout fired in a sane window: not before the configured `timeout`, well before 10x it.
/// (A generous window: the machine may be loaded; a zero-wait bug still fails it.)
inline bool in_timeout_window(std::chrono::steady_clock::duration elapsed,
                              std::chrono::milliseconds timeout) {
  return elapsed >= timeout && elapsed < 10 * timeout;
}

}  // namespace rodeo_test
