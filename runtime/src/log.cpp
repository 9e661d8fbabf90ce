#include "rodeo/log.hpp"

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <mutex>

namespace rodeo::log {
namespace {

level initial_level() {
  const char* env = std::getenv("RODEO_LOG_LEVEL");
  if (env == nullptr) return level::info;
  if (std::strcmp(env, "debug") == 0) return level::debug;
  if (std::strcmp(env, "warning") == 0) return level::warning;
  if (std::strcmp(env, "error") == 0) return level::error;
  return level::info;
}

std::atomic<level> current_level{initial_level()};
std::mutex sink_mutex;

void stderr_sink(level lv, std::string_view text) {
  std::cerr << '[' << to_string(lv) << "] " << text << '\n';
}

sink_fn& current_sink() {
  static sink_fn fn = stderr_sink;
  return fn;
}

}  // namespace

std::string_view to_string(level lv) {
  switch (lv) {
    case level::debug:
      return "debug";
    case level::info:
      return "info";
    case level::warning:
      return "warning";
    case level::error:
      return "error";
  }
  return "?";
}

sink_fn set_sink(sink_fn fn) {
  std::lock_guard<std::mutex> guard{sink_mutex};
  auto previous = std::move(current_sink());
  current_sink() = fn ? std::move(fn) : sink_fn{stderr_sink};
  return previous;
}

void set_level(level lv) {
  current_level = lv;
}
bool enabled(level lv) {
  return lv >= current_level.load(std::memory_order_relaxed);
}

void write(level lv, std::string_view text) {
  std::lock_guard<std::mutex> guard{sink_mutex};
  current_sink()(lv, text);
}

}  // namespace rodeo::log
