// The HTTP server's Prometheus metrics: per-thread shards counted from metrics_h's records, summed
// by the node registry's collector at each scrape; and the /metrics route.
#include "rodeo/prometheus_h.hpp"

#include <caf/all.hpp>

#include <algorithm>
#include <array>
#include <atomic>
#include <map>
#include <mutex>
#include <string_view>
#include <tuple>
#include <unordered_map>

#include "rodeo/node.hpp"
#include "rodeo/prometheus.hpp"
#include "rodeo/req.hpp"

namespace rodeo {
namespace prometheus {

const std::vector<double>& duration_buckets() {
  static const std::vector<double> b{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                     0.1,    0.25,  0.5,    1,     2.5,  5,     10};
  return b;
}

const std::vector<double>& size_buckets() {
  static const std::vector<double> b{100, 1000, 10000, 100000, 1e6, 1e7, 1e8};
  return b;
}

namespace {

constexpr size_t n_duration = 15;  // duration_buckets() + the +Inf bucket
constexpr size_t n_size = 8;

std::string_view bounded_method(std::string_view m) {
  static constexpr std::array<std::string_view, 9> known{
      "GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"};
  for (auto k : known)
    if (k == m) return k;
  return "other";
}

std::string_view status_class(int status) {
  static constexpr std::array<std::string_view, 6> classes{"none", "1xx", "2xx",
                                                           "3xx",  "4xx", "5xx"};
  if (status < 100 || status > 599) return classes[0];
  return classes[status / 100];
}

size_t bucket_of(const std::vector<double>& bounds, double v) {
  return static_cast<size_t>(std::lower_bound(bounds.begin(), bounds.end(), v) - bounds.begin());
}

struct series {
  std::string listener, method, status_class, route;
  uint64_t requests = 0;
  std::array<uint64_t, n_duration> duration{};
  double duration_sum = 0;
  std::array<uint64_t, n_size> size{};
  uint64_t resp_bytes = 0;
  uint64_t req_bytes = 0;
};

// One worker thread's counters; its lock is taken by that thread and by scrapes only.
struct shard {
  std::mutex mutex;
  std::unordered_map<std::string, series> by_key;
  std::map<std::pair<std::string, int>, uint64_t> early_errors;  // (listener, status)
};

std::atomic<uint64_t> next_store_id{1};

class http_store {
 public:
  http_store() : id_(next_store_id++) {}

  void observe(const metrics::record& r) {
    auto& sh = mine();
    std::lock_guard<std::mutex> guard{sh.mutex};
    if (r.early_error) ++sh.early_errors[{r.ref, r.resp_status}];
    if (!r.req_start) return;  // an early error before any stream
    auto method = bounded_method(r.req ? std::string_view{r.req->method} : std::string_view{});
    auto klass = status_class(r.resp_status);
    thread_local std::string key;
    key.clear();
    key.append(r.ref).append(1, '\x1f').append(method).append(1, '\x1f').append(klass);
    key.append(1, '\x1f').append(r.route);
    auto it = sh.by_key.find(key);
    if (it == sh.by_key.end()) {
      it = sh.by_key.emplace(key, series{}).first;
      auto& s = it->second;
      s.listener = r.ref;
      s.method = method;
      s.status_class = klass;
      s.route = r.route;
    }
    auto& s = it->second;
    ++s.requests;
    if (r.req_end) {
      double took = std::chrono::duration<double>(*r.req_end - *r.req_start).count();
      ++s.duration[bucket_of(duration_buckets(), took)];
      s.duration_sum += took;
    }
    ++s.size[bucket_of(size_buckets(), static_cast<double>(r.resp_body_length))];
    s.resp_bytes += r.resp_body_length;
    s.req_bytes += r.req_body_length;
  }

  void collect(exposition& e) {
    std::map<std::tuple<std::string, std::string, std::string, std::string>, uint64_t> requests;
    struct hist {
      std::array<uint64_t, n_duration> duration{};
      double duration_sum = 0;
      std::array<uint64_t, n_size> size{};
      uint64_t size_sum = 0;
    };
    std::map<std::pair<std::string, std::string>, hist> hists;   // (listener, route)
    std::map<std::string, std::pair<uint64_t, uint64_t>> bytes;  // listener: in, out
    std::map<std::pair<std::string, int>, uint64_t> early;
    std::vector<shard*> all;
    {
      std::lock_guard<std::mutex> guard{mutex_};
      for (auto& s : shards_) all.push_back(s.get());
    }
    for (auto* sh : all) {
      std::lock_guard<std::mutex> guard{sh->mutex};
      for (auto& [k, s] : sh->by_key) {
        requests[{s.listener, s.method, s.status_class, s.route}] += s.requests;
        auto& h = hists[{s.listener, s.route}];
        for (size_t i = 0; i < n_duration; ++i) h.duration[i] += s.duration[i];
        h.duration_sum += s.duration_sum;
        for (size_t i = 0; i < n_size; ++i) h.size[i] += s.size[i];
        h.size_sum += s.resp_bytes;
        auto& b = bytes[s.listener];
        b.first += s.req_bytes;
        b.second += s.resp_bytes;
      }
      for (auto& [k, n] : sh->early_errors) early[k] += n;
    }
    e.family("rodeo_http_requests_total",
             "HTTP requests by listener, method, status class and route pattern.",
             metric_type::counter);
    for (auto& [k, n] : requests) {
      auto& [l, m, c, r] = k;
      e.sample("rodeo_http_requests_total",
               {{"listener", l}, {"method", m}, {"status_class", c}, {"route", r}},
               static_cast<double>(n));
    }
    e.family("rodeo_http_request_duration_seconds",
             "Time from the request's start to its stream's end, by listener and route pattern.",
             metric_type::histogram);
    for (auto& [k, h] : hists)
      e.histogram("rodeo_http_request_duration_seconds",
                  {{"listener", k.first}, {"route", k.second}},
                  {&duration_buckets(), {h.duration.begin(), h.duration.end()}, h.duration_sum});
    e.family("rodeo_http_response_size_bytes",
             "Response body bytes (without framing) by listener and route pattern.",
             metric_type::histogram);
    for (auto& [k, h] : hists)
      e.histogram(
          "rodeo_http_response_size_bytes", {{"listener", k.first}, {"route", k.second}},
          {&size_buckets(), {h.size.begin(), h.size.end()}, static_cast<double>(h.size_sum)});
    e.family("rodeo_http_request_body_bytes_total", "Request body bytes received, by listener.",
             metric_type::counter);
    for (auto& [l, b] : bytes)
      e.sample("rodeo_http_request_body_bytes_total", {{"listener", l}},
               static_cast<double>(b.first));
    e.family("rodeo_http_response_body_bytes_total", "Response body bytes sent, by listener.",
             metric_type::counter);
    for (auto& [l, b] : bytes)
      e.sample("rodeo_http_response_body_bytes_total", {{"listener", l}},
               static_cast<double>(b.second));
    e.family("rodeo_http_early_errors_total",
             "Requests the protocol answered itself (400, 408, 413, 414, 431, 501, 505...).",
             metric_type::counter);
    for (auto& [k, n] : early) {
      auto status = std::to_string(k.second);
      e.sample("rodeo_http_early_errors_total", {{"listener", k.first}, {"status", status}},
               static_cast<double>(n));
    }
  }

 private:
  shard& mine() {
    // Stores have unique ids (never reused), so a dead store's entry is never matched again.
    thread_local std::vector<std::pair<uint64_t, shard*>> cache;
    for (auto& [id, sh] : cache)
      if (id == id_) return *sh;
    auto owned = std::make_unique<shard>();
    auto* sh = owned.get();
    {
      std::lock_guard<std::mutex> guard{mutex_};
      shards_.push_back(std::move(owned));
    }
    cache.emplace_back(id_, sh);
    return *sh;
  }

  uint64_t id_;
  std::mutex mutex_;
  std::vector<std::unique_ptr<shard>> shards_;
};

std::mutex stores_mutex;

}  // namespace

metrics::callback http_callback(node& n) {
  auto reg = registry::of(n);
  std::shared_ptr<http_store> store;
  {
    // One store per registry, kept alive by its collector and by every callback.
    std::lock_guard<std::mutex> guard{stores_mutex};
    static std::vector<std::pair<std::weak_ptr<registry>, std::weak_ptr<http_store>>> stores;
    std::erase_if(stores, [](auto& kv) { return kv.first.expired() || kv.second.expired(); });
    for (auto& [r, s] : stores)
      if (r.lock() == reg) store = s.lock();
    if (!store) {
      store = std::make_shared<http_store>();
      stores.emplace_back(reg, store);
      reg->add("http", [store](exposition& e) { store->collect(e); });
    }
  }
  return [store](const metrics::record& r) {
    store->observe(r);
  };
}

}  // namespace prometheus

std::shared_ptr<const stream_handler_factory> prometheus_h(node& n) {
  return metrics_h(
      {.callback = prometheus::http_callback(n), .resp_headers_filter = [](const rodeo::headers&) {
         return rodeo::headers{};
       }});
}

path_list metrics_routes(std::string path) {
  return {{std::move(path), [](req& r) {
             if (r.method() != "GET" && r.method() != "HEAD") {
               r.reply(405, {{"allow", "GET, HEAD"}, {"content-length", "0"}}, {});
               return;
             }
             auto text = prometheus::registry::of(node::of(r.self()->system()))->scrape();
             r.reply(200, {{"content-type", "text/plain; version=0.0.4; charset=utf-8"}},
                     std::move(text));
           }}};
}

}  // namespace rodeo
