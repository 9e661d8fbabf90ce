#include "rodeo/http1_parser.hpp"

#include <llhttp.h>

#include <cstring>

#include "rodeo/ascii.hpp"
#include "rodeo/http_header.hpp"
#include "rodeo/uri.hpp"

namespace rodeo::http1 {
namespace {

void trim_trailing_ows(std::string& s) {
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.pop_back();
}

}  // namespace

struct parser::callbacks {
  static parser& self(llhttp_t* p) { return *static_cast<parser*>(p->data); }

  static int on_method(llhttp_t* p, const char* at, size_t len) {
    auto& s = self(p);
    s.head_.req.method.append(at, len);
    s.line_length_ += len;
    if (s.head_.req.method.size() > s.limits_.max_method_length)
      return s.fail(501, "The method name is longer than configuration allows.");
    return 0;
  }

  static int on_url(llhttp_t* p, const char* at, size_t len) {
    auto& s = self(p);
    s.target_.append(at, len);
    s.line_length_ += len;
    if (s.line_length_ + 1 > s.limits_.max_request_line_length)
      return s.fail(414, "The request-target is longer than configuration allows.");
    return 0;
  }

  static int on_version_complete(llhttp_t* p) {
    auto& s = self(p);
    s.version_seen_ = true;
    if (p->http_major != 1 || p->http_minor > 1)
      return s.fail(505, "The HTTP version is not supported.");
    s.line_length_ += 10;  // " HTTP/1.x"
    if (s.line_length_ > s.limits_.max_request_line_length)
      return s.fail(414, "The request line is longer than configuration allows.");
    return 0;
  }

  static int on_header_field(llhttp_t* p, const char* at, size_t len) {
    auto& s = self(p);
    s.field_.append(at, len);
    if (s.field_.size() > s.limits_.max_header_name_length)
      return s.fail(431, "A header name is longer than configuration allows.");
    return 0;
  }

  static int on_header_field_complete(llhttp_t* p) {
    auto& s = self(p);
    if (!ascii::is_token(s.field_)) return s.fail(400, "Invalid header name.");
    if (++s.header_count_ > s.limits_.max_headers)
      return s.fail(431, "The number of headers is larger than configuration allows.");
    return 0;
  }

  static int on_header_value(llhttp_t* p, const char* at, size_t len) {
    auto& s = self(p);
    s.value_.append(at, len);
    if (s.value_.size() > s.limits_.max_header_value_length)
      return s.fail(431, "A header value is longer than configuration allows.");
    return 0;
  }

  static int on_header_value_complete(llhttp_t* p) {
    self(p).finish_field();
    return 0;
  }

  static int on_headers_complete(llhttp_t* p) { return self(p).on_head_complete(); }

  static int on_body(llhttp_t* p, const char* at, size_t len) {
    auto& s = self(p);
    if (s.body_) s.body_->append(at, len);
    return 0;
  }

  static int on_message_complete(llhttp_t* p) {
    auto& s = self(p);
    s.phase_ = phase::done;
    s.started_ = false;
    s.pause_ = pause::message_end;
    return HPE_PAUSED;
  }

  static const llhttp_settings_t& settings() {
    static const llhttp_settings_t st = [] {
      llhttp_settings_t x;
      llhttp_settings_init(&x);
      x.on_method = on_method;
      x.on_url = on_url;
      x.on_version_complete = on_version_complete;
      x.on_header_field = on_header_field;
      x.on_header_field_complete = on_header_field_complete;
      x.on_header_value = on_header_value;
      x.on_header_value_complete = on_header_value_complete;
      x.on_headers_complete = on_headers_complete;
      x.on_body = on_body;
      x.on_message_complete = on_message_complete;
      return x;
    }();
    return st;
  }
};

parser::parser(const limits& l, std::string scheme)
    : limits_(l), scheme_(std::move(scheme)), llhttp_(std::make_unique<llhttp_t>()) {
  head_.req.scheme = scheme_;
  llhttp_init(llhttp_.get(), HTTP_REQUEST, &callbacks::settings());
  llhttp_->data = this;
}

parser::~parser() = default;

int parser::fail(int status, std::string reason) {
  error_status_ = status;
  error_reason_ = std::move(reason);
  return HPE_USER;
}

void parser::finish_field() {
  trim_trailing_ows(value_);
  // Trailer fields are checked for syntax and limits above, then dropped as Cowboy does.
  if (!trailers_) {
    ascii::lowercase(field_);
    if (field_ == "host") ++host_count_;
    auto& hs = head_.req.headers;
    if (auto* v = hs.find(field_)) {
      // Repeated fields combine into one list value (RFC 9110 §5.3); cookies use "; ". An empty
      // line adds no element (a trailing separator would not survive re-parsing).
      if (v->empty()) {
        *v = std::move(value_);
      } else if (!value_.empty()) {
        v->append(field_ == "cookie" ? "; " : ", ");
        v->append(value_);
      }
    } else {
      hs.push_back(std::move(field_), std::move(value_));
    }
  }
  field_.clear();
  value_.clear();
}

int parser::on_head_complete() {
  auto* p = llhttp_.get();
  auto& h = head_;
  auto& r = h.req;
  // llhttp takes a request line without a version for HTTP/0.9; RFC 9112 §2.3 has no such thing.
  if (!version_seen_) return fail(400, "The request line has no HTTP version.");
  h.version_minor = p->http_minor;
  r.version = p->http_minor == 1 ? "HTTP/1.1" : "HTTP/1.0";
  if (r.method == "CONNECT" || r.method == "TRACE")
    return fail(501, "The " + r.method + " method is not implemented.");
  auto target = uri::parse_request_target(r.method, target_);
  if (!target) return fail(400, "Invalid request-target.");
  r.path.assign(target->path);
  r.qs.assign(target->query);
  if (host_count_ > 1) return fail(400, "Multiple host headers.");
  if (auto* host = r.headers.find("host")) {
    auto parsed = http_header::parse_host(*host);
    if (!parsed) return fail(400, "Invalid host header.");
    r.host = std::move(parsed->name);
    r.port = parsed->port.value_or(r.scheme == "https" ? 443 : 80);
  } else if (h.version_minor == 1) {
    return fail(400, "HTTP/1.1 requests must include a host header.");
  } else {
    r.port = r.scheme == "https" ? 443 : 80;
  }
  if (target->form == uri::target_form::absolute) {
    // RFC 9112 §3.2.2: the target's authority wins over the host header.
    r.host = ascii::to_lower(target->host);
    r.port = target->port.value_or(r.scheme == "https" ? 443 : 80);
  }
  if (auto* te = r.headers.find("transfer-encoding")) {
    if (h.version_minor == 0) return fail(400, "HTTP/1.0 requests must not use transfer-encoding.");
    auto codings = http_header::parse_transfer_encoding(*te);
    if (!codings) return fail(400, "Invalid transfer-encoding header.");
    for (auto& c : *codings)
      if (c != "chunked") return fail(501, "Only the chunked transfer-coding is supported.");
    if (codings->size() != 1) return fail(400, "The chunked transfer-coding was applied twice.");
  }
  if (p->flags & F_CHUNKED) {
    h.chunked = true;
    head_chunked_ = true;
    r.has_body = true;
    chunked_ = chunked_decoder{{limits_.max_chunk_extension_length, limits_.max_header_name_length,
                                limits_.max_header_value_length, limits_.max_headers}};
  } else if (p->flags & F_CONTENT_LENGTH) {
    r.body_length = p->content_length;
    r.has_body = p->content_length > 0;
  } else {
    r.body_length = 0;
  }
  h.keep_alive = llhttp_should_keep_alive(p);
  if (auto* expect = r.headers.find("expect"))
    h.expect_continue = r.has_body && http_header::parse_expect(*expect).value_or(false);
  h.upgrade = p->upgrade && r.headers.contains("upgrade");
  if (auto* te = r.headers.find("te"))
    if (auto parsed = http_header::parse_te(*te)) h.te_trailers = parsed->trailers;
  phase_ = phase::body;
  trailers_ = true;
  pause_ = pause::head;
  return HPE_PAUSED;
}

// llhttp accepts a bare LF after the request line and folded (obs-fold) header lines, and has no
// notion of NUL in values; RFC 9112 §2.2 and §5.2 let a server reject them, and smuggling attacks
// live there, so the head is scanned once: every LF must follow a CR, every CR precede an LF, and
// no line may start with whitespace.
bool parser::scan_head(const char* data, size_t size) {
  char prev = prev_;
  for (size_t i = 0; i < size; ++i) {
    char c = data[i];
    if (c == '\n') {
      if (prev != '\r') return false;
    } else if (prev == '\r') {
      return false;
    } else if ((c == ' ' || c == '\t') && prev == '\n') {
      return false;
    } else if (c == '\0') {
      return false;
    }
    prev = c;
  }
  prev_ = prev;
  return true;
}

// llhttp stops at the end of a chunked request's head; the body is ours, then llhttp starts afresh
// on the next request.
step parser::decode_chunked(const char* data, size_t size) {
  auto [r, used] = chunked_.decode(data, size, body_);
  if (r == chunked_decoder::result::more) return {event::need_more, used};
  if (r == chunked_decoder::result::error) {
    error_status_ = chunked_.error_status();
    error_reason_ = chunked_.error_reason();
    return {event::error, used};
  }
  llhttp_reset(llhttp_.get());
  head_chunked_ = false;
  phase_ = phase::done;
  started_ = false;
  return {event::message_end, used};
}

step parser::execute(const char* data, size_t size, std::string* body) {
  body_ = body;
  for (;;) {
    if (phase_ == phase::done) {
      // The previous request ended: start the next one from a clean slate.
      head_ = request_head{};
      head_.req.scheme = scheme_;
      target_.clear();
      header_count_ = host_count_ = line_length_ = 0;
      trailers_ = version_seen_ = false;
      prev_ = '\n';
      phase_ = phase::head;
    }
    // An empty input still completes a message whose body is empty or already read.
    if (size == 0 && phase_ != phase::body) return {event::need_more, 0};
    if (!data) data = "";
    if (phase_ == phase::body && head_chunked_) return decode_chunked(data, size);
    bool in_head = phase_ == phase::head;
    pause_ = pause::none;
    auto err = llhttp_execute(llhttp_.get(), data, size);
    size_t used =
        err == HPE_OK ? size : static_cast<size_t>(llhttp_get_error_pos(llhttp_.get()) - data);
    if (in_head && used > 0) started_ = true;
    if (err == HPE_OK || err == HPE_PAUSED) {
      if (in_head && !scan_head(data, used)) {
        error_status_ = 400;
        error_reason_ = "Invalid line ending or folded header line in the request head.";
        return {event::error, used};
      }
    }
    switch (err) {
      case HPE_OK:
        return {event::need_more, size};
      case HPE_PAUSED:
        llhttp_resume(llhttp_.get());
        return {pause_ == pause::head ? event::head : event::message_end, used};
      case HPE_PAUSED_H2_UPGRADE:
        // The HTTP/2 connection preface ("PRI * HTTP/2.0"): this is an HTTP/1.1 connection.
        error_status_ = 505;
        error_reason_ = "HTTP/2 with prior knowledge is not served on this connection.";
        return {event::error, used};
      case HPE_PAUSED_UPGRADE:
        // The request asked for an upgrade that was not taken (a switch would have stopped
        // feeding this parser): keep parsing HTTP/1.1.
        llhttp_resume_after_upgrade(llhttp_.get());
        data += used;
        size -= used;
        continue;
      default:
        break;
    }
    if (error_status_ == 0) {
      error_reason_ = llhttp_get_error_reason(llhttp_.get());
      error_status_ = 400;
      if (err == HPE_INVALID_METHOD) {
        // An unknown but well-formed method is "not implemented" (RFC 9110 §9.1), junk is 400.
        const char* end = data + size;
        const char* q = llhttp_get_error_pos(llhttp_.get());
        while (q < end && ascii::is_tchar(*q)) ++q;
        if (q == end || *q == ' ') error_status_ = 501;
      } else if (err == HPE_INVALID_VERSION && error_reason_ == "Invalid HTTP version") {
        error_status_ = 505;
      }
    }
    return {event::error, used};
  }
}

}  // namespace rodeo::http1
