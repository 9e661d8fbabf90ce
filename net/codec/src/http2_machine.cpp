#include "rodeo/http2_machine.hpp"

#include <nghttp2/nghttp2.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "rodeo/http_header.hpp"

namespace rodeo {

struct http2_machine::stream {
  // The request being received.
  request req;
  std::string protocol;
  std::optional<std::string> authority, host;
  size_t list_size = 0;  // decoded size of the header block (RFC 9113 6.5.2)
  size_t fields = 0;
  int reject_status = 0;  // 431 or 400: answered by the machine, never shown to the application
  bool malformed = false;
  bool rejected = false;
  bool shown = false;  // on_request was called: the application knows the stream
  bool in_trailers = false;
  headers trailers_in;
  // The response being sent.
  bool head = false;
  std::string out;
  size_t out_at = 0;
  bool out_fin = false;
  bool deferred = false;
  std::optional<headers> trailers_out;
};

namespace {

bool is_connection_specific(std::string_view name) {
  return name == "connection" || name == "keep-alive" || name == "transfer-encoding" ||
         name == "upgrade" || name == "proxy-connection";
}

nghttp2_nv nv(std::string_view name, std::string_view value) {
  return {reinterpret_cast<uint8_t*>(const_cast<char*>(name.data())),
          reinterpret_cast<uint8_t*>(const_cast<char*>(value.data())), name.size(), value.size(),
          NGHTTP2_NV_FLAG_NONE};
}

std::vector<nghttp2_nv> fields_of(const headers& hs, const std::string* status = nullptr) {
  std::vector<nghttp2_nv> out;
  out.reserve(hs.size() + 1);
  if (status) out.push_back(nv(":status", *status));
  for (const auto& [name, value] : hs)
    if (!is_connection_specific(name)) out.push_back(nv(name, value));
  return out;
}

}  // namespace

// nghttp2's callbacks, with the machine as user data.
struct http2_machine::callbacks {
  static http2_machine& self(void* p) { return *static_cast<http2_machine*>(p); }

  static stream* find(http2_machine& m, int32_t id) {
    auto it = m.streams_.find(id);
    return it == m.streams_.end() ? nullptr : it->second.get();
  }

  static int on_begin_frame(nghttp2_session*, const nghttp2_frame_hd* hd, void* p) {
    auto& m = self(p);
    if (m.over_rate(m.options_.max_received_frame_rate, m.frames_, m.frames_start_)) {
      m.fail(http2_error::enhance_your_calm, "frame flood (max_received_frame_rate)");
      return NGHTTP2_ERR_CALLBACK_FAILURE;
    }
    if (hd->type == NGHTTP2_HEADERS) {
      m.header_block_size_ = 0;
      // A new stream's id must be above every id the client used (RFC 9113 5.1.1); nghttp2
      // ignores HEADERS on an id below that was never opened.
      if ((hd->stream_id & 1) && !m.streams_.count(hd->stream_id)) {
        if (hd->stream_id <= m.last_request_id_) {
          m.fail(http2_error::protocol_error, "stream id below a previous one");
          return NGHTTP2_ERR_CALLBACK_FAILURE;
        }
        m.last_request_id_ = hd->stream_id;
      }
    }
    if (hd->type == NGHTTP2_HEADERS || hd->type == NGHTTP2_CONTINUATION) {
      m.header_block_size_ += hd->length;
      if (m.header_block_size_ > m.options_.max_fragmented_header_block_size) {
        m.fail(http2_error::enhance_your_calm,
               "header block too large (max_fragmented_header_block_size)");
        return NGHTTP2_ERR_CALLBACK_FAILURE;
      }
    }
    return 0;
  }

  static int on_begin_headers(nghttp2_session*, const nghttp2_frame* frame, void* p) {
    auto& m = self(p);
    if (frame->hd.type != NGHTTP2_HEADERS) return 0;
    if (frame->headers.cat == NGHTTP2_HCAT_REQUEST) {
      auto s = std::make_unique<stream>();
      s->req.version = "HTTP/2";
      s->req.streamid = static_cast<uint64_t>(frame->hd.stream_id);
      m.streams_[frame->hd.stream_id] = std::move(s);
    } else if (auto* s = find(m, frame->hd.stream_id)) {
      s->in_trailers = true;
      s->list_size = 0;
      s->fields = 0;
    }
    return 0;
  }

  static int on_header(nghttp2_session*, const nghttp2_frame* frame, const uint8_t* name_p,
                       size_t name_len, const uint8_t* value_p, size_t value_len, uint8_t,
                       void* p) {
    auto& m = self(p);
    auto* s = find(m, frame->hd.stream_id);
    if (!s || frame->hd.type != NGHTTP2_HEADERS) return 0;
    std::string_view name(reinterpret_cast<const char*>(name_p), name_len);
    std::string_view value(reinterpret_cast<const char*>(value_p), value_len);
    s->list_size += name_len + value_len + 32;
    if (s->list_size > m.options_.max_header_list_size) {
      s->reject_status = 431;  // HPACK goes on decoding (the table must stay in sync)
      return 0;
    }
    if (s->reject_status) return 0;
    if (s->in_trailers) {
      if (++s->fields > m.options_.max_headers) s->reject_status = 431;
      s->trailers_in.push_back(std::string(name), std::string(value));
      return 0;
    }
    request& r = s->req;
    if (name.starts_with(':')) {
      if (name == ":method") {
        r.method = value;
        s->head = value == "HEAD";
      } else if (name == ":scheme") {
        r.scheme = value;
      } else if (name == ":authority") {
        s->authority = std::string(value);
      } else if (name == ":path") {
        auto q = value.find('?');
        r.path = value.substr(0, q);
        if (q != std::string_view::npos) r.qs = value.substr(q + 1);
      } else if (name == ":protocol") {
        s->protocol = value;
      }
      return 0;
    }
    if (++s->fields > m.options_.max_headers) {
      s->reject_status = 431;
      return 0;
    }
    if (name == "host") {
      if (s->host) s->malformed = true;  // two host fields
      s->host = std::string(value);
    }
    if (name == "cookie") {  // RFC 9113 8.2.3: crumbs are joined again for HTTP/1.1 semantics
      if (auto* c = r.headers.find("cookie")) {
        c->append("; ").append(value);
        return 0;
      }
    }
    r.headers.push_back(std::string(name), std::string(value));
    return 0;
  }

  // The request's header block is complete: checks what nghttp2 leaves to us and hands it on.
  static int request_headers(http2_machine& m, int32_t id, stream& s, bool end_stream) {
    if (s.reject_status) {
      m.early_response(id, s, s.reject_status);
      return 0;
    }
    // :protocol only in an extended CONNECT, and only once we allowed it (RFC 8441 4).
    bool bad_protocol =
        !s.protocol.empty() && (!m.options_.enable_connect_protocol || s.req.method != "CONNECT");
    if (s.malformed || bad_protocol || (s.authority && s.host && *s.authority != *s.host)) {
      s.rejected = true;
      nghttp2_submit_rst_stream(m.session_, NGHTTP2_FLAG_NONE, id, NGHTTP2_PROTOCOL_ERROR);
      return count_reset(m);
    }
    const std::string* authority = s.authority ? &*s.authority : s.host ? &*s.host : nullptr;
    request& r = s.req;
    r.port = r.scheme == "https" ? 443 : 80;
    if (authority) {
      if (authority->size() > m.options_.max_authority_length) {
        m.early_response(id, s, 400);
        return 0;
      }
      auto h = http_header::parse_host(*authority);
      if (!h) {
        m.early_response(id, s, 400);
        return 0;
      }
      r.host = h->name;
      if (h->port) r.port = *h->port;
      if (!s.host) r.headers.push_back("host", *authority);  // handlers read host as in HTTP/1.1
    }
    if (auto* cl = r.headers.find("content-length"))
      r.body_length = http_header::parse_content_length(*cl);
    r.has_body = !end_stream;
    if (end_stream) r.body_length = 0;
    std::string protocol = std::move(s.protocol);
    s.shown = true;
    m.events_.on_request(id, std::move(r), protocol);
    if (end_stream && m.streams_.count(id)) m.events_.on_data(id, {}, fin);
    return 0;
  }

  static int count_reset(http2_machine& m) {
    if (m.over_rate(m.options_.max_reset_stream_rate, m.resets_, m.resets_start_)) {
      m.fail(http2_error::enhance_your_calm, "too many stream errors (max_reset_stream_rate)");
      return NGHTTP2_ERR_CALLBACK_FAILURE;
    }
    return 0;
  }

  static int on_frame_recv(nghttp2_session*, const nghttp2_frame* frame, void* p) {
    auto& m = self(p);
    int32_t id = frame->hd.stream_id;
    bool end_stream = frame->hd.flags & NGHTTP2_FLAG_END_STREAM;
    switch (frame->hd.type) {
      case NGHTTP2_SETTINGS:
        if (frame->hd.flags & NGHTTP2_FLAG_ACK)
          m.settings_acked_ = true;
        else
          m.preface_received_ = true;
        return 0;
      case NGHTTP2_HEADERS: {
        auto* s = find(m, id);
        if (!s || s->rejected) return 0;
        if (frame->headers.cat == NGHTTP2_HCAT_REQUEST)
          return request_headers(m, id, *s, end_stream);
        if (s->reject_status) {
          s->rejected = true;
          nghttp2_submit_rst_stream(m.session_, NGHTTP2_FLAG_NONE, id, NGHTTP2_ENHANCE_YOUR_CALM);
          return count_reset(m);
        }
        m.events_.on_trailers(id, std::move(s->trailers_in));
        return 0;
      }
      case NGHTTP2_DATA:
        if (auto* s = find(m, id); s && !s->rejected && end_stream) m.events_.on_data(id, {}, fin);
        return 0;
      case NGHTTP2_RST_STREAM:
        if (m.over_rate(m.options_.max_cancel_stream_rate, m.cancels_, m.cancels_start_)) {
          m.fail(http2_error::enhance_your_calm,
                 "too many streams cancelled (max_cancel_stream_rate)");
          return NGHTTP2_ERR_CALLBACK_FAILURE;
        }
        return 0;
      default:
        return 0;
    }
  }

  static int on_invalid_frame_recv(nghttp2_session*, const nghttp2_frame*, int, void* p) {
    return count_reset(self(p));
  }

  static int on_data_chunk_recv(nghttp2_session* session, uint8_t, int32_t id, const uint8_t* data,
                                size_t len, void* p) {
    auto& m = self(p);
    auto* s = find(m, id);
    if (!s || s->rejected) {
      nghttp2_session_consume(session, id, len);  // nobody reads it: do not stall the window
      return 0;
    }
    m.events_.on_data(id, std::string_view(reinterpret_cast<const char*>(data), len), nofin);
    return 0;
  }

  static int on_stream_close(nghttp2_session*, int32_t id, uint32_t code, void* p) {
    auto& m = self(p);
    auto it = m.streams_.find(id);
    if (it == m.streams_.end()) return 0;
    bool shown = it->second->shown && !it->second->rejected;
    m.buffered_ -= it->second->out.size() - it->second->out_at;
    m.streams_.erase(it);
    if (shown) m.events_.on_stream_closed(id, static_cast<http2_error>(code));
    return 0;
  }

  static int on_frame_send(nghttp2_session*, const nghttp2_frame* frame, void* p) {
    auto& m = self(p);
    if (frame->hd.type == NGHTTP2_GOAWAY && frame->goaway.error_code != NGHTTP2_NO_ERROR &&
        m.error_ == http2_error::no_error) {
      m.error_ = static_cast<http2_error>(frame->goaway.error_code);
      m.error_reason_.assign(reinterpret_cast<const char*>(frame->goaway.opaque_data),
                             frame->goaway.opaque_data_len);
    }
    return 0;
  }

  static ssize_t read_data(nghttp2_session* session, int32_t id, uint8_t* buf, size_t length,
                           uint32_t* flags, nghttp2_data_source*, void* p) {
    auto& m = self(p);
    auto* s = find(m, id);
    if (!s) return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
    size_t n = std::min(length, s->out.size() - s->out_at);
    std::memcpy(buf, s->out.data() + s->out_at, n);
    s->out_at += n;
    m.buffered_ -= n;
    if (s->out_at == s->out.size()) {
      s->out.clear();
      s->out_at = 0;
    } else if (s->out_at > 65536 && s->out_at * 2 > s->out.size()) {
      s->out.erase(0, s->out_at);
      s->out_at = 0;
    }
    if (n == 0 && !s->out_fin) {
      s->deferred = true;
      return NGHTTP2_ERR_DEFERRED;
    }
    if (s->out_fin && s->out.empty()) {
      *flags |= NGHTTP2_DATA_FLAG_EOF;
      if (s->trailers_out && !s->trailers_out->empty()) {
        *flags |= NGHTTP2_DATA_FLAG_NO_END_STREAM;
        auto nva = fields_of(*s->trailers_out);
        nghttp2_submit_trailer(session, id, nva.data(), nva.size());
      }
    }
    return static_cast<ssize_t>(n);
  }
};

http2_machine::http2_machine(const http2_options& options, http2_events& events)
    : options_(options), events_(events) {
  init(std::nullopt, false);
}

http2_machine::http2_machine(const http2_options& options, http2_events& events,
                             std::string_view upgrade_settings, bool upgrade_head)
    : options_(options), events_(events) {
  init(upgrade_settings, upgrade_head);
}

void http2_machine::init(std::optional<std::string_view> upgrade_settings, bool upgrade_head) {
  frames_start_ = resets_start_ = cancels_start_ = std::chrono::steady_clock::now();
  nghttp2_session_callbacks* cbs;
  nghttp2_session_callbacks_new(&cbs);
  nghttp2_session_callbacks_set_on_begin_frame_callback(cbs, callbacks::on_begin_frame);
  nghttp2_session_callbacks_set_on_begin_headers_callback(cbs, callbacks::on_begin_headers);
  nghttp2_session_callbacks_set_on_header_callback(cbs, callbacks::on_header);
  nghttp2_session_callbacks_set_on_frame_recv_callback(cbs, callbacks::on_frame_recv);
  nghttp2_session_callbacks_set_on_invalid_frame_recv_callback(cbs,
                                                               callbacks::on_invalid_frame_recv);
  nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cbs, callbacks::on_data_chunk_recv);
  nghttp2_session_callbacks_set_on_stream_close_callback(cbs, callbacks::on_stream_close);
  nghttp2_session_callbacks_set_on_frame_send_callback(cbs, callbacks::on_frame_send);
  nghttp2_option* opt;
  nghttp2_option_new(&opt);
  nghttp2_option_set_no_auto_window_update(opt, 1);
  nghttp2_option_set_max_deflate_dynamic_table_size(opt, options_.max_encode_table_size);
  int rv = nghttp2_session_server_new2(&session_, cbs, this, opt);
  nghttp2_option_del(opt);
  nghttp2_session_callbacks_del(cbs);
  if (rv != 0) throw std::bad_alloc();
  std::vector<nghttp2_settings_entry> iv{
      {NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, options_.max_concurrent_streams},
      {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, options_.initial_stream_window_size},
      {NGHTTP2_SETTINGS_MAX_FRAME_SIZE, options_.max_frame_size_received},
      {NGHTTP2_SETTINGS_HEADER_TABLE_SIZE, options_.max_decode_table_size},
      {NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE,
       static_cast<uint32_t>(options_.max_header_list_size)}};
  if (options_.enable_connect_protocol) iv.push_back({NGHTTP2_SETTINGS_ENABLE_CONNECT_PROTOCOL, 1});
  nghttp2_submit_settings(session_, NGHTTP2_FLAG_NONE, iv.data(), iv.size());
  if (options_.initial_connection_window_size != NGHTTP2_INITIAL_CONNECTION_WINDOW_SIZE)
    nghttp2_session_set_local_window_size(
        session_, NGHTTP2_FLAG_NONE, 0,
        static_cast<int32_t>(options_.initial_connection_window_size));
  if (!upgrade_settings) return;
  rv =
      nghttp2_session_upgrade2(session_, reinterpret_cast<const uint8_t*>(upgrade_settings->data()),
                               upgrade_settings->size(), upgrade_head, nullptr);
  if (rv != 0) {
    fail(http2_error::protocol_error, "bad HTTP2-Settings");
    return;
  }
  auto s = std::make_unique<stream>();
  s->head = upgrade_head;
  s->shown = true;
  streams_[1] = std::move(s);
}

http2_machine::~http2_machine() {
  nghttp2_session_del(session_);
}

bool http2_machine::recv(std::string_view bytes) {
  if (error_ != http2_error::no_error) return false;
  auto rv = nghttp2_session_mem_recv(session_, reinterpret_cast<const uint8_t*>(bytes.data()),
                                     bytes.size());
  if (rv >= 0) return error_ == http2_error::no_error;
  if (error_ == http2_error::no_error) {
    if (rv == NGHTTP2_ERR_BAD_CLIENT_MAGIC)
      fail(http2_error::protocol_error, "invalid connection preface");
    else if (rv == NGHTTP2_ERR_FLOODED)
      fail(http2_error::enhance_your_calm, "flood of frames needing an answer");
    else if (rv == NGHTTP2_ERR_TOO_MANY_CONTINUATIONS)
      fail(http2_error::enhance_your_calm, "CONTINUATION flood");
    else
      fail(http2_error::protocol_error, nghttp2_strerror(static_cast<int>(rv)));
  }
  return false;
}

void http2_machine::send(std::string& out) {
  for (;;) {
    const uint8_t* data = nullptr;
    auto n = nghttp2_session_mem_send(session_, &data);
    if (n <= 0) return;
    out.append(reinterpret_cast<const char*>(data), static_cast<size_t>(n));
  }
}

bool http2_machine::want_close() const {
  if (nghttp2_session_want_write(session_)) return false;
  return error_ != http2_error::no_error || !nghttp2_session_want_read(session_);
}

void http2_machine::fail(http2_error error, std::string reason) {
  if (error_ != http2_error::no_error) return;
  error_ = error;
  error_reason_ = std::move(reason);
  // GOAWAY carries the reason as debug data; want_close() is true once it is sent.
  nghttp2_submit_goaway(
      session_, NGHTTP2_FLAG_NONE, nghttp2_session_get_last_proc_stream_id(session_),
      static_cast<uint32_t>(error), reinterpret_cast<const uint8_t*>(error_reason_.data()),
      error_reason_.size());
}

bool http2_machine::over_rate(const http2_rate& limit, uint32_t& count,
                              std::chrono::steady_clock::time_point& window_start) {
  auto now = std::chrono::steady_clock::now();
  if (now - window_start >= limit.period) {
    window_start = now;
    count = 0;
  }
  return ++count > limit.count;
}

void http2_machine::early_response(int32_t stream_id, stream& s, int status) {
  s.rejected = true;
  auto code = std::to_string(status);
  nghttp2_nv nva[] = {nv(":status", code), nv("content-length", "0")};
  nghttp2_submit_response(session_, stream_id, nva, 2, nullptr);
}

void http2_machine::resume(int32_t stream_id, stream& s) {
  if (!s.deferred) return;
  s.deferred = false;
  nghttp2_session_resume_data(session_, stream_id);
}

void http2_machine::submit_response(int32_t stream_id, int status, const headers& hs, is_fin f) {
  auto it = streams_.find(stream_id);
  if (it == streams_.end()) return;
  stream& s = *it->second;
  auto code = std::to_string(status);
  auto nva = fields_of(hs, &code);
  if (f == fin || s.head) {
    s.out_fin = true;
    nghttp2_submit_response(session_, stream_id, nva.data(), nva.size(), nullptr);
    return;
  }
  nghttp2_data_provider provider{};
  provider.read_callback = callbacks::read_data;
  nghttp2_submit_response(session_, stream_id, nva.data(), nva.size(), &provider);
}

void http2_machine::submit_inform(int32_t stream_id, int status, const headers& hs) {
  if (!streams_.count(stream_id)) return;
  auto code = std::to_string(status);
  auto nva = fields_of(hs, &code);
  nghttp2_submit_headers(session_, NGHTTP2_FLAG_NONE, stream_id, nullptr, nva.data(), nva.size(),
                         nullptr);
}

void http2_machine::submit_data(int32_t stream_id, std::string_view data, is_fin f) {
  auto it = streams_.find(stream_id);
  if (it == streams_.end() || it->second->out_fin) return;
  stream& s = *it->second;
  s.out.append(data);
  buffered_ += data.size();
  if (f == fin) s.out_fin = true;
  resume(stream_id, s);
}

void http2_machine::submit_trailers(int32_t stream_id, const headers& trailers) {
  auto it = streams_.find(stream_id);
  if (it == streams_.end() || it->second->out_fin) return;
  stream& s = *it->second;
  s.trailers_out = trailers;
  s.out_fin = true;
  resume(stream_id, s);
}

void http2_machine::reset_stream(int32_t stream_id, http2_error error) {
  nghttp2_submit_rst_stream(session_, NGHTTP2_FLAG_NONE, stream_id, static_cast<uint32_t>(error));
}

void http2_machine::consume(int32_t stream_id, size_t n) {
  nghttp2_session_consume(session_, stream_id, n);
}

void http2_machine::goaway_initial() {
  nghttp2_submit_shutdown_notice(session_);
}

void http2_machine::goaway_final(http2_error error) {
  nghttp2_submit_goaway(session_, NGHTTP2_FLAG_NONE,
                        nghttp2_session_get_last_proc_stream_id(session_),
                        static_cast<uint32_t>(error), nullptr, 0);
}

void http2_machine::terminate(http2_error error) {
  fail(error, error == http2_error::settings_timeout ? "settings timeout" : "terminated");
}

size_t http2_machine::stream_buffer_size(int32_t stream_id) const {
  auto it = streams_.find(stream_id);
  return it == streams_.end() ? 0 : it->second->out.size() - it->second->out_at;
}

}  // namespace rodeo
