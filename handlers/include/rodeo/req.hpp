#pragma once
// The Req API (Cowboy's cowboy_req) for handlers and middlewares. A req lives in its request
// actor; replies and body reads become messages to the connection, which owns the socket.
//
// Reading the body is continuation-based: event-based actors cannot block, so the rest of the
// work goes in a callback that runs in the request actor when the data arrived:
//   req.read_body([](rodeo::req& req, std::string data, rodeo::is_fin fin) {...});
// Call read_body again from the callback while fin is nofin (Cowboy's {more, Data, Req}).
//
// Errors in the request (a bad query string for match_qs, an invalid header for parse_header, a
// body too large for read_urlencoded_body) throw rodeo::http_error, which answers with its status
// (400, 413...) when no response was sent yet; any other exception is a crash: 500.
#include <chrono>
#include <concepts>
#include <cstdint>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <caf/actor.hpp>
#include <caf/event_based_actor.hpp>

#include "rodeo/cookie.hpp"
#include "rodeo/http_message.hpp"
#include "rodeo/multipart.hpp"
#include "rodeo/qs.hpp"
#include "rodeo/router.hpp"
#include "rodeo/sse.hpp"
#include "rodeo/stream_handler.hpp"

namespace rodeo {

namespace detail {
class request_process;
class router_mw;
class handler_mw;
class stream_h_impl;
class rest_flow;
}  // namespace detail

/// Thrown to answer the request with `status` (Cowboy's request errors).
class http_error : public std::runtime_error {
 public:
  http_error(int status, const std::string& what) : std::runtime_error(what), status_(status) {}
  int status() const noexcept { return status_; }

 private:
  int status_;
};

/// Cowboy's read_body options. `timeout` (default: period + 1 s) bounds the whole wait.
/// `auto_` is Cowboy's `length => auto`: the callback gets whatever arrived as soon as anything
/// is there (at least a byte, or the end of the body); `length` and `period` are then ignored
/// and `timeout` defaults to none (the protocol's body_timeout still ends a stalled body).
struct read_body_opts {
  size_t length = 8000000;
  std::chrono::milliseconds period{15000};
  std::optional<std::chrono::milliseconds> timeout;
  bool auto_ = false;
};

/// Cowboy's `undefined` in req.uri(opts): the part is left out.
struct undefined_t {
  explicit constexpr undefined_t() = default;
};
inline constexpr undefined_t undefined{};

/// One part of req.uri(opts): the request's own (the default), `rodeo::undefined`, or a value.
template <class T>
class uri_part {
 public:
  uri_part() = default;
  uri_part(undefined_t) : state_(state::undefined) {}
  template <class U>
  requires std::constructible_from<T, U&&> uri_part(U&& v)
      : state_(state::given), value_(std::forward<U>(v)) {}
  /// What to write: `own`, nothing (nullptr) or the given value.
  const T* pick(const T& own) const noexcept {
    return state_ == state::own ? &own : state_ == state::given ? &value_ : nullptr;
  }

 private:
  enum class state { own, undefined, given } state_ = state::own;
  T value_{};
};

/// cowboy_req:uri/2's options; `fragment` defaults to none (a request has no fragment).
struct uri_opts {
  uri_part<std::string> scheme;
  uri_part<std::string> host;
  uri_part<uint16_t> port;
  uri_part<std::string> path;
  uri_part<std::string> qs;
  uri_part<std::string> fragment = undefined;
};

/// cowboy_req:push/4's options (unused while push is a no-op; kept so Cowboy code ports).
struct push_opts {
  std::string method = "GET";
  std::optional<std::string> scheme;
  std::optional<std::string> host;
  std::optional<uint16_t> port;
  std::string qs;
};

class req {
 public:
  using body_callback = std::function<void(req&, std::string data, is_fin fin)>;
  using urlencoded_callback = std::function<void(req&, qs::vals)>;
  using match_callback = std::function<void(req&, rodeo::bindings)>;
  using part_callback = std::function<void(req&, std::optional<multipart::headers>)>;
  /// has_sent_resp(): nothing yet, a streamed response's headers, or everything.
  enum class resp_state { none, headers, sent };

  req(const req&) = delete;
  req& operator=(const req&) = delete;

  // -- The request -----------------------------------------------------------------------------
  const std::string& method() const noexcept { return r_->method; }
  const std::string& version() const noexcept { return r_->version; }
  const std::string& scheme() const noexcept { return r_->scheme; }
  const std::string& host() const noexcept { return r_->host; }
  uint16_t port() const noexcept { return r_->port; }
  const std::string& path() const noexcept { return r_->path; }
  const std::string& qs() const noexcept { return r_->qs; }
  /// scheme://host[:port]path[?qs], the port only when not the scheme's default.
  std::string uri() const { return uri(uri_opts{}); }
  /// cowboy_req:uri/2: the same with parts replaced or left out (`rodeo::undefined`), e.g.
  /// `uri({.scheme = rodeo::undefined, .qs = rodeo::undefined})` is "//host/path" and
  /// `uri({.host = rodeo::undefined})` the path and query alone (rodeo/uri.hpp, uri::compose).
  std::string uri(const uri_opts& opts) const;
  const rodeo::headers& headers() const noexcept { return r_->headers; }
  /// The value of a request header (lowercase name), or nullptr.
  const std::string* header(std::string_view name) const noexcept { return r_->headers.find(name); }
  std::string header(std::string_view name, std::string_view default_value) const;
  /// Applies a parser from rodeo/http_header.hpp to a header: nullopt when the header is
  /// absent; http_error(400) when it does not parse.
  template <class Parser>
  auto parse_header(std::string_view name, Parser&& parse) const
      -> decltype(parse(std::string_view{})) {
    auto* v = header(name);
    if (!v) return std::nullopt;
    auto parsed = parse(std::string_view{*v});
    if (!parsed) throw http_error(400, "invalid " + std::string{name} + " header");
    return parsed;
  }
  /// The query string's pairs; http_error(400) when it does not parse.
  qs::vals parse_qs() const;
  /// Cowboy's match_qs: http_error(400) when a field is missing or fails its constraints.
  rodeo::bindings match_qs(const fields& spec) const;
  /// The cookie header's pairs; http_error(400) when invalid.
  std::vector<std::pair<std::string, std::string>> parse_cookies() const;
  rodeo::bindings match_cookies(const fields& spec) const;
  /// cowboy_req:filter_cookies/2: from now on this req's cookie header holds only the named
  /// cookies, so an invalid cookie the handler does not use cannot make parse_cookies fail.
  /// request() becomes a copy; references taken into the request as received stay valid.
  void filter_cookies(const std::vector<std::string>& names);
  /// Values bound by the router (":name" segments).
  const rodeo::bindings& bindings() const noexcept { return bindings_; }
  const value* binding(std::string_view name) const { return bindings_.find(name); }
  const std::optional<std::vector<std::string>>& host_info() const noexcept { return host_info_; }
  const std::optional<std::vector<std::string>>& path_info() const noexcept { return path_info_; }
  const address& peer() const noexcept { return r_->peer; }
  /// cowboy_req:cert/1: the client's TLS certificate, DER-encoded; "" when it sent none.
  const std::string& cert() const noexcept { return r_->cert; }
  const address& sock() const noexcept { return r_->sock; }
  bool has_body() const noexcept { return r_->has_body; }
  std::optional<uint64_t> body_length() const noexcept { return r_->body_length; }
  /// The listener's name and the stream's id on its connection.
  const std::string& ref() const noexcept { return r_->ref; }
  uint64_t streamid() const noexcept { return r_->streamid; }
  const rodeo::request& request() const noexcept { return *r_; }

  // -- The request body --------------------------------------------------------------------------
  /// Up to opts.length bytes (fewer when `period` passed or the body ended), then `cb`. The first
  /// call sends "100 Continue" to a client that asked for it.
  void read_body(body_callback cb) { read_body(read_body_opts{}, std::move(cb)); }
  void read_body(const read_body_opts& opts, body_callback cb);
  /// The whole body as application/x-www-form-urlencoded pairs: http_error(413) when longer than
  /// opts.length (Cowboy's default here: 64000 bytes, period 5 s), 400 when it does not parse.
  void read_urlencoded_body(urlencoded_callback cb) {
    read_urlencoded_body(read_body_opts{64000, std::chrono::milliseconds{5000}, {}}, std::move(cb));
  }
  void read_urlencoded_body(const read_body_opts& opts, urlencoded_callback cb);
  void read_and_match_urlencoded_body(const fields& spec, match_callback cb,
                                      const read_body_opts& opts = {
                                          64000, std::chrono::milliseconds{5000}, {}});
  /// multipart bodies: the next part's headers (nullopt after the last part) ...
  void read_part(part_callback cb) {
    read_part(read_body_opts{64000, std::chrono::milliseconds{5000}, {}}, std::move(cb));
  }
  void read_part(const read_body_opts& opts, part_callback cb);
  /// ... and that part's body, in pieces up to opts.length; fin on its last piece.
  void read_part_body(body_callback cb) { read_part_body(read_body_opts{}, std::move(cb)); }
  void read_part_body(const read_body_opts& opts, body_callback cb);

  // -- The response ------------------------------------------------------------------------------
  void set_resp_header(std::string name, std::string value);
  void set_resp_headers(const rodeo::headers& hs);
  bool has_resp_header(std::string_view name) const noexcept {
    return resp_headers_.contains(name);
  }
  void delete_resp_header(std::string_view name) { resp_headers_.erase(name); }
  /// Adds a set-cookie header; std::invalid_argument when name, value or options are invalid.
  void set_resp_cookie(std::string name, std::string value, const cookie::opts& o = {});
  void set_resp_body(std::string body) { resp_body_ = std::move(body); }
  bool has_resp_body() const noexcept { return resp_body_.has_value(); }
  resp_state has_sent_resp() const noexcept { return sent_; }

  /// cowboy_req:push/3,4: a server push. A no-op: HTTP/1.1 has no push and Rodeo's HTTP/2
  /// does not push (as browsers, which dropped it); kept so Cowboy handlers port unchanged.
  /// std::logic_error after the response started, as Cowboy.
  void push(std::string_view path, const rodeo::headers& hs = {}, const push_opts& opts = {});
  /// A 1xx response (before the final one).
  void inform(int status, rodeo::headers hs = {});
  /// The response: headers merged over set_resp_header()'s, body (or set_resp_body()'s).
  void reply(int status) { reply(status, {}); }
  void reply(int status, rodeo::headers hs);
  void reply(int status, rodeo::headers hs, std::string body);
  /// Starts a streamed response (chunked in HTTP/1.1 unless a content-length is set).
  void stream_reply(int status, rodeo::headers hs = {});
  /// A piece of the streamed body. Applies backpressure: the request actor handles no other
  /// message until the connection wrote the bytes or queued them below its output watermark.
  void stream_body(std::string data, is_fin fin);
  /// The same, then `next` once the connection took the bytes: a producer that continues from
  /// `next` holds one piece in memory at a time (static files stream this way).
  void stream_body(std::string data, is_fin fin, std::function<void(req&)> next);
  /// A file range as the next piece (Cowboy's sendfile body): sent by the connection from the
  /// descriptor (sendfile(2) on plain TCP), never read whole into memory; `next` as above.
  void stream_body(file_range file, is_fin fin, std::function<void(req&)> next);
  /// Server-sent events (text/event-stream bodies), encoded by rodeo/sse.hpp.
  void stream_events(const sse::event& e, is_fin fin);
  void stream_events(const std::vector<sse::event>& es, is_fin fin);
  /// Trailers: ends the streamed body (sent when the client announced "te: trailers").
  void stream_trailers(rodeo::headers trailers);
  /// "101 Switching Protocols" with `hs`, then `protocol` takes the connection over (WebSocket;
  /// see rodeo/connection.hpp). Counts as the response.
  void switch_protocol(rodeo::headers hs, std::shared_ptr<protocol_switch> protocol);

  // -- The request actor -------------------------------------------------------------------------
  /// The request actor (Erlang's self() in a handler): use it for timers and sends.
  caf::event_based_actor* self() const noexcept { return self_; }
  /// Its handle, so other actors can message it (loop handlers receive those in info()).
  caf::actor handle() const;
  /// The connection actor that owns the socket.
  const caf::actor& conn() const noexcept { return conn_; }
  /// Cowboy's cowboy_req:cast/2: `msg` reaches info() of the stream handler chain, in the
  /// connection actor, after this request's earlier operations (e.g. metrics::set_options). It
  /// is dropped once the stream ended, so send it before the response's last piece. Always
  /// asynchronous: from an inline handler it arrives after init returned.
  void cast(caf::message msg);

 private:
  friend class detail::request_process;
  friend class detail::router_mw;
  friend class detail::handler_mw;
  friend class detail::stream_h_impl;
  friend class detail::rest_flow;
  req(detail::request_process* p, caf::event_based_actor* self, caf::actor conn,
      std::shared_ptr<const rodeo::request> r);
  // An inline request (run_inline): operations become commands in `out`, which the connection
  // runs when the handler returned.
  req(caf::event_based_actor* conn_self, std::shared_ptr<const rodeo::request> r, commands* out);
  void send_op(auto&& op);
  void ensure_streaming(std::string_view what) const;
  // Sends one body command and runs `next` once the connection took it.
  template <class Command>
  void stream_and_continue(Command command, is_fin f, std::function<void(req&)> next);
  // Keeps the request open across work the handler finishes later (rest_flow's resume).
  void hold();
  void release();
  void collect_body(read_body_opts opts, std::string acc,
                    std::function<void(req&, std::string)> done);

  detail::request_process* proc_;
  commands* inline_out_ = nullptr;
  caf::event_based_actor* self_;
  caf::actor conn_;
  std::shared_ptr<const rodeo::request> r_;
  std::shared_ptr<const rodeo::request> unfiltered_;  // r_ before filter_cookies replaced it
  rodeo::bindings bindings_;
  std::optional<std::vector<std::string>> host_info_;
  std::optional<std::vector<std::string>> path_info_;
  rodeo::headers resp_headers_;
  std::vector<std::pair<std::string, std::string>> resp_cookies_;
  std::optional<std::string> resp_body_;
  resp_state sent_ = resp_state::none;
  bool body_fin_ = false;
  std::unique_ptr<multipart::parser> multipart_;
  bool part_body_pending_ = false;
};

}  // namespace rodeo
