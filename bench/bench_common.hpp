#pragma once
// Shared by every benchmark program: a monotonic clock, a latency histogram, /proc readers and the
// result line format that bench/run parses. No CAF here: the load clients must not pay for it.
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace bench {

/// CLOCK_MONOTONIC in nanoseconds. On Linux it is one clock for every process of the machine, so a
/// timestamp written by the server can be compared with the client's reading.
inline uint64_t now_ns() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000u + static_cast<uint64_t>(ts.tv_nsec);
}

/// Log-linear histogram of nanosecond values: exact below 128, then 64 buckets per power of two
/// (relative error < 1.6 %). Constant memory however many samples are recorded.
class histogram {
 public:
  histogram() : counts_(64 * 60, 0) {}

  void record(uint64_t v) {
    ++counts_[index(v)];
    ++total_;
    sum_ += static_cast<double>(v);
    if (v > max_) max_ = v;
  }
  void merge(const histogram& other) {
    for (size_t i = 0; i < counts_.size(); ++i) counts_[i] += other.counts_[i];
    total_ += other.total_;
    sum_ += other.sum_;
    if (other.max_ > max_) max_ = other.max_;
  }
  uint64_t count() const { return total_; }
  uint64_t max() const { return max_; }
  double mean() const { return total_ ? sum_ / static_cast<double>(total_) : 0.0; }
  /// The value below which a fraction q (0..1) of the samples lie (bucket midpoint).
  uint64_t percentile(double q) const {
    if (total_ == 0) return 0;
    auto rank = static_cast<uint64_t>(std::ceil(q * static_cast<double>(total_)));
    if (rank == 0) rank = 1;
    uint64_t seen = 0;
    for (size_t i = 0; i < counts_.size(); ++i) {
      seen += counts_[i];
      if (seen >= rank) return midpoint(i);
    }
    return max_;
  }

 private:
  static size_t index(uint64_t v) {
    if (v < 128) return static_cast<size_t>(v);
    int msb = 63 - __builtin_clzll(v);
    int shift = msb - 6;
    return static_cast<size_t>(64 + shift * 64 + static_cast<int>((v >> shift) - 64));
  }
  static uint64_t midpoint(size_t i) {
    if (i < 128) return i;
    uint64_t shift = (i - 64) / 64;
    uint64_t mantissa = (i - 64) % 64 + 64;
    return (mantissa << shift) + ((uint64_t{1} << shift) >> 1);
  }

  std::vector<uint64_t> counts_;
  uint64_t total_ = 0;
  uint64_t max_ = 0;
  double sum_ = 0;
};

/// One result as a JSON line on stdout: bench/run collects every line that starts with '{'.
inline void result(const std::string& metric, double value, const std::string& unit,
                   const std::string& note = "") {
  std::printf("{\"metric\":\"%s\",\"value\":%.6g,\"unit\":\"%s\",\"note\":\"%s\"}\n",
              metric.c_str(), value, unit.c_str(), note.c_str());
  std::fflush(stdout);
}

/// A skipped figure, with the reason, so the table says why it is missing.
inline void skipped(const std::string& metric, const std::string& why) {
  std::printf("{\"metric\":\"%s\",\"skipped\":\"%s\"}\n", metric.c_str(), why.c_str());
  std::fflush(stdout);
}

/// VmRSS of a process in bytes (0 if it cannot be read); pid 0 means this process.
inline uint64_t vm_rss(pid_t pid = 0) {
  std::string path = pid ? "/proc/" + std::to_string(pid) + "/status" : "/proc/self/status";
  std::ifstream in{path};
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) {
      std::istringstream fields{line.substr(6)};
      uint64_t kb = 0;
      fields >> kb;
      return kb * 1024;
    }
  }
  return 0;
}

/// User + system CPU time of another process in seconds, from /proc/<pid>/stat (-1 if unreadable).
inline double process_cpu_seconds(pid_t pid) {
  std::ifstream in{"/proc/" + std::to_string(pid) + "/stat"};
  std::string stat;
  if (!std::getline(in, stat)) return -1;
  // The command name is in parentheses and may hold spaces: fields are counted after the last ')'.
  auto close = stat.rfind(')');
  if (close == std::string::npos) return -1;
  std::istringstream fields{stat.substr(close + 2)};
  std::string field;
  unsigned long long utime = 0, stime = 0;
  for (int i = 3; i <= 15 && fields >> field; ++i) {
    if (i == 14) utime = std::stoull(field);
    if (i == 15) stime = std::stoull(field);
  }
  return static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

/// This process's own user + system CPU time in seconds (getrusage).
inline double own_cpu_seconds() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

/// A tiny "--name value" / "--flag" command line reader shared by the programs.
class args {
 public:
  args(int argc, char** argv) : items_(argv + 1, argv + argc) {}
  bool flag(const std::string& name) const {
    for (auto& x : items_)
      if (x == name) return true;
    return false;
  }
  std::string get(const std::string& name, const std::string& fallback) const {
    for (size_t i = 0; i + 1 < items_.size(); ++i)
      if (items_[i] == name) return items_[i + 1];
    return fallback;
  }
  long long num(const std::string& name, long long fallback) const {
    auto s = get(name, "");
    return s.empty() ? fallback : std::stoll(s);
  }
  double real(const std::string& name, double fallback) const {
    auto s = get(name, "");
    return s.empty() ? fallback : std::stod(s);
  }

 private:
  std::vector<std::string> items_;
};

}  // namespace bench
