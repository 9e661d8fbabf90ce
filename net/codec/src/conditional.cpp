#include "rodeo/conditional.hpp"

#include <algorithm>

namespace rodeo::conditional {
namespace {

// Memoizes the resource's validators: Cowboy calls generate_etag and last_modified once.
class cache {
 public:
  explicit cache(const validators& v) : v_(v) {}
  const std::optional<etag>& tag() {
    if (!tag_) tag_ = v_.etag ? v_.etag() : std::nullopt;
    return *tag_;
  }
  const std::optional<std::time_t>& modified() {
    if (!modified_) modified_ = v_.last_modified ? v_.last_modified() : std::nullopt;
    return *modified_;
  }

 private:
  const validators& v_;
  std::optional<std::optional<etag>> tag_;
  std::optional<std::optional<std::time_t>> modified_;
};

bool is_get_or_head(std::string_view m) {
  return m == "GET" || m == "HEAD";
}

}  // namespace

bool strong_match(const etag& a, const etag& b) {
  return !a.weak && !b.weak && a.opaque == b.opaque;
}

bool weak_match(const etag& a, const etag& b) {
  return a.opaque == b.opaque;
}

std::string format(const etag& e) {
  return (e.weak ? "W/\"" : "\"") + e.opaque + "\"";
}

outcome evaluate(const headers& h, std::string_view method, bool exists, const validators& v,
                 std::time_t now) {
  cache c{v};
  // 1. If-Match: true for "*" when the resource exists, or when a listed tag matches strongly.
  if (auto* im = h.find("if-match")) {
    auto list = http_header::parse_if_match(*im);
    if (!exists || !list) return outcome::precondition_failed;
    if (!list->any) {
      auto& cur = c.tag();
      bool hit = cur && std::any_of(list->tags.begin(), list->tags.end(),
                                    [&](auto& t) { return strong_match(t, *cur); });
      if (!hit) return outcome::precondition_failed;
    }
  } else if (auto* ius = h.find("if-unmodified-since"); ius && exists) {
    // 2. If-Unmodified-Since: false when modified after the date.
    auto date = http_header::parse_date(*ius);
    auto& lm = c.modified();
    if (date && lm && *lm > *date) return outcome::precondition_failed;
  }
  auto failed_or_304 =
      is_get_or_head(method) ? outcome::not_modified : outcome::precondition_failed;
  // 3. If-None-Match: false for "*" when the resource exists, or when a tag matches weakly.
  if (auto* inm = h.find("if-none-match")) {
    auto list = http_header::parse_if_none_match(*inm);
    if (!list || !exists) return outcome::proceed;
    if (list->any) return failed_or_304;
    auto& cur = c.tag();
    if (cur && std::any_of(list->tags.begin(), list->tags.end(),
                           [&](auto& t) { return weak_match(t, *cur); }))
      return failed_or_304;
    return outcome::proceed;
  }
  // 4. If-Modified-Since (GET and HEAD): false when not modified since the date.
  if (auto* ims = h.find("if-modified-since"); ims && exists && is_get_or_head(method)) {
    auto date = http_header::parse_date(*ims);
    if (!date || *date > now) return outcome::proceed;
    auto& lm = c.modified();
    if (lm && *lm <= *date) return outcome::not_modified;
  }
  return outcome::proceed;
}

bool if_range(const headers& h, const validators& v) {
  auto* ir = h.find("if-range");
  if (!ir || !h.contains("range")) return true;
  auto value = http_header::trim_ows(*ir);
  if (value.starts_with("\"") || value.starts_with("W/")) {
    auto tag = http_header::parse_etag(value);
    auto cur = v.etag ? v.etag() : std::nullopt;
    return tag && cur && strong_match(*tag, *cur);
  }
  auto date = http_header::parse_date(value);
  auto lm = v.last_modified ? v.last_modified() : std::nullopt;
  return date && lm && *date == *lm;
}

}  // namespace rodeo::conditional
