#pragma once
// HTTP/1.1 request parsing (RFC 9112) on llhttp, strict: no lenient flags, plus the checks llhttp
// leaves to its user — header-section framing (bare CR or LF, obs-fold, NUL), field-name syntax,
// Host, Transfer-Encoding, request-target, versions — and Cowboy's length limits. Chunked bodies
// are decoded by http1::chunked_decoder, not llhttp (which is lax in chunk framing). Pure: no
// actors, no sockets. Each failure carries the status Cowboy answers with.
//
//   http1::parser p{limits};
//   for (;;) {
//     auto [ev, used] = p.execute(data, size, &body);   // body bytes are appended to `body`
//     data += used; size -= used;
//     if (ev == http1::event::head)             start(p.take_head());
//     else if (ev == http1::event::message_end) finish();   // the parser waits for the next one
//     else if (ev == http1::event::error)       reply(p.error_status()), close();
//     else break;                                // need_more: every byte was consumed
//   }
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "rodeo/http1_chunked.hpp"
#include "rodeo/http_message.hpp"

struct llhttp__internal_s;

namespace rodeo::http1 {

/// Cowboy's protocol options for request parsing, with Cowboy's defaults.
struct limits {
  size_t max_method_length = 32;
  size_t max_request_line_length = 8000;
  size_t max_header_name_length = 64;
  size_t max_header_value_length = 4096;
  size_t max_headers = 100;
  size_t max_chunk_extension_length = 129;
};

/// A parsed request head plus the HTTP/1 facts the connection needs.
struct request_head {
  rodeo::request req;  // method, version, host, port, path, qs, headers, has_body, body_length
  int version_minor = 1;
  bool keep_alive = true;        // HTTP/1.1 without "close"; HTTP/1.0 with "keep-alive"
  bool chunked = false;          // the body is chunked
  bool expect_continue = false;  // "expect: 100-continue" with a body
  bool upgrade = false;          // "connection: upgrade" and an "upgrade" header
  bool te_trailers = false;      // the client accepts trailers ("te: trailers")
};

enum class event {
  need_more,    // every byte was consumed; feed more
  head,         // a request head is ready: take_head()
  message_end,  // the current request (and its body) ended; the next one may follow
  error,        // error_status() / error_reason(); the connection must close after answering
};

struct step {
  rodeo::http1::event event;
  size_t consumed;  // bytes of the input used up to and including this event
};

class parser {
 public:
  /// `scheme` is "http" or "https" (for the request's scheme and default port).
  explicit parser(const limits& l, std::string scheme = "http");
  ~parser();
  parser(const parser&) = delete;
  parser& operator=(const parser&) = delete;

  /// Parses until the next event. Body bytes are appended to *body (dropped when body is null).
  step execute(const char* data, size_t size, std::string* body);
  /// The head of the request after event::head, moved out.
  request_head take_head() { return std::move(head_); }

  int error_status() const noexcept { return error_status_; }
  const std::string& error_reason() const noexcept { return error_reason_; }
  /// True once a byte of the next request arrived (a request timeout then answers 408, else the
  /// connection closes silently); false between requests.
  bool request_started() const noexcept { return started_; }
  /// True while the current request's body is being parsed (after its head, before its end).
  bool in_body() const noexcept { return phase_ == phase::body; }

 private:
  enum class phase { head, body, done };
  enum class pause { none, head, message_end };
  struct callbacks;
  friend struct callbacks;

  int fail(int status, std::string reason);
  step decode_chunked(const char* data, size_t size);
  int on_head_complete();
  bool scan_head(const char* data, size_t size);
  void finish_field();

  limits limits_;
  std::string scheme_;
  std::unique_ptr<llhttp__internal_s> llhttp_;
  phase phase_ = phase::head;
  pause pause_ = pause::none;
  bool started_ = false;
  bool trailers_ = false;
  bool version_seen_ = false;
  bool head_chunked_ = false;  // the current body is chunked: chunked_ decodes it
  chunked_decoder chunked_;
  request_head head_;
  std::string target_;
  std::string field_;
  std::string value_;
  bool in_value_ = false;
  size_t header_count_ = 0;
  size_t host_count_ = 0;
  size_t line_length_ = 0;
  char prev_ = '\n';  // last byte of the head seen by scan_head
  std::string* body_ = nullptr;
  int error_status_ = 0;
  std::string error_reason_;
};

}  // namespace rodeo::http1
