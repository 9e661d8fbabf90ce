// The Prometheus text exposition format 0.0.4 and the node's registry of collectors.
#include "rodeo/prometheus.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <stdexcept>

#include "rodeo/log.hpp"
#include "rodeo/node.hpp"

namespace rodeo::prometheus {

std::string escape_label_value(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '"')
      out += "\\\"";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}

std::string escape_help(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}

std::string format_value(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[32];
  // Integral values (counters, byte counts) print exactly, without an exponent, up to 2^53.
  if (v == std::floor(v) && std::fabs(v) < 9007199254740992.0)
    std::snprintf(buf, sizeof buf, "%.0f", v);
  else
    // The shortest text that reads back as the same double (0.1, not 0.10000000000000001).
    for (int precision = 15; precision <= 17; ++precision) {
      std::snprintf(buf, sizeof buf, "%.*g", precision, v);
      if (std::strtod(buf, nullptr) == v) break;
    }
  return buf;
}

namespace {

const char* type_name(metric_type t) {
  switch (t) {
    case metric_type::counter:
      return "counter";
    case metric_type::gauge:
      return "gauge";
    case metric_type::histogram:
      return "histogram";
    default:
      return "untyped";
  }
}

}  // namespace

void exposition::family(std::string_view name, std::string_view help, metric_type type) {
  std::string n{name};
  if (std::find(families_.begin(), families_.end(), n) != families_.end())
    throw std::logic_error("prometheus: family " + n + " written twice in one scrape");
  families_.push_back(n);
  out_ += "# HELP ";
  out_ += name;
  out_ += ' ';
  out_ += escape_help(help);
  out_ += "\n# TYPE ";
  out_ += name;
  out_ += ' ';
  out_ += type_name(type);
  out_ += '\n';
}

void exposition::merge(exposition&& other) {
  for (auto& f : other.families_)
    if (std::find(families_.begin(), families_.end(), f) != families_.end())
      throw std::logic_error("prometheus: family " + f + " written twice in one scrape");
  families_.insert(families_.end(), other.families_.begin(), other.families_.end());
  out_ += other.out_;
}

void exposition::write_labels(const labels& ls, std::string_view extra_name,
                              std::string_view extra_value) {
  if (ls.empty() && extra_name.empty()) return;
  out_ += '{';
  bool first = true;
  auto one = [&](std::string_view k, std::string_view v) {
    if (!first) out_ += ',';
    first = false;
    out_ += k;
    out_ += "=\"";
    out_ += escape_label_value(v);
    out_ += '"';
  };
  for (auto& [k, v] : ls) one(k, v);
  if (!extra_name.empty()) one(extra_name, extra_value);
  out_ += '}';
}

void exposition::sample(std::string_view name, const labels& ls, double value) {
  out_ += name;
  write_labels(ls);
  out_ += ' ';
  out_ += format_value(value);
  out_ += '\n';
}

void exposition::histogram(std::string_view name, const labels& ls, const histogram_data& h) {
  std::string bucket = std::string{name} + "_bucket";
  uint64_t total = 0;
  auto& bounds = *h.bounds;
  for (size_t i = 0; i <= bounds.size(); ++i) {
    total += i < h.counts.size() ? h.counts[i] : 0;
    out_ += bucket;
    write_labels(ls, "le", i < bounds.size() ? format_value(bounds[i]) : "+Inf");
    out_ += ' ';
    out_ += format_value(static_cast<double>(total));
    out_ += '\n';
  }
  sample(std::string{name} + "_sum", ls, h.sum);
  sample(std::string{name} + "_count", ls, static_cast<double>(total));
}

// -- registry -------------------------------------------------------------------------------------

namespace {

std::mutex registries_mutex;

std::map<node*, std::shared_ptr<registry>>& registries() {
  static std::map<node*, std::shared_ptr<registry>> all;
  return all;
}

}  // namespace

registry::registry() = default;

std::shared_ptr<registry> registry::of(node& n) {
  std::lock_guard<std::mutex> guard{registries_mutex};
  auto& all = registries();
  if (auto i = all.find(&n); i != all.end()) return i->second;
  auto r = std::make_shared<registry>();
  r->add("process", process_collector(&n));
  all.emplace(&n, r);
  n.on_stop([np = &n] {
    std::lock_guard<std::mutex> guard{registries_mutex};
    registries().erase(np);
  });
  return r;
}

void registry::add(std::string key, collector c) {
  std::lock_guard<std::mutex> guard{mutex_};
  for (auto& [k, v] : collectors_)
    if (k == key) {
      v = std::move(c);
      return;
    }
  collectors_.emplace_back(std::move(key), std::move(c));
}

bool registry::add_once(const std::string& key, const std::function<collector()>& make) {
  std::lock_guard<std::mutex> guard{mutex_};
  for (auto& kv : collectors_)
    if (kv.first == key) return true;
  collectors_.emplace_back(key, make());
  return false;
}

void registry::remove(const std::string& key) {
  std::lock_guard<std::mutex> guard{mutex_};
  std::erase_if(collectors_, [&](auto& kv) { return kv.first == key; });
}

std::string registry::scrape() {
  std::vector<std::pair<std::string, collector>> cs;
  {
    std::lock_guard<std::mutex> guard{mutex_};
    cs = collectors_;
  }
  exposition e;
  uint64_t failed = 0;
  for (auto& [key, c] : cs) {
    // A failing collector must not leave half a family behind: it writes into its own text.
    exposition part;
    try {
      c(part);
      e.merge(std::move(part));
    } catch (const std::exception& ex) {
      ++failed;
      log::error("prometheus: collector ", key, " failed: ", ex.what());
    }
  }
  uint64_t errors;
  {
    std::lock_guard<std::mutex> guard{mutex_};
    errors = errors_ += failed;
  }
  try {
    e.family("rodeo_scrape_errors_total", "Collectors that failed during a scrape.",
             metric_type::counter);
    e.sample("rodeo_scrape_errors_total", {}, static_cast<double>(errors));
  } catch (const std::logic_error&) {
  }
  return e.take();
}

}  // namespace rodeo::prometheus
