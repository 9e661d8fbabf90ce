// The process collector: what Prometheus' client libraries export as process_* (from /proc/self),
// plus the node's running actors.
#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>

#include <caf/actor_registry.hpp>
#include <caf/actor_system.hpp>

#include "rodeo/node.hpp"
#include "rodeo/prometheus.hpp"

namespace rodeo::prometheus {
namespace {

struct proc_stat {
  double utime = 0, stime = 0;  // clock ticks
  double starttime = 0;         // clock ticks after boot
  double vsize = 0;             // bytes
  double rss = 0;               // pages
  bool ok = false;
};

proc_stat read_stat() {
  proc_stat st;
  std::ifstream in{"/proc/self/stat"};
  std::string line;
  if (!std::getline(in, line)) return st;
  // The command name may hold spaces and parentheses: fields start after the last ')'.
  auto close = line.rfind(')');
  if (close == std::string::npos) return st;
  std::istringstream fields{line.substr(close + 2)};
  std::string f;
  for (int i = 3; fields >> f; ++i) {
    if (i == 14) st.utime = std::stod(f);
    if (i == 15) st.stime = std::stod(f);
    if (i == 22) st.starttime = std::stod(f);
    if (i == 23) st.vsize = std::stod(f);
    if (i == 24) {
      st.rss = std::stod(f);
      st.ok = true;
      break;
    }
  }
  return st;
}

double boot_time() {
  std::ifstream in{"/proc/stat"};
  std::string key;
  double value;
  while (in >> key) {
    if (key == "btime" && in >> value) return value;
    in.ignore(1 << 20, '\n');
  }
  return 0;
}

double open_fds() {
  DIR* d = ::opendir("/proc/self/fd");
  if (!d) return 0;
  double n = 0;
  while (auto* e = ::readdir(d))
    if (e->d_name[0] != '.') ++n;
  ::closedir(d);
  return n - 1;  // the directory stream's own descriptor
}

}  // namespace

collector process_collector(node* n) {
  return [n](exposition& e) {
    auto st = read_stat();
    if (st.ok) {
      double ticks = static_cast<double>(::sysconf(_SC_CLK_TCK));
      double page = static_cast<double>(::sysconf(_SC_PAGESIZE));
      e.family("process_cpu_seconds_total", "Total user and system CPU time spent in seconds.",
               metric_type::counter);
      e.sample("process_cpu_seconds_total", {}, (st.utime + st.stime) / ticks);
      e.family("process_resident_memory_bytes", "Resident memory size in bytes.",
               metric_type::gauge);
      e.sample("process_resident_memory_bytes", {}, st.rss * page);
      e.family("process_virtual_memory_bytes", "Virtual memory size in bytes.", metric_type::gauge);
      e.sample("process_virtual_memory_bytes", {}, st.vsize);
      e.family("process_start_time_seconds",
               "Start time of the process since unix epoch in seconds.", metric_type::gauge);
      e.sample("process_start_time_seconds", {}, boot_time() + st.starttime / ticks);
    }
    e.family("process_open_fds", "Number of open file descriptors.", metric_type::gauge);
    e.sample("process_open_fds", {}, open_fds());
    rlimit lim{};
    if (::getrlimit(RLIMIT_NOFILE, &lim) == 0) {
      e.family("process_max_fds", "Maximum number of open file descriptors.", metric_type::gauge);
      e.sample("process_max_fds", {}, static_cast<double>(lim.rlim_cur));
    }
    if (n) {
      e.family("rodeo_actors_running", "Actors alive in the node's actor system.",
               metric_type::gauge);
      e.sample("rodeo_actors_running", {}, static_cast<double>(n->system().registry().running()));
    }
  };
}

}  // namespace rodeo::prometheus
