#pragma once
// Helpers shared by the runtime suite. Every wait is bounded by `patience`; no test sleeps.
#include <chrono>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <caf/all.hpp>
#include <catch2/catch.hpp>

#include "eventually.hpp"
#include "rodeo/runtime.hpp"

namespace rodeo_test {

using namespace std::chrono_literals;

/// Upper bound for anything that must happen; reaching it fails the test.
inline constexpr auto patience = std::chrono::seconds{10};

using go_atom = caf::atom_constant<caf::atom("go")>;
using ready_atom = caf::atom_constant<caf::atom("ready")>;
using crash_atom = caf::atom_constant<caf::atom("crash")>;
using get_atom = caf::atom_constant<caf::atom("get")>;
using add_atom = caf::atom_constant<caf::atom("add")>;
using reset_atom = caf::atom_constant<caf::atom("reset")>;
using stop_atom = caf::atom_constant<caf::atom("stop")>;
using ping_atom = caf::atom_constant<caf::atom("tping")>;

/// Captures everything written through rodeo::log while it lives.
class log_capture {
 public:
  log_capture() {
    previous_ = rodeo::log::set_sink([this](rodeo::log::level lv, std::string_view text) {
      std::lock_guard<std::mutex> guard{mutex_};
      lines_.emplace_back(lv, std::string{text});
    });
  }
  ~log_capture() { rodeo::log::set_sink(std::move(previous_)); }
  log_capture(const log_capture&) = delete;
  log_capture& operator=(const log_capture&) = delete;

  /// Error lines containing every needle.
  std::vector<std::string> errors(std::vector<std::string_view> needles = {}) const {
    std::lock_guard<std::mutex> guard{mutex_};
    std::vector<std::string> result;
    for (auto& [lv, text] : lines_) {
      if (lv != rodeo::log::level::error) continue;
      bool all = true;
      for (auto needle : needles) all = all && text.find(needle) != std::string::npos;
      if (all) result.push_back(text);
    }
    return result;
  }

  std::vector<std::string> warnings() const {
    std::lock_guard<std::mutex> guard{mutex_};
    std::vector<std::string> result;
    for (auto& [lv, text] : lines_)
      if (lv == rodeo::log::level::warning) result.push_back(text);
    return result;
  }

 private:
  mutable std::mutex mutex_;
  std::vector<std::pair<rodeo::log::level, std::string>> lines_;
  rodeo::log::sink_fn previous_;
};

/// Waits for the down message of `who`; other messages, other down messages included, stay queued.
inline caf::error await_down(caf::scoped_actor& self, const caf::actor& who) {
  auto addr = who.address();
  auto deadline = std::chrono::steady_clock::now() + patience;
  for (;;) {
    std::optional<caf::error> reason;
    bool timed_out = false;
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    self->receive(
        [&](caf::down_msg& d) -> caf::result<void> {
          if (d.source != addr) return caf::skip;  // someone else's: leave it queued
          reason = d.reason;
          return caf::unit;
        },
        caf::after(std::max(left, std::chrono::milliseconds{0})) >> [&] { timed_out = true; });
    if (reason) return *reason;
    if (timed_out) {
      FAIL("no down message within the patience bound");
      return caf::error{};
    }
  }
}

}  // namespace rodeo_test
