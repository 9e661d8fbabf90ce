#include "rodeo/report_limiter.hpp"

#include <cstdio>

namespace rodeo {

void report_limiter::set_options(options o) {
  std::lock_guard<std::mutex> guard{mutex_};
  options_ = o;
}

void report_limiter::summarise(const std::string& kind, const window& w, clock::time_point now,
                               const write_fn& write) const {
  if (w.suppressed == 0) return;
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now - w.start).count();
  char span[32];
  std::snprintf(span, sizeof span, "%.1f s", static_cast<double>(ms) / 1000.0);
  std::string line = std::to_string(w.suppressed);
  line += kind.empty() ? " more reports of other kinds" : " more identical reports";
  line += " in the last ";
  line += span;
  if (!kind.empty()) line += ": " + kind;
  write(line);
}

void report_limiter::sweep(clock::time_point now, const write_fn& write) {
  for (auto it = kinds_.begin(); it != kinds_.end();) {
    if (now - it->second.start >= options_.window) {
      summarise(it->first, it->second, now, write);
      it = kinds_.erase(it);
    } else {
      ++it;
    }
  }
  if (now - others_.start >= options_.window) {
    summarise({}, others_, now, write);
    others_ = {now, 0};
  }
  // Sweeping every report would cost O(kinds) per crash; a tenth of the window is fine-grained
  // enough for summaries.
  next_sweep_ = now + options_.window / 10;
}

std::optional<report_limiter::clock::time_point> report_limiter::report(std::string_view kind,
                                                                        std::string_view text,
                                                                        clock::time_point now,
                                                                        const write_fn& write) {
  std::lock_guard<std::mutex> guard{mutex_};
  if (options_.window.count() <= 0) {
    write(text);
    return std::nullopt;
  }
  if (now >= next_sweep_) sweep(now, write);
  auto count = [this](window& w) -> std::optional<clock::time_point> {
    if (w.suppressed++ == 0) return w.start + options_.window;
    return std::nullopt;
  };
  std::string key{kind};
  if (auto it = kinds_.find(key); it != kinds_.end()) {
    if (now - it->second.start < options_.window) return count(it->second);
    summarise(it->first, it->second, now, write);
    it->second = {now, 0};
    write(text);
    return std::nullopt;
  }
  if (kinds_.size() >= options_.max_kinds) {
    if (others_.suppressed == 0) others_.start = now;
    return count(others_);
  }
  kinds_.emplace(std::move(key), window{now, 0});
  write(text);
  return std::nullopt;
}

void report_limiter::expire(clock::time_point now, const write_fn& write) {
  std::lock_guard<std::mutex> guard{mutex_};
  sweep(now, write);
}

void report_limiter::flush(const write_fn& write) {
  std::lock_guard<std::mutex> guard{mutex_};
  auto now = clock::now();
  for (auto& [kind, w] : kinds_) summarise(kind, w, now, write);
  summarise({}, others_, now, write);
  kinds_.clear();
  others_ = {now, 0};
}

uint64_t report_limiter::suppressed() const {
  std::lock_guard<std::mutex> guard{mutex_};
  uint64_t n = others_.suppressed;
  for (auto& [kind, w] : kinds_) n += w.suppressed;
  return n;
}

}  // namespace rodeo
