#pragma once
// Prometheus metrics of the HTTP server: counters fed by metrics_h's record, and the route that
// serves a node's registry (rodeo/prometheus.hpp) as the text exposition format 0.0.4.
//
//   rodeo::protocol_options proto;
//   proto.stream_handlers.insert(proto.stream_handlers.begin(), rodeo::prometheus_h(node));
//   rodeo::path_list paths = rodeo::metrics_routes("/metrics");   // GET /metrics
//   paths.push_back({"/", hello});
//   proto.env.dispatch = std::make_shared<const rodeo::dispatch>(
//       rodeo::compile(rodeo::route_list{{"_", paths}}));
//
// Labels are bounded: the listener's name, the method (the nine standard ones, else "other"),
// the status class (1xx..5xx, "none" when the client left first) and the route *pattern*
// (never the raw path; "" when no route matched). Each worker thread counts into its own shard
// under its own (uncontended) lock; a scrape sums the shards.
#include <memory>
#include <string>
#include <vector>

#include "rodeo/handler.hpp"
#include "rodeo/metrics_h.hpp"

namespace rodeo {

class node;

namespace prometheus {

/// Bucket bounds of rodeo_http_request_duration_seconds (seconds).
const std::vector<double>& duration_buckets();
/// Bucket bounds of rodeo_http_response_size_bytes (bytes).
const std::vector<double>& size_buckets();

/// A metrics_h callback that counts each record in the node's HTTP metrics (one collector per
/// node, registered on first use). Combine it with other callbacks (access_log::callback).
metrics::callback http_callback(node& n);

}  // namespace prometheus

/// metrics_h feeding prometheus::http_callback(n), keeping no response headers: put it first in
/// protocol_options::stream_handlers to count what goes on the wire.
std::shared_ptr<const stream_handler_factory> prometheus_h(node& n);

/// One route, `path`, answering GET and HEAD with the scrape of the request's node registry
/// (content-type text/plain; version=0.0.4); other methods get 405.
path_list metrics_routes(std::string path = "/metrics");

}  // namespace rodeo
