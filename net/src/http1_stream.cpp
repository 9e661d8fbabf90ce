// The HTTP/1.1 connection's streams: each request through its stream-handler chain, and the
// stream commands turned into HTTP/1.1 responses (framing, keep-alive, 1xx, 101).
#include "http1_connection.hpp"

#include <caf/all.hpp>

#include "rodeo/log.hpp"

namespace rodeo::detail {

void http1_state::start_stream(http1::request_head&& head) {
  request_deadline.reset();
  ++requests;
  auto s = std::make_unique<http1_stream>();
  s->id = next_stream_id++;
  s->version_minor = head.version_minor;
  s->keep_alive = head.keep_alive && (head.version_minor == 1 || opts->http10_keepalive) &&
                  requests < opts->max_keepalive && !draining;
  s->expect_continue = head.expect_continue;
  s->te_trailers = head.te_trailers;
  s->chunked_in = head.chunked;
  s->head = head.req.method == "HEAD";
  s->body_done = !head.req.has_body;
  s->flow = static_cast<int64_t>(opts->initial_stream_flow_size);
  head.req.peer = tr->peer();
  head.req.sock = tr->sock();
  head.req.cert = tr->peer_certificate();
  head.req.ref = ls->name;
  head.req.streamid = s->id;
  s->req = std::make_shared<const rodeo::request>(std::move(head.req));
  s->chain = make_stream_chain(*opts);
  cur = std::move(s);
  arm_body_deadline(clock::now());
  arm_timer();
  stream_context ctx{self, cur->req, ls->current_env(), ls->proto, cur->expect_continue};
  cmds.clear();
  cur->chain->init(cur->id, ctx, cmds);
  run_commands(*cur, cmds);
}

stream_base* http1_state::find_stream(uint64_t id) {
  return cur && cur->id == id ? cur.get() : nullptr;
}

void http1_state::inform(stream_base& sb, cmd::inform& c) {
  auto& s = h1(sb);
  if (s.out_state != http1_stream::out::none || s.version_minor == 0) return;
  if (c.status == 100) {
    if (s.sent_continue || s.body_done) return;
    s.sent_continue = true;
  }
  queue(http1::informational_head(c.status, c.headers));
  flush();
}

void http1_state::response(stream_base& s, int status, const rodeo::headers& hs, std::string body) {
  send_response(h1(s), status, hs, std::move(body));
}

void http1_state::response_headers(stream_base& s, cmd::response_headers& c) {
  send_stream_headers(h1(s), c.status, c.headers);
}

void http1_state::data(stream_base& s, is_fin fin, std::string bytes) {
  send_data(h1(s), fin, std::move(bytes));
}

void http1_state::sendfile(stream_base& s, is_fin fin, file_range file) {
  send_file(h1(s), fin, std::move(file));
}

void http1_state::trailers(stream_base& sb, cmd::trailers& c) {
  auto& s = h1(sb);
  if (s.out_state != http1_stream::out::streaming) return;
  if (s.chunked_out && !s.discard_body) {
    queue(s.te_trailers ? http1::last_chunk_with_trailers(c.fields)
                        : std::string{http1::last_chunk});
    flush();
  } else {
    end_streamed_body(s);
  }
  s.out_state = http1_stream::out::done;
  stream_out_done(s);
}

void http1_state::flow(stream_base& sb, size_t size) {
  h1(sb).flow += static_cast<int64_t>(size);
  if (!parsing) {
    parse_buffered();
    resume_reading();
  }
}

void http1_state::switch_protocol(stream_base& sb, cmd::switch_protocol& c) {
  auto& s = h1(sb);
  auto* up = dynamic_cast<connection_upgrade*>(c.protocol.get());
  if (s.out_state != http1_stream::out::none || !up || s.version_minor == 0) return;
  queue(http1::informational_head(101, c.headers));
  flush();
  protocol_handover hand{std::move(tr), std::move(in), std::move(out)};
  out.clear();
  auto protocol = c.protocol;  // keeps `up` alive while the stream is torn down
  s.chain->terminate(s.id, caf::error{});
  forget_children(s);
  cur.reset();
  forget_orphans();
  ph = phase::closed;
  // The new protocol needs none of the HTTP/1.1 buffers (an idle WebSocket session stays small).
  parser.reset();
  std::string{}.swap(body_tmp);
  self->set_exit_handler(nullptr);
  self->set_down_handler(nullptr);
  self->become(up->take_over(self, std::move(hand)));
}

void http1_state::internal_error(stream_base& sb, cmd::internal_error& c) {
  auto& s = h1(sb);
  log::error("HTTP/1.1 stream ", s.id, " on ", ls->name, ": internal error: ", c.reason);
  s.close_after = true;
  if (s.out_state == http1_stream::out::none) {
    rodeo::headers hs{{"content-length", "0"}};
    send_response(s, 500, hs, {});
  } else {
    stop_stream(s);
  }
}

void http1_state::stop_stream(http1_stream& s) {
  if (s.out_state == http1_stream::out::none) {
    rodeo::headers hs;
    send_response(s, 204, hs, {});
    return;
  }
  if (s.out_state == http1_stream::out::streaming) {
    end_streamed_body(s);
    s.out_state = http1_stream::out::done;
  }
  stream_out_done(s);
}

// The handler ended the stream without finishing its body: a chunked body gets its last chunk
// (a clean end), a body with a promised length that was not reached can only end the connection.
void http1_state::end_streamed_body(http1_stream& s) {
  if (s.discard_body) return;
  if (s.chunked_out) {
    queue(std::string{http1::last_chunk});
    flush();
  } else if (s.close_delimited || (s.out_remaining && *s.out_remaining > 0)) {
    s.close_after = true;
  }
}

// Whether the connection must close after this response; decided when its head is written.
bool http1_state::decide_close(http1_stream& s, const rodeo::headers& hs) {
  if (!s.keep_alive || draining || s.close_after) return true;
  if (auto* c = hs.find("connection"))
    if (ascii::iequals(*c, "close")) return true;
  if (!s.body_done) {
    // The rest of the request body must be skipped to reach the next request: possible when its
    // length is known and small, and the client is not waiting for a 100 Continue.
    auto len = s.req->body_length;
    if (s.chunked_in || !len || (s.expect_continue && !s.sent_continue) ||
        *len - s.body_received > opts->max_skip_body_length)
      return true;
  }
  return false;
}

// The connection header of a response; decides whether the connection closes after it.
http1::framing http1_state::start_framing(http1_stream& s, const rodeo::headers& hs) {
  s.close_after = decide_close(s, hs);
  http1::framing f;
  if (s.close_after)
    f.connection = http1::framing::connection::close;
  else if (s.version_minor == 0)
    f.connection = http1::framing::connection::keep_alive;
  return f;
}

std::optional<uint64_t> http1_state::user_content_length(const rodeo::headers& hs) {
  auto* v = hs.find("content-length");
  return v ? http_header::parse_content_length(*v) : std::nullopt;
}

void http1_state::send_response(http1_stream& s, int status, const rodeo::headers& hs,
                                std::string body) {
  auto f = start_framing(s, hs);
  bool send_body = !no_body_status(status) && !s.head;
  if (!no_body_status(status) || status == 304) {
    // HEAD and 304 announce the length the representation would have.
    auto user_len =
        (s.head || status == 304) && body.empty() ? user_content_length(hs) : std::nullopt;
    f.content_length = user_len ? *user_len : body.size();
  }
  queue(http1::response_head(status, hs, http_date::now(), f));
  if (send_body && !body.empty()) queue(std::move(body));
  s.out_state = http1_stream::out::done;
  flush();
  stream_out_done(s);
}

void http1_state::send_stream_headers(http1_stream& s, int status, const rodeo::headers& hs) {
  s.discard_body = no_body_status(status) || s.head;
  auto len = user_content_length(hs);
  if (!s.discard_body) {
    if (len)
      s.out_remaining = len;
    else if (s.version_minor == 1)
      s.chunked_out = true;
    else
      s.close_delimited = true;
  }
  if (s.close_delimited) s.close_after = true;
  auto f = start_framing(s, hs);
  if (len && (!s.discard_body || s.head || status == 304))
    f.content_length = len;
  else
    f.chunked = s.chunked_out;
  queue(http1::response_head(status, hs, http_date::now(), f));
  s.out_state = http1_stream::out::streaming;
  flush();
}

void http1_state::send_data(http1_stream& s, is_fin f, std::string bytes) {
  if (!s.discard_body) {
    if (s.chunked_out) {
      if (!bytes.empty()) {
        queue(http1::chunk_size_line(bytes.size()));
        queue(std::move(bytes));
        queue(std::string{f == is_fin::fin ? http1::chunk_end_last : http1::chunk_end});
      } else if (f == is_fin::fin) {
        queue(std::string{http1::last_chunk});
      }
    } else if (!bytes.empty()) {
      if (s.out_remaining) {
        if (bytes.size() > *s.out_remaining) {
          bytes.resize(*s.out_remaining);
          s.close_after = true;  // the handler sent more than it announced
        }
        *s.out_remaining -= bytes.size();
      }
      if (!bytes.empty()) queue(std::move(bytes));
    }
    if (f == is_fin::fin && s.out_remaining && *s.out_remaining > 0) s.close_after = true;
  }
  if (f == is_fin::fin) s.out_state = http1_stream::out::done;
  flush();
}

// A file range of the body: framed like data, sent from the descriptor by the transport.
void http1_state::send_file(http1_stream& s, is_fin f, file_range file) {
  if (!s.discard_body && file.length > 0) {
    if (s.out_remaining) {
      if (file.length > *s.out_remaining) {
        file.length = *s.out_remaining;
        s.close_after = true;  // the handler sent more than it announced
      }
      *s.out_remaining -= file.length;
    }
    if (s.chunked_out) queue(http1::chunk_size_line(file.length));
    out.push_file(std::move(file.fd), file.offset, file.length);
    if (s.chunked_out)
      queue(std::string{f == is_fin::fin ? http1::chunk_end_last : http1::chunk_end});
  } else if (!s.discard_body && s.chunked_out && f == is_fin::fin) {
    queue(std::string{http1::last_chunk});
  }
  if (!s.discard_body && f == is_fin::fin && s.out_remaining && *s.out_remaining > 0)
    s.close_after = true;
  if (f == is_fin::fin) s.out_state = http1_stream::out::done;
  flush();
}

// The response is complete: the stream ends, and the connection goes on with the next request
// (or closes).
void http1_state::stream_out_done(http1_stream& s) {
  if (s.out_state != http1_stream::out::done) return;
  retire(s, caf::error{});
  bool close = s.close_after;
  if (!s.body_done) {
    if (close) {
      // the client may still be sending the body; it is drained while lingering
    } else {
      skipping = true;
    }
  }
  cur.reset();
  body_deadline.reset();
  if (close || draining) {
    begin_close();
    return;
  }
  if (!skipping) {
    request_deadline = clock::now() + opts->request_timeout;
    arm_timer();
  }
  if (!parsing) {
    parse_buffered();
    resume_reading();
  }
}

}  // namespace rodeo::detail
