// The Req (cowboy_req): the request, its body, and the replies, as seen by a handler.
#include <caf/all.hpp>

#include <stdexcept>
#include <string>
#include <utility>

#include "request_process.hpp"
#include "rodeo/cookie.hpp"
#include "rodeo/http_header.hpp"
#include "rodeo/req.hpp"
#include "rodeo/stream_handler.hpp"
#include "rodeo/uri.hpp"

namespace rodeo {

req::req(detail::request_process* p, caf::event_based_actor* self, caf::actor conn,
         std::shared_ptr<const rodeo::request> r)
    : proc_(p), self_(self), conn_(std::move(conn)), r_(std::move(r)) {}

req::req(caf::event_based_actor* conn_self, std::shared_ptr<const rodeo::request> r, commands* out)
    : proc_(nullptr),
      inline_out_(out),
      self_(conn_self),
      conn_(caf::actor_cast<caf::actor>(conn_self)),
      r_(std::move(r)) {}

void req::send_op(auto&& op) {
  if (inline_out_)
    inline_out_->emplace_back(std::forward<decltype(op)>(op));
  else
    self_->send(conn_, stream_message{r_->streamid, std::forward<decltype(op)>(op)});
}

caf::actor req::handle() const {
  return caf::actor_cast<caf::actor>(self_);
}

void req::cast(caf::message msg) {
  self_->send(conn_, stream_info{r_->streamid, std::move(msg)});
}

std::string req::uri(const uri_opts& o) const {
  auto view = [](const std::string* s) {
    return s ? std::optional<std::string_view>{*s} : std::nullopt;
  };
  static const std::string no_fragment;
  auto* port = o.port.pick(r_->port);
  return uri::compose({.scheme = view(o.scheme.pick(r_->scheme)),
                       .host = view(o.host.pick(r_->host)),
                       .port = port ? std::optional<uint16_t>{*port} : std::nullopt,
                       .path = view(o.path.pick(r_->path)),
                       .qs = view(o.qs.pick(r_->qs)),
                       .fragment = view(o.fragment.pick(no_fragment)),
                       .request_scheme = r_->scheme});
}

std::string req::header(std::string_view name, std::string_view default_value) const {
  auto* v = header(name);
  return v ? *v : std::string{default_value};
}

qs::vals req::parse_qs() const {
  auto parsed = qs::parse(r_->qs);
  if (!parsed) throw http_error(400, "malformed query string");
  return std::move(*parsed);
}

rodeo::bindings req::match_qs(const fields& spec) const {
  auto m = qs::match(parse_qs(), spec);
  if (!m)
    throw http_error(400,
                     "query string field " + m.error->field + " is " +
                         (m.error->what == qs::match_error::kind::missing ? "missing" : "invalid"));
  return std::move(m.values);
}

std::vector<std::pair<std::string, std::string>> req::parse_cookies() const {
  std::vector<std::pair<std::string, std::string>> out;
  auto* h = header("cookie");
  if (!h) return out;
  auto parsed = cookie::parse(*h);
  if (!parsed) throw http_error(400, "malformed cookie header");
  out.reserve(parsed->size());
  for (auto& [n, v] : *parsed) out.emplace_back(std::string{n}, std::string{v});
  return out;
}

rodeo::bindings req::match_cookies(const fields& spec) const {
  qs::vals pairs;
  for (auto& [n, v] : parse_cookies()) pairs.push_back({n, v});
  auto m = qs::match(pairs, spec);
  if (!m)
    throw http_error(400,
                     "cookie " + m.error->field + " is " +
                         (m.error->what == qs::match_error::kind::missing ? "missing" : "invalid"));
  return std::move(m.values);
}

void req::filter_cookies(const std::vector<std::string>& names) {
  auto* h = header("cookie");
  if (!h) return;
  auto copy = std::make_shared<rodeo::request>(*r_);
  copy->headers.set("cookie", cookie::filter(*h, names));
  // References the handler took into the request as received stay valid.
  if (!unfiltered_) unfiltered_ = r_;
  r_ = std::move(copy);
}

void req::read_body(const read_body_opts& opts, body_callback cb) {
  if (body_fin_ || !r_->has_body) {
    body_fin_ = true;
    cb(*this, std::string{}, fin);
    return;
  }
  if (inline_out_) throw std::logic_error("an inline handler cannot read the request body");
  proc_->begin_async();
  auto ask = [&](auto timeout) {
    self_
        ->request(conn_, timeout,
                  stream_message{r_->streamid, read_body_op{opts.length, opts.period, opts.auto_}})
        .then(
            [this, cb = std::move(cb)](body_chunk& c) {
              if (c.fin == fin) body_fin_ = true;
              cb(*this, std::move(c.data), c.fin);
              proc_->end_async();
            },
            [this](caf::error& err) { proc_->fail(err); });
  };
  if (opts.timeout)
    ask(*opts.timeout);
  else if (opts.auto_)
    ask(caf::infinite);
  else
    ask(opts.period + std::chrono::seconds{1});
}

void req::collect_body(read_body_opts opts, std::string acc,
                       std::function<void(req&, std::string)> done) {
  auto limit = opts.length;
  read_body(opts, [opts, limit, acc = std::move(acc), done = std::move(done)](
                      req& r, std::string data, is_fin f) mutable {
    acc += data;
    if (acc.size() > limit)
      throw http_error(413, "request body larger than " + std::to_string(limit));
    if (f == fin)
      done(r, std::move(acc));
    else
      r.collect_body(opts, std::move(acc), std::move(done));
  });
}

void req::read_urlencoded_body(const read_body_opts& opts, urlencoded_callback cb) {
  collect_body(opts, {}, [cb = std::move(cb)](req& r, std::string body) {
    auto parsed = qs::parse(body);
    if (!parsed) throw http_error(400, "malformed urlencoded body");
    cb(r, std::move(*parsed));
  });
}

void req::read_and_match_urlencoded_body(const fields& spec, match_callback cb,
                                         const read_body_opts& opts) {
  read_urlencoded_body(opts, [spec, cb = std::move(cb)](req& r, qs::vals vals) {
    auto m = qs::match(vals, spec);
    if (!m) throw http_error(400, "body field " + m.error->field + " is missing or invalid");
    cb(r, std::move(m.values));
  });
}

void req::read_part(const read_body_opts& opts, part_callback cb) {
  if (!multipart_) {
    auto* ct = header("content-type");
    auto boundary = ct ? multipart::boundary_of(*ct) : std::nullopt;
    if (!boundary) throw http_error(400, "not a multipart body");
    multipart_ = std::make_unique<multipart::parser>(std::move(*boundary));
  }
  for (;;) {
    switch (multipart_->next()) {
      case multipart::event::part:
        cb(*this, multipart_->headers());
        return;
      case multipart::event::data:
      case multipart::event::part_end:
        continue;  // the rest of a part the handler did not read
      case multipart::event::done:
        cb(*this, std::nullopt);
        return;
      case multipart::event::error:
        throw http_error(400, "malformed multipart body: " + multipart_->error());
      case multipart::event::need_more:
        if (body_fin_) {
          multipart_->finish();
          continue;
        }
        read_body(opts, [opts, cb = std::move(cb)](req& r, std::string data, is_fin f) mutable {
          r.multipart_->feed(data);
          if (f == fin) r.multipart_->finish();
          r.read_part(opts, std::move(cb));
        });
        return;
    }
  }
}

void req::read_part_body(const read_body_opts& opts, body_callback cb) {
  if (!multipart_) throw std::logic_error("read_part_body before read_part");
  std::string acc;
  for (;;) {
    switch (multipart_->next()) {
      case multipart::event::data:
        acc.append(multipart_->data());
        if (acc.size() >= opts.length) {
          cb(*this, std::move(acc), nofin);
          return;
        }
        continue;
      case multipart::event::part_end:
      case multipart::event::part:
      case multipart::event::done:
        cb(*this, std::move(acc), fin);
        return;
      case multipart::event::error:
        throw http_error(400, "malformed multipart body: " + multipart_->error());
      case multipart::event::need_more:
        if (body_fin_) {
          multipart_->finish();
          continue;
        }
        if (!acc.empty()) {
          cb(*this, std::move(acc), nofin);
          return;
        }
        read_body(opts, [opts, cb = std::move(cb)](req& r, std::string data, is_fin f) mutable {
          r.multipart_->feed(data);
          if (f == fin) r.multipart_->finish();
          r.read_part_body(opts, std::move(cb));
        });
        return;
    }
  }
}

void req::set_resp_header(std::string name, std::string value) {
  resp_headers_.set(std::move(name), std::move(value));
}

void req::set_resp_headers(const rodeo::headers& hs) {
  for (auto& [n, v] : hs) resp_headers_.set(n, v);
}

void req::set_resp_cookie(std::string name, std::string value, const cookie::opts& o) {
  auto line = cookie::setcookie(name, value, o);
  if (!line) throw std::invalid_argument("invalid cookie " + name);
  for (auto& [n, v] : resp_cookies_)
    if (n == name) {
      v = std::move(*line);
      return;
    }
  resp_cookies_.emplace_back(std::move(name), std::move(*line));
}

namespace {

// set_resp_header()'s headers under the reply's own, plus set-cookie lines.
rodeo::headers merge(rodeo::headers& base, rodeo::headers hs,
                     std::vector<std::pair<std::string, std::string>>& cookies) {
  if (!base.empty()) {
    for (auto& [n, v] : hs) base.set(std::move(n), std::move(v));
    hs = std::move(base);
    base.clear();
  }
  for (auto& [n, v] : cookies) hs.push_back("set-cookie", std::move(v));
  cookies.clear();
  return hs;
}

}  // namespace

void req::push(std::string_view, const rodeo::headers&, const push_opts&) {
  if (sent_ != resp_state::none) throw std::logic_error("push after the response started");
}

void req::inform(int status, rodeo::headers hs) {
  if (sent_ != resp_state::none) throw std::logic_error("inform after the response started");
  send_op(cmd::inform{status, std::move(hs)});
}

void req::reply(int status, rodeo::headers hs) {
  std::string body;
  if (resp_body_) body = std::move(*resp_body_);
  reply(status, std::move(hs), std::move(body));
}

void req::reply(int status, rodeo::headers hs, std::string body) {
  if (sent_ != resp_state::none) throw std::logic_error("a response was already sent");
  sent_ = resp_state::sent;
  send_op(
      cmd::response{status, merge(resp_headers_, std::move(hs), resp_cookies_), std::move(body)});
}

void req::stream_reply(int status, rodeo::headers hs) {
  if (sent_ != resp_state::none) throw std::logic_error("a response was already sent");
  sent_ = resp_state::headers;
  send_op(cmd::response_headers{status, merge(resp_headers_, std::move(hs), resp_cookies_)});
}

void req::ensure_streaming(std::string_view what) const {
  if (sent_ != resp_state::headers)
    throw std::logic_error(std::string{what} + " needs stream_reply first");
}

void req::stream_body(std::string data, is_fin f) {
  ensure_streaming("stream_body");
  if (data.empty() && f == nofin) return;
  if (f == fin) sent_ = resp_state::sent;
  if (inline_out_) {
    send_op(cmd::data{f, std::move(data), {}});
    return;
  }
  proc_->begin_async();
  self_
      ->request(conn_, caf::infinite,
                stream_message{r_->streamid, cmd::data{f, std::move(data), {}}})
      .await([this](caf::ok_atom) { proc_->end_async(); },
             [this](caf::error& err) { proc_->fail(err); });
}

template <class Command>
void req::stream_and_continue(Command command, is_fin f, std::function<void(req&)> next) {
  ensure_streaming("stream_body");
  if (inline_out_) throw std::logic_error("an inline handler cannot wait for the connection");
  if (f == fin) sent_ = resp_state::sent;
  proc_->begin_async();
  self_->request(conn_, caf::infinite, stream_message{r_->streamid, std::move(command)})
      .await(
          [this, next = std::move(next)](caf::ok_atom) {
            next(*this);
            proc_->end_async();
          },
          [this](caf::error& err) { proc_->fail(err); });
}

void req::stream_body(std::string data, is_fin f, std::function<void(req&)> next) {
  stream_and_continue(cmd::data{f, std::move(data), {}}, f, std::move(next));
}

void req::stream_body(file_range file, is_fin f, std::function<void(req&)> next) {
  stream_and_continue(cmd::sendfile{f, std::move(file), {}}, f, std::move(next));
}

void req::hold() {
  if (inline_out_) throw std::logic_error("an inline handler cannot finish later");
  proc_->begin_async();
}

void req::release() {
  proc_->end_async();
}

void req::stream_events(const sse::event& e, is_fin f) {
  stream_body(sse::encode(e), f);
}

void req::stream_events(const std::vector<sse::event>& es, is_fin f) {
  stream_body(sse::encode(es), f);
}

void req::switch_protocol(rodeo::headers hs, std::shared_ptr<protocol_switch> protocol) {
  if (sent_ != resp_state::none) throw std::logic_error("a response was already sent");
  sent_ = resp_state::sent;
  send_op(cmd::switch_protocol{std::move(hs), std::move(protocol)});
}

void req::stream_trailers(rodeo::headers trailers) {
  ensure_streaming("stream_trailers");
  sent_ = resp_state::sent;
  send_op(cmd::trailers{std::move(trailers)});
}

}  // namespace rodeo
