#pragma once
// REST handlers, as Cowboy's cowboy_rest: derive from rest_handler and override the callbacks
// your resource needs; each has Cowboy's name and default. init() runs the decision flow
// (rest_flow.cpp, written as a state machine following Cowboy's REST flowcharts), which calls the
// callbacks, answers the errors (405, 406, 412, 304...) and builds the response.
//
//   struct hello_rest : rodeo::rest_handler {
//     rest::result<std::vector<rest::provided>> content_types_provided(rodeo::req&) override {
//       return {{"text/plain", [](rodeo::req&) -> rest::result<rest::body> { return "Hi!"; }},
//               {"application/json", [](rodeo::req&) -> rest::result<rest::body> {
//                  return R"({"hi":true})"; }}};
//     }
//   };
//
// Every callback may also answer rodeo::stop() (the callback replied, or the request ends as it
// is: 204 when nothing was sent) or rest::switch_handler(h) (another handler takes the request
// over from its init(): a loop handler, a WebSocket).
#include <chrono>
#include <cstdint>
#include <ctime>
#include <functional>
#include <initializer_list>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "rodeo/conditional.hpp"
#include "rodeo/handler.hpp"
#include "rodeo/http_header.hpp"
#include "rodeo/negotiation.hpp"
#include "rodeo/ranges.hpp"
#include "rodeo/stream_handler.hpp"

namespace rodeo {

class req;

namespace rest {

/// {switch_handler, Module}: `next` takes the request over (its init() runs now).
struct switch_to {
  std::shared_ptr<handler> next;
};
inline switch_to switch_handler(std::shared_ptr<handler> next) {
  return {std::move(next)};
}

struct stop_t {};
/// A boolean callback's answer "later" (any but range_satisfiable): the handler asked another
/// actor and calls rest_handler::resume(req, bool) with the real answer; the request stays open
/// meanwhile. resource_exists can so look a resource up in a gen_server.
struct later_t {};
inline constexpr later_t later{};

namespace detail {
struct no_list {};
template <class T>
struct element {
  using type = no_list;
};
template <class T>
requires requires {
  typename T::value_type;
}
struct element<T> {
  using type = typename T::value_type;
};
}  // namespace detail
template <class T>
using list_t = std::initializer_list<typename detail::element<T>::type>;

/// A callback's answer: a value, stop, or switch_handler.
template <class T>
class result {
 public:
  result(T v) : v_(std::move(v)) {}  // NOLINT: implicit, callbacks `return true;`
  template <class U>
  requires(std::is_constructible_v<T, U&&> && !std::is_same_v<std::decay_t<U>, T> &&
           !std::is_same_v<std::decay_t<U>, handler_result> &&
           !std::is_same_v<std::decay_t<U>, switch_to>) result(U&& v)  // NOLINT
      : v_(T(std::forward<U>(v))) {}
  /// `return {"GET", "PUT"};` for list results.
  result(list_t<T> items) requires std::is_constructible_v<T, list_t<T>>  // NOLINT
      : v_(T(items)) {}
  /// Only rodeo::stop() is an answer; ok()/loop() are not REST results.
  result(handler_result r) : v_(stop_t{}) {  // NOLINT
    if (r.what() != handler_result::kind::stop)
      throw std::logic_error("a REST callback can only return stop() among handler results");
  }
  result(switch_to s) : v_(std::move(s)) {}                      // NOLINT
  result(later_t l) requires std::is_same_v<T, bool> : v_(l) {}  // NOLINT

  bool is_stop() const noexcept { return std::holds_alternative<stop_t>(v_); }
  bool is_switch() const noexcept { return std::holds_alternative<switch_to>(v_); }
  bool is_later() const noexcept { return std::holds_alternative<later_t>(v_); }
  T& value() { return std::get<T>(v_); }
  switch_to& switched() { return std::get<switch_to>(v_); }

 private:
  std::variant<T, stop_t, switch_to, later_t> v_;
};

/// A range of an open file, sent without reading it into memory (sendfile on clear connections,
/// bounded reads otherwise). The descriptor is closed with the last copy.
using file_body = rodeo::file_range;
/// The whole of `path`, opened read-only; nullopt (errno set) when it cannot be.
std::optional<file_body> open_file(const std::string& path);

/// What a content_types_provided callback returns: the body itself, or a file range.
using body = std::variant<std::string, file_body>;

using provide_fn = std::function<result<body>(req&)>;

/// One entry of content_types_provided: a media type ("text/html", "text/html; charset=utf-8",
/// "text/html; *" for any parameters) and the callback making the body.
struct provided {
  provided(std::string_view type, provide_fn fn);
  negotiation::media_type type;
  provide_fn fn;
};

/// What an accept callback answers: true (done), false (400), true with the created
/// resource's URI (POST: 201, or 303 when the resource existed), or later(): the handler
/// finishes asynchronously (it asked another actor) and calls rest_handler::resume with the
/// answer; the request stays open meanwhile.
struct accepted {
  bool ok = true;
  std::optional<std::string> location;
  bool pending = false;
  accepted(bool b) : ok(b) {}  // NOLINT
  static accepted created(std::string uri) {
    accepted a{true};
    a.location = std::move(uri);
    return a;
  }
  static accepted later() {
    accepted a{true};
    a.pending = true;
    return a;
  }
};

/// An accept callback needs the request body: read_body() has the flow read it (up to `length`
/// bytes: 413 beyond) and resumes with `then`.
struct body_then {
  std::size_t length = 8000000;
  std::function<result<accepted>(req&, std::string body)> then;
};
struct accept_answer {
  std::variant<accepted, body_then> v;
  accept_answer(accepted a) : v(std::move(a)) {}   // NOLINT
  accept_answer(bool b) : v(accepted{b}) {}        // NOLINT
  accept_answer(body_then b) : v(std::move(b)) {}  // NOLINT
};
inline body_then read_body(std::function<result<accepted>(req&, std::string)> then,
                           std::size_t length = 8000000) {
  return {length, std::move(then)};
}

using accept_fn = std::function<result<accept_answer>(req&)>;

/// One entry of content_types_accepted: a media type as in provided ("*" accepts anything).
struct accepted_type {
  accepted_type(std::string_view type, accept_fn fn);
  negotiation::media_type type;
  accept_fn fn;
};

/// A ranges_provided entry: a range unit and how its ranges are made. Without a callback
/// ("auto", bytes only) the flow cuts the provided body itself.
struct range_part {
  ranges::part part;          // for bytes; or
  std::string content_range;  // the content-range value for other units
  rest::body body;
};
using range_fn =
    std::function<result<std::vector<range_part>>(req&, const http_header::range& requested)>;
struct range_unit {
  std::string unit;
  range_fn fn;  // empty: auto
};

/// is_authorized's answer: authorized, or not with the www-authenticate challenge (401).
struct authorization {
  bool ok = true;
  std::string www_authenticate;
  authorization(bool b) : ok(b) {}  // NOLINT
  static authorization unauthorized(std::string challenge) {
    authorization a{false};
    a.www_authenticate = std::move(challenge);
    return a;
  }
};

/// rate_limited's answer when limited: retry after seconds or at a date (429 + retry-after).
using retry_after = std::variant<std::chrono::seconds, std::time_t>;

}  // namespace rest

namespace detail {
class rest_flow;
}

class rest_handler : public handler {
 public:
  rest_handler();
  ~rest_handler() override;

  template <class T>
  using result = rest::result<T>;
  using methods = std::vector<std::string>;

  /// Runs the flow. Final: a REST resource is described by its callbacks.
  handler_result init(req& r) final;
  /// A switched-to handler gets the loop messages and the termination.
  handler_result info(caf::message& msg, req& r) override;
  void terminate(const caf::error& reason, req& r) override;

  // Defaults are Cowboy's. The diagram each belongs to is in rest_flow.cpp.
  /// false: 503.
  virtual result<bool> service_available(req&) { return true; }
  /// Not listed: 501. Default: GET HEAD POST PUT PATCH DELETE OPTIONS.
  virtual result<methods> known_methods(req&);
  /// true: 414.
  virtual result<bool> uri_too_long(req&) { return false; }
  /// Not listed: 405 with `allow`. Default: GET HEAD OPTIONS.
  virtual result<methods> allowed_methods(req&);
  /// true: 400.
  virtual result<bool> malformed_request(req&) { return false; }
  /// unauthorized(challenge): 401 with `www-authenticate`.
  virtual result<rest::authorization> is_authorized(req&) { return true; }
  /// true: 403.
  virtual result<bool> forbidden(req&) { return false; }
  /// A retry-after: 429.
  virtual result<std::optional<rest::retry_after>> rate_limited(req&) {
    return std::optional<rest::retry_after>{};
  }
  /// false: 501.
  virtual result<bool> valid_content_headers(req&) { return true; }
  /// false: 413.
  virtual result<bool> valid_entity_length(req&) { return true; }
  /// OPTIONS: answers 200 with what this set (default: `allow` from allowed_methods).
  virtual result<bool> options(req&);
  /// Empty: 406. Default: text/html made by to_html().
  virtual result<std::vector<rest::provided>> content_types_provided(req&);
  /// The default content_types_provided's callback; without an override a GET is a 500.
  virtual result<rest::body> to_html(req&);
  /// nullopt: no language negotiation; empty: 406. The choice goes in content-language.
  virtual result<std::optional<std::vector<std::string>>> languages_provided(req&) {
    return std::optional<std::vector<std::string>>{};
  }
  /// nullopt: no charset negotiation; empty: 406. Text types get "; charset=" the choice.
  virtual result<std::optional<std::vector<std::string>>> charsets_provided(req&) {
    return std::optional<std::vector<std::string>>{};
  }
  /// nullopt: no accept-ranges; empty: accept-ranges none; else the units (range requests
  /// are then served: 206, multipart/byteranges, 416).
  virtual result<std::optional<std::vector<rest::range_unit>>> ranges_provided(req&) {
    return std::optional<std::vector<rest::range_unit>>{};
  }
  /// false: 416 (set content-range yourself for "*/size").
  virtual result<bool> range_satisfiable(req&, const http_header::range&) { return true; }
  /// Request headers added to `vary` (accept* are added when negotiated among several).
  virtual methods variances(req&) { return {}; }
  /// false: the resource is missing (404, 410, 301/307, or a PUT/POST creation).
  virtual result<bool> resource_exists(req&) { return true; }
  /// The representation's entity-tag (etag header, If-Match, If-None-Match, If-Range).
  virtual std::optional<http_header::etag> generate_etag(req&) { return std::nullopt; }
  /// Its modification time (last-modified, If-Unmodified-Since, If-Modified-Since).
  virtual std::optional<std::time_t> last_modified(req&) { return std::nullopt; }
  /// The expires header: a date, or a raw value ("0").
  virtual std::optional<std::variant<std::time_t, std::string>> expires(req&) {
    return std::nullopt;
  }
  /// Missing resources: true goes on to moved_permanently/moved_temporarily, false to 404.
  virtual result<bool> previously_existed(req&) { return false; }
  /// A location: 301.
  virtual result<std::optional<std::string>> moved_permanently(req&) {
    return std::optional<std::string>{};
  }
  /// A location: 307; else 410 (a POST may still create it: allow_missing_post).
  virtual result<std::optional<std::string>> moved_temporarily(req&) {
    return std::optional<std::string>{};
  }
  /// POST to a missing resource: true goes on to content_types_accepted; false is 404/410.
  virtual result<bool> allow_missing_post(req&) { return true; }
  /// PUT: true is 409.
  virtual result<bool> is_conflict(req&) { return false; }
  /// POST/PUT/PATCH: the accepted content-types and their callbacks; no match 415.
  virtual result<std::vector<rest::accepted_type>> content_types_accepted(req&) {
    return std::vector<rest::accepted_type>{};
  }
  /// DELETE: false is 500.
  virtual result<bool> delete_resource(req&) { return false; }
  /// false: 202 (deletion enacted later).
  virtual result<bool> delete_completed(req&) { return true; }
  /// true: 300 (the body lists the choices).
  virtual result<bool> multiple_choices(req&) { return false; }

 protected:
  /// Continues the flow suspended by accepted::later() or rest::later with the real answer.
  void resume(req& r, const rest::accepted& a);
  void resume(req& r, bool answer);
  /// For overrides of options(): the methods allowed_methods gave.
  const methods& allowed() const noexcept { return allowed_; }

 private:
  friend class detail::rest_flow;
  methods allowed_;
  std::shared_ptr<handler> switched_;
  std::unique_ptr<detail::rest_flow> flow_;
};

}  // namespace rodeo
