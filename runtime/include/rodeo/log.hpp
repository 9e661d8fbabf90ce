#pragma once
// A small leveled logger with a replaceable sink (stderr by default). Crash reports, listener
// warnings and handler crashes go through it, so tests and applications can capture them.
#include <functional>
#include <sstream>
#include <string>
#include <string_view>

namespace rodeo::log {

enum class level { debug, info, warning, error };

using sink_fn = std::function<void(level, std::string_view)>;

/// Replaces the sink; returns the previous one. Thread-safe.
sink_fn set_sink(sink_fn fn);
/// Messages below this level are dropped (default: info, or
/// RODEO_LOG_LEVEL=debug|info|warning|error).
void set_level(level lv);
bool enabled(level lv);
void write(level lv, std::string_view text);

template <class... Ts>
void emit(level lv, Ts&&... xs) {
  if (!enabled(lv)) return;
  std::ostringstream out;
  (out << ... << xs);
  write(lv, out.str());
}
template <class... Ts>
void debug(Ts&&... xs) {
  emit(level::debug, std::forward<Ts>(xs)...);
}
template <class... Ts>
void info(Ts&&... xs) {
  emit(level::info, std::forward<Ts>(xs)...);
}
template <class... Ts>
void warning(Ts&&... xs) {
  emit(level::warning, std::forward<Ts>(xs)...);
}
template <class... Ts>
void error(Ts&&... xs) {
  emit(level::error, std::forward<Ts>(xs)...);
}

std::string_view to_string(level lv);

}  // namespace rodeo::log
