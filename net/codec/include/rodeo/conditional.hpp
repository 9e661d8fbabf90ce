#pragma once
// Conditional requests (RFC 9110 §13): entity-tag comparison and the evaluation of If-Match,
// If-Unmodified-Since, If-None-Match, If-Modified-Since and If-Range in the order §13.2.2 gives.
// Pure: the request's headers in, a decision out; the resource's validators are asked lazily.
#include <ctime>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "rodeo/http_header.hpp"
#include "rodeo/http_message.hpp"

namespace rodeo::conditional {

using http_header::etag;

/// §8.8.3.2: strong comparison (both strong, same opaque-tag) and weak (same opaque-tag).
bool strong_match(const etag& a, const etag& b);
bool weak_match(const etag& a, const etag& b);
/// "\"xyz\"" or "W/\"xyz\"".
std::string format(const etag& e);

/// What the resource knows about its current representation; each is asked at most once.
struct validators {
  std::function<std::optional<http_header::etag>()> etag;
  std::function<std::optional<std::time_t>()> last_modified;
};

enum class outcome {
  proceed,              // evaluate the method
  not_modified,         // 304 (GET/HEAD)
  precondition_failed,  // 412
};

/// §13.2.2 steps 1-4 for a resource that exists (`exists`) or not. Unparseable dates are
/// ignored, as are If-Unmodified-Since under If-Match and If-Modified-Since under If-None-Match,
/// If-Modified-Since on methods other than GET/HEAD and dates later than `now`.
outcome evaluate(const headers& h, std::string_view method, bool exists, const validators& v,
                 std::time_t now);

/// §13.2.2 step 5 (If-Range, with a Range header): true when the range applies; false serves the
/// whole representation. An entity-tag must match strongly; a date must equal Last-Modified.
bool if_range(const headers& h, const validators& v);

}  // namespace rodeo::conditional
