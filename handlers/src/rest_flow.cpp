// cowboy_rest's decision flow, written once as a state machine. The states follow Cowboy's REST
// flowcharts (https://ninenines.eu/docs/en/cowboy/2.12/guide/rest_flowcharts/) diagram by
// diagram: start, OPTIONS, content negotiation, resource existence and conditional requests
// (RFC 9110 §13.2.2, evaluated by rodeo/conditional.hpp), GET/HEAD, PUT/POST/PATCH, DELETE.
// Each state calls at most one callback and names the next state; `respond` ends the flow.
#include <caf/all.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <stdexcept>
#include <string>

#include "rodeo/conditional.hpp"
#include "rodeo/http_date.hpp"
#include "rodeo/negotiation.hpp"
#include "rodeo/ranges.hpp"
#include "rodeo/req.hpp"
#include "rodeo/rest.hpp"

namespace rodeo {

namespace rest {

std::optional<file_body> open_file(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    int e = errno;
    ::close(fd);
    errno = e;
    return std::nullopt;
  }
  auto owner = std::shared_ptr<const int>(new int(fd), [](const int* p) {
    ::close(*p);
    delete p;
  });
  return file_body{std::move(owner), 0, static_cast<std::uint64_t>(st.st_size)};
}

namespace {
negotiation::media_type parse_type(std::string_view t) {
  auto m = negotiation::media_type::parse(t);
  if (!m) throw std::invalid_argument("invalid media type: " + std::string{t});
  return std::move(*m);
}
}  // namespace

provided::provided(std::string_view t, provide_fn f) : type(parse_type(t)), fn(std::move(f)) {}
accepted_type::accepted_type(std::string_view t, accept_fn f)
    : type(parse_type(t)), fn(std::move(f)) {}

}  // namespace rest

namespace detail {

namespace {

std::string join(const std::vector<std::string>& xs) {
  std::string out;
  for (auto& x : xs) out.append(out.empty() ? "" : ", ").append(x);
  return out;
}

std::uint64_t body_size(const rest::body& b) {
  if (auto* s = std::get_if<std::string>(&b)) return s->size();
  return std::get<rest::file_body>(b).length;
}

}  // namespace

class rest_flow {
 public:
  rest_flow(rest_handler& h, req& r) : h_(h), r_(r), method_(r.method()) {}

  // After accepted::later(): the handler's real answer.
  void resume(const rest::accepted& a) {
    if (!suspended_ || a.pending) throw std::logic_error("resume: the flow is not suspended");
    suspended_ = false;
    run(accepted(a));
    r_.release();
  }

  void resume(bool answer) {
    if (suspended_) return resume(rest::accepted{answer});  // resume(req, true) after accepting
    if (!later_) throw std::logic_error("resume: the flow is not suspended");
    auto next = std::move(later_);
    later_ = nullptr;
    run(next(answer));
    r_.release();
  }

  // The flow from the top; returns init()'s result.
  handler_result start() {
    run(state::service_available);
    if (switched_) return switched_->init(r_);
    return ok();
  }

 private:
  enum class state {
    // Start.
    service_available,
    known_methods,
    uri_too_long,
    allowed_methods,
    malformed_request,
    is_authorized,
    forbidden,
    rate_limited,
    valid_content_headers,
    valid_entity_length,
    options,
    // Content negotiation.
    content_types_provided,
    languages_provided,
    charsets_provided,
    ranges_provided,
    variances,
    // Resource existence and conditional requests.
    resource_exists,
    preconditions,
    missing_resource,
    previously_existed,
    moved_permanently,
    moved_temporarily,
    allow_missing_post,
    method,
    // GET and HEAD.
    get_validators,
    get_body,
    // PUT, POST and PATCH.
    is_conflict,
    content_types_accepted,
    // DELETE.
    delete_resource,
    delete_completed,
    has_resp_body,
    multiple_choices,
    done,
  };

  void run(state s) {
    while (s != state::done) s = step(s);
  }

  // A callback's value, or nullopt when it answered stop or switch_handler (the flow ends).
  template <class T>
  std::optional<T> call(rest::result<T> r) {
    if (r.is_later()) throw std::logic_error("range_satisfiable cannot answer later");
    if (r.is_stop()) return std::nullopt;
    if (r.is_switch()) {
      switched_ = std::move(r.switched().next);
      h_.switched_ = switched_;
      return std::nullopt;
    }
    return std::move(r.value());
  }

  // Cowboy's expect/6: a boolean callback that goes on when it answers `expected`.
  // rest::later suspends it until resume(bool).
  state expect(rest::result<bool> r, bool expected, state on_expected, int status) {
    return expect(std::move(r),
                  [=, this](bool v) { return v == expected ? on_expected : respond(status); });
  }
  state expect(rest::result<bool> r, bool expected, state on_expected, state otherwise) {
    return expect(std::move(r), [=](bool v) { return v == expected ? on_expected : otherwise; });
  }
  state expect(rest::result<bool> r, std::function<state(bool)> next) {
    if (r.is_later()) {
      r_.hold();
      later_ = std::move(next);
      return state::done;
    }
    auto v = call(std::move(r));
    return v ? next(*v) : state::done;
  }

  state step(state s) {
    switch (s) {
      // -- Start ---------------------------------------------------------------------------------
      case state::service_available:
        return expect(h_.service_available(r_), true, state::known_methods, 503);
      case state::known_methods: {
        auto m = call(h_.known_methods(r_));
        if (!m) return state::done;
        return listed(*m) ? state::uri_too_long : respond(501);
      }
      case state::uri_too_long:
        return expect(h_.uri_too_long(r_), false, state::allowed_methods, 414);
      case state::allowed_methods: {
        auto m = call(h_.allowed_methods(r_));
        if (!m) return state::done;
        h_.allowed_ = std::move(*m);
        if (listed(h_.allowed_)) return state::malformed_request;
        r_.set_resp_header("allow", join(h_.allowed_));
        return respond(405);
      }
      case state::malformed_request:
        return expect(h_.malformed_request(r_), false, state::is_authorized, 400);
      case state::is_authorized: {
        auto a = call(h_.is_authorized(r_));
        if (!a) return state::done;
        if (a->ok) return state::forbidden;
        r_.set_resp_header("www-authenticate", a->www_authenticate);
        return respond(401);
      }
      case state::forbidden:
        return expect(h_.forbidden(r_), false, state::rate_limited, 403);
      case state::rate_limited: {
        auto limited = call(h_.rate_limited(r_));
        if (!limited) return state::done;
        if (!*limited) return state::valid_content_headers;
        if (auto* secs = std::get_if<std::chrono::seconds>(&**limited))
          r_.set_resp_header("retry-after", std::to_string(secs->count()));
        else
          r_.set_resp_header("retry-after", http_date::format(std::get<std::time_t>(**limited)));
        return respond(429);
      }
      case state::valid_content_headers:
        return expect(h_.valid_content_headers(r_), true, state::valid_entity_length, 501);
      case state::valid_entity_length:
        return expect(h_.valid_entity_length(r_), true,
                      method_ == "OPTIONS" ? state::options : state::content_types_provided, 413);

      // -- OPTIONS -------------------------------------------------------------------------------
      case state::options: {
        auto v = call(h_.options(r_));
        return v ? respond(200) : state::done;
      }

      // -- Content negotiation -------------------------------------------------------------------
      case state::content_types_provided:
        return content_types_provided();
      case state::languages_provided:
        return languages_provided();
      case state::charsets_provided:
        return charsets_provided();
      case state::ranges_provided: {
        auto units = call(h_.ranges_provided(r_));
        if (!units) return state::done;
        if (*units) {
          ranges_ = std::move(**units);
          std::vector<std::string> names;
          for (auto& u : ranges_) names.push_back(u.unit);
          r_.set_resp_header("accept-ranges", names.empty() ? "none" : join(names));
        }
        return state::variances;
      }
      case state::variances: {
        std::vector<std::string> vary;
        if (provided_.size() > 1) vary.push_back("accept");
        if (languages_ && languages_->size() > 1) vary.push_back("accept-language");
        if (charsets_ && *charsets_ && (*charsets_)->size() > 1) vary.push_back("accept-charset");
        for (auto& v : h_.variances(r_)) vary.push_back(v);
        if (!vary.empty()) r_.set_resp_header("vary", join(vary));
        return state::resource_exists;
      }

      // -- Resource existence and conditional requests -------------------------------------------
      case state::resource_exists:
        return expect(h_.resource_exists(r_), [this](bool e) {
          exists_ = e;
          return state::preconditions;
        });
      case state::preconditions: {
        conditional::validators v{[this] { return etag(); },
                                  [this] {
                                    return modified();
                                  }};
        switch (conditional::evaluate(r_.headers(), method_, exists_, v, std::time(nullptr))) {
          case conditional::outcome::precondition_failed:
            return respond(412);
          case conditional::outcome::not_modified:
            return not_modified();
          case conditional::outcome::proceed:
            break;
        }
        return exists_ ? state::method : state::missing_resource;
      }
      case state::missing_resource:
        if (method_ == "PUT") {
          after_moved_ = state::is_conflict;
          return state::moved_permanently;
        }
        return state::previously_existed;
      case state::previously_existed:
        return expect(h_.previously_existed(r_), [this](bool existed) {
          if (!existed) return missing(404);
          after_moved_ = state::moved_temporarily;
          return state::moved_permanently;
        });
      case state::moved_permanently: {
        auto loc = call(h_.moved_permanently(r_));
        if (!loc) return state::done;
        if (!*loc) return after_moved_;
        r_.set_resp_header("location", **loc);
        return respond(301);
      }
      case state::moved_temporarily: {
        auto loc = call(h_.moved_temporarily(r_));
        if (!loc) return state::done;
        if (!*loc) return missing(410);
        r_.set_resp_header("location", **loc);
        return respond(307);
      }
      case state::allow_missing_post:
        return expect(h_.allow_missing_post(r_), true, state::content_types_accepted,
                      missing_status_);
      case state::method:
        if (method_ == "DELETE") return state::delete_resource;
        if (method_ == "PUT") return state::is_conflict;
        if (method_ == "POST" || method_ == "PATCH") return state::content_types_accepted;
        if (method_ == "GET" || method_ == "HEAD") return state::get_validators;
        return state::multiple_choices;

      // -- GET and HEAD --------------------------------------------------------------------------
      case state::get_validators:
        set_validators();
        return state::get_body;
      case state::get_body:
        return get_body();

      // -- PUT, POST and PATCH -------------------------------------------------------------------
      case state::is_conflict:
        return expect(h_.is_conflict(r_), false, state::content_types_accepted, 409);
      case state::content_types_accepted:
        return content_types_accepted();

      // -- DELETE --------------------------------------------------------------------------------
      case state::delete_resource:
        return expect(h_.delete_resource(r_), true, state::delete_completed, 500);
      case state::delete_completed:
        return expect(h_.delete_completed(r_), true, state::has_resp_body, 202);
      case state::has_resp_body:
        return r_.has_resp_body() ? state::multiple_choices : respond(204);
      case state::multiple_choices:
        return expect(h_.multiple_choices(r_), [this](bool many) {
          int status = many ? 300 : 200;
          return body_ ? send(status, {std::move(*body_)}) : respond(status);
        });
      case state::done:
        break;
    }
    return state::done;
  }

  bool listed(const std::vector<std::string>& ms) const {
    return std::find(ms.begin(), ms.end(), method_) != ms.end();
  }

  // A missing resource: a POST may still create it (allow_missing_post), else `status`.
  state missing(int status) {
    if (method_ != "POST") return respond(status);
    missing_status_ = status;
    return state::allow_missing_post;
  }

  // -- Content negotiation --------------------------------------------------------------------

  state content_types_provided() {
    auto p = call(h_.content_types_provided(r_));
    if (!p) return state::done;
    provided_ = std::move(*p);
    if (provided_.empty()) return respond(406);
    std::vector<negotiation::media_type> types;
    for (auto& x : provided_) types.push_back(x.type);
    auto accept = r_.header("accept");
    if (!accept) {
      chosen_ = 0;
      media_ = provided_[0].type;
      if (media_.any_params) media_.params.clear();
      media_.any_params = false;
      return state::languages_provided;
    }
    auto ranges = http_header::parse_accept(*accept);
    if (!ranges) return respond(400);
    auto choice = negotiation::choose_media_type(negotiation::prioritize(std::move(*ranges)), types,
                                                 [this] { return charsets(); });
    if (!choice) return respond(406);
    chosen_ = choice->index;
    media_ = std::move(choice->chosen);
    charset_ = std::move(choice->charset);
    return state::languages_provided;
  }

  // The resource's charsets, asked once (content negotiation may need them early).
  const std::vector<std::string>* charsets() {
    if (!charsets_) {
      auto c = call(h_.charsets_provided(r_));
      if (!c) {
        ended_ = true;
        charsets_.emplace(std::nullopt);
      } else {
        charsets_.emplace(std::move(*c));
      }
    }
    return *charsets_ ? &**charsets_ : nullptr;
  }

  state languages_provided() {
    if (ended_) return state::done;
    auto l = call(h_.languages_provided(r_));
    if (!l) return state::done;
    languages_ = std::move(*l);
    if (!languages_) return state::charsets_provided;
    if (languages_->empty()) return respond(406);
    std::string chosen = languages_->front();
    if (auto* al = r_.header("accept-language")) {
      auto items = http_header::parse_accept_language(*al);
      if (!items) return respond(400);
      auto c = negotiation::choose_language(std::move(*items), *languages_);
      if (!c) return respond(406);
      chosen = std::move(*c);
    }
    r_.set_resp_header("content-language", chosen);
    return state::charsets_provided;
  }

  state charsets_provided() {
    if (!charset_) {
      auto* list = charsets();
      if (ended_) return state::done;
      if (list) {
        if (list->empty()) return respond(406);
        std::optional<std::string> c = list->front();
        if (auto* ac = r_.header("accept-charset")) {
          auto items = http_header::parse_accept_charset(*ac);
          if (!items) return respond(400);
          c = negotiation::choose_charset(std::move(*items), *list);
        }
        if (!c) return respond(406);
        charset_ = std::move(c);
      }
    }
    content_type_ = media_.to_string();
    if (media_.type == "text" && charset_) content_type_ += "; charset=" + *charset_;
    r_.set_resp_header("content-type", content_type_);
    return state::ranges_provided;
  }

  // -- Validators -----------------------------------------------------------------------------

  const std::optional<http_header::etag>& etag() {
    if (!etag_) etag_.emplace(h_.generate_etag(r_));
    return *etag_;
  }
  const std::optional<std::time_t>& modified() {
    if (!modified_) modified_.emplace(h_.last_modified(r_));
    return *modified_;
  }

  void set_etag_and_expires() {
    if (auto& e = etag()) r_.set_resp_header("etag", conditional::format(*e));
    if (auto x = h_.expires(r_)) {
      if (auto* t = std::get_if<std::time_t>(&*x))
        r_.set_resp_header("expires", http_date::format(*t));
      else
        r_.set_resp_header("expires", std::get<std::string>(*x));
    }
  }

  void set_validators() {
    set_etag_and_expires();
    if (auto& lm = modified()) r_.set_resp_header("last-modified", http_date::format(*lm));
  }

  state not_modified() {
    r_.delete_resp_header("content-type");
    set_etag_and_expires();
    return respond(304);
  }

  // -- GET and HEAD: the body, whole or in ranges ---------------------------------------------

  state get_body() {
    auto& p = provided_[chosen_];
    if (!p.fn)
      throw std::logic_error("content_types_provided: no callback for " + media_.to_string());
    conditional::validators v{[this] { return etag(); },
                              [this] {
                                return modified();
                              }};
    const std::string* range = r_.header("range");
    if (range && !ranges_.empty() && conditional::if_range(r_.headers(), v)) {
      auto requested = http_header::parse_range(*range);
      if (!requested) return respond(416);  // Cowboy's choice: tell the client it failed
      auto unit = std::find_if(ranges_.begin(), ranges_.end(),
                               [&](auto& u) { return u.unit == requested->unit; });
      if (unit != ranges_.end()) return ranged_body(*requested, *unit);
    }
    auto b = call(p.fn(r_));
    if (!b) return state::done;
    body_ = std::move(*b);
    return state::multiple_choices;
  }

  state ranged_body(const http_header::range& requested, const rest::range_unit& unit) {
    auto ok = call(h_.range_satisfiable(r_, requested));
    if (!ok) return state::done;
    if (!*ok) return respond(416);
    std::vector<rest::range_part> parts;
    if (!unit.fn) {
      if (requested.unit != "bytes") return respond(416);
      auto b = call(provided_[chosen_].fn(r_));
      if (!b) return state::done;
      auto size = body_size(*b);
      auto resolved = ranges::resolve(requested.ranges, size);
      if (resolved.empty()) {
        r_.set_resp_header("content-range", ranges::unsatisfied_range(size));
        return respond(416);
      }
      for (auto& part : resolved) parts.push_back({part, {}, slice(*b, part)});
    } else {
      auto made = call(unit.fn(r_, requested));
      if (!made) return state::done;
      parts = std::move(*made);
      if (parts.empty()) return respond(416);
    }
    auto range_of = [&](const rest::range_part& p) {
      return p.content_range.empty() ? ranges::content_range(p.part, requested.unit)
                                     : requested.unit + " " + p.content_range;
    };
    if (parts.size() == 1) {
      r_.set_resp_header("content-range", range_of(parts[0]));
      return send(206, {std::move(parts[0].body)});
    }
    auto boundary = ranges::boundary();
    std::vector<rest::body> segments;
    for (std::size_t i = 0; i < parts.size(); ++i) {
      segments.emplace_back(ranges::part_head(boundary, i == 0, content_type_, range_of(parts[i])));
      segments.push_back(std::move(parts[i].body));
    }
    segments.emplace_back(ranges::close(boundary));
    r_.set_resp_header("content-type", "multipart/byteranges; boundary=" + boundary);
    return send(206, std::move(segments));
  }

  static rest::body slice(const rest::body& b, const ranges::part& p) {
    if (auto* s = std::get_if<std::string>(&b)) return s->substr(p.first, p.length());
    auto f = std::get<rest::file_body>(b);
    f.offset += p.first;
    f.length = p.length();
    return f;
  }

  // -- PUT, POST and PATCH ---------------------------------------------------------------------

  state content_types_accepted() {
    auto a = call(h_.content_types_accepted(r_));
    if (!a) return state::done;
    auto* ct = r_.header("content-type");
    auto parsed = ct ? http_header::parse_content_type(*ct) : std::nullopt;
    if (!parsed) return respond(415);
    auto it = std::find_if(a->begin(), a->end(), [&](auto& x) {
      return negotiation::matches_content_type(*parsed, x.type);
    });
    if (it == a->end() || !it->fn) return respond(415);
    auto answer = call(it->fn(r_));
    if (!answer) return state::done;
    if (auto* later = std::get_if<rest::body_then>(&answer->v)) {
      read_whole_body(std::move(*later), std::string{});
      return state::done;
    }
    return accepted(std::get<rest::accepted>(answer->v));
  }

  // The accept callback asked for the body: read it all, then resume the flow with its answer.
  void read_whole_body(rest::body_then later, std::string acc) {
    r_.read_body([this, later = std::move(later), acc = std::move(acc)](req&, std::string data,
                                                                        is_fin f) mutable {
      acc += data;
      if (acc.size() > later.length)
        throw http_error(413, "request body larger than " + std::to_string(later.length));
      if (f == nofin) return read_whole_body(std::move(later), std::move(acc));
      auto a = call(later.then(r_, std::move(acc)));
      if (switched_) throw std::logic_error("switch_handler after reading the body");
      if (a) run(accepted(*a));
    });
  }

  state accepted(const rest::accepted& a) {
    if (a.pending) {
      r_.hold();
      suspended_ = true;
      return state::done;
    }
    if (!a.ok) return respond(400);
    if (a.location && method_ == "POST") {
      r_.set_resp_header("location", *a.location);
      return respond(exists_ ? 303 : 201);
    }
    if (exists_) return state::has_resp_body;
    if (method_ == "PUT" || r_.has_resp_header("location")) return respond(201);
    return state::has_resp_body;
  }

  // -- Responses -------------------------------------------------------------------------------

  // Cowboy's respond/3: no body means no content-type.
  state respond(int status) {
    if (!r_.has_resp_body()) r_.delete_resp_header("content-type");
    r_.reply(status);
    return state::done;
  }

  // A response made of strings and file ranges: one reply when all are strings, else streamed
  // with a content-length.
  state send(int status, std::vector<rest::body> segments) {
    bool files = std::any_of(segments.begin(), segments.end(),
                             [](auto& s) { return std::holds_alternative<rest::file_body>(s); });
    if (!files) {
      std::string body;
      for (auto& s : segments) body += std::get<std::string>(s);
      r_.reply(status, {}, std::move(body));
      return state::done;
    }
    std::uint64_t total = 0;
    for (auto& s : segments) total += body_size(s);
    r_.stream_reply(status, {{"content-length", std::to_string(total)}});
    if (method_ == "HEAD") {
      r_.stream_body({}, fin);
      return state::done;
    }
    segments_ = std::move(segments);
    pump();
    return state::done;
  }

  // Sends the next segment, continuing once the connection took it (file ranges go as sendfile
  // commands: the connection sends them from the descriptor).
  void pump() {
    while (next_segment_ < segments_.size()) {
      auto& seg = segments_[next_segment_];
      bool last_segment = next_segment_ + 1 == segments_.size();
      if (auto* s = std::get_if<std::string>(&seg)) {
        ++next_segment_;
        if (!last_segment && s->empty()) continue;
        r_.stream_body(std::move(*s), last_segment ? fin : nofin, [this](req&) { pump(); });
        return;
      }
      auto& f = std::get<rest::file_body>(seg);
      ++next_segment_;
      r_.stream_body(f, last_segment ? fin : nofin, [this](req&) { pump(); });
      return;
    }
  }

  rest_handler& h_;
  req& r_;
  std::string method_;
  std::shared_ptr<handler> switched_;
  bool ended_ = false;  // charsets_provided answered stop or switch inside negotiation
  bool exists_ = false;
  bool suspended_ = false;            // accepted::later(): waiting for rest_handler::resume
  std::function<state(bool)> later_;  // rest::later: the rest of the flow, given the answer
  state after_moved_ = state::done;
  int missing_status_ = 404;
  std::vector<rest::provided> provided_;
  std::size_t chosen_ = 0;
  negotiation::media_type media_;
  std::optional<std::string> charset_;
  std::string content_type_;
  std::optional<std::vector<std::string>> languages_;
  std::optional<std::optional<std::vector<std::string>>> charsets_;
  std::vector<rest::range_unit> ranges_;
  std::optional<std::optional<http_header::etag>> etag_;
  std::optional<std::optional<std::time_t>> modified_;
  std::optional<rest::body> body_;
  std::vector<rest::body> segments_;
  std::size_t next_segment_ = 0;
};

}  // namespace detail

rest_handler::rest_handler() = default;
rest_handler::~rest_handler() = default;

handler_result rest_handler::init(req& r) {
  flow_ = std::make_unique<detail::rest_flow>(*this, r);
  return flow_->start();
}

void rest_handler::resume(req&, const rest::accepted& a) {
  if (!flow_) throw std::logic_error("resume before init");
  flow_->resume(a);
}

void rest_handler::resume(req&, bool answer) {
  if (!flow_) throw std::logic_error("resume before init");
  flow_->resume(answer);
}

handler_result rest_handler::info(caf::message& msg, req& r) {
  return switched_ ? switched_->info(msg, r) : ok();
}

void rest_handler::terminate(const caf::error& reason, req& r) {
  if (switched_) switched_->terminate(reason, r);
}

rest_handler::result<rest_handler::methods> rest_handler::known_methods(req&) {
  return methods{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"};
}

rest_handler::result<rest_handler::methods> rest_handler::allowed_methods(req&) {
  return methods{"GET", "HEAD", "OPTIONS"};
}

rest_handler::result<bool> rest_handler::options(req& r) {
  r.set_resp_header("allow", detail::join(allowed_));
  return true;
}

rest_handler::result<std::vector<rest::provided>> rest_handler::content_types_provided(req&) {
  return std::vector<rest::provided>{{"text/html", [this](req& r) {
                                        return to_html(r);
                                      }}};
}

rest_handler::result<rest::body> rest_handler::to_html(req&) {
  throw std::logic_error("the default content_types_provided needs to_html()");
}

}  // namespace rodeo
