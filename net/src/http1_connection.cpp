// The HTTP/1.1 connection actor (Cowboy's cowboy_http): it owns its transport for its whole life
// — reads when the reactor says `readable` (and only while it can take more input), parses with
// the codec library, runs each request through its stream-handler chain, serializes responses
// and queues them on the transport's output queue, which keeps what the kernel did not take
// until `writable`.
#include "http1_connection.hpp"

#include <caf/all.hpp>

#include "rodeo/log.hpp"
#include "rodeo/process.hpp"

namespace rodeo::detail {

void http1_state::release() {
  tr.reset();
  if (cur) tell_gone(*cur);
  tell_orphans_gone();
  fail_acks();
}

bool http1_state::start(int fd) {
  opts = ls->proto.get();
  tr = ls->protocols.open(fd, ls->reactor, caf::actor_cast<caf::actor>(self));
  if (!tr) return false;
  parser = std::make_unique<http1::parser>(ls->protocols.http1().limits,
                                           tr->secure() ? "https" : "http");
  sniffing = opts->accepts(http_protocol::http2);
  auto now = clock::now();
  idle_deadline = now + opts->idle_timeout;
  request_deadline = now + opts->request_timeout;
  arm_timer();
  return true;
}

std::optional<clock::time_point> http1_state::next_deadline() const {
  std::optional<clock::time_point> t = idle_deadline;
  if (request_deadline && *request_deadline < *t) t = request_deadline;
  if (linger_deadline && *linger_deadline < *t) t = linger_deadline;
  if (send_deadline && *send_deadline < *t) t = send_deadline;
  if (body_deadline && *body_deadline < *t) t = body_deadline;
  return t;
}

void http1_state::arm_timer() {
  auto t = next_deadline();
  if (!t || (timer_at && *timer_at <= *t)) return;
  timer_at = t;
  auto delay = std::max(clock::duration::zero(), *t - clock::now());
  self->delayed_send(
      self,
      std::chrono::duration_cast<std::chrono::microseconds>(delay) + std::chrono::microseconds{1},
      conn_timer_atom::value, static_cast<int64_t>(t->time_since_epoch().count()));
}

void http1_state::on_timer(int64_t at) {
  if (timer_at && timer_at->time_since_epoch().count() == at) timer_at.reset();
  if (ph == phase::closed) return;
  auto now = clock::now();
  if (linger_deadline && now >= *linger_deadline) {
    final_close();
    return;
  }
  if (request_deadline && now >= *request_deadline && ph == phase::open) {
    request_deadline.reset();
    if (parser->request_started())
      early_error(408, "The request had not been fully received in time.");
    else
      final_close();
    return;
  }
  if (send_deadline && now >= *send_deadline) {
    log::debug("HTTP/1.1 ", tr->peer().ip, ":", tr->peer().port, " on ", ls->name,
               ": send_timeout, the client does not read");
    final_close();
    return;
  }
  if (body_deadline && now >= *body_deadline) {
    body_deadline.reset();
    if (cur && !cur->body_done) {
      if (cur->flow > 0) {
        early_error(408, "The request body was not received in time.");
        return;
      }
      arm_body_deadline(now);  // the handler is not reading: not the client's delay
    }
  }
  if (now >= idle_deadline) {
    final_close();
    return;
  }
  arm_timer();
}

// While a request body is being read, each byte of it moves the body deadline.
void http1_state::arm_body_deadline(clock::time_point now) {
  if (opts->body_timeout.count() > 0 && cur && !cur->body_done)
    body_deadline = now + opts->body_timeout;
  else
    body_deadline.reset();
}

bool http1_state::can_read() const {
  if (ph == phase::closed || !tr) return false;
  if (ph == phase::lingering) return true;
  if (out.bytes() >= out_high_watermark) return false;
  if (in.size() >= max_buffered_input) return false;
  if (cur && !cur->body_done && cur->flow <= 0) return false;
  return true;
}

void http1_state::on_readable() {
  if (!can_read()) {
    read_blocked = true;
    return;
  }
  tr->rearm_read();
  do_read();
}

void http1_state::resume_reading() {
  if (read_blocked && can_read()) {
    read_blocked = false;
    tr->rearm_read();
    do_read();
  }
}

void http1_state::do_read() {
  // Reads land in the per-thread scratch buffer, so an idle connection holds no read buffer;
  // only unparsed bytes are copied into the connection.
  auto scratch = read_scratch();
  for (;;) {
    auto r = tr->read(scratch);
    if (r.what == io_status::ok) {
      auto now = clock::now();
      idle_deadline = now + opts->idle_timeout;
      if (body_deadline) body_deadline = now + opts->body_timeout;
      if (ph == phase::lingering) continue;
      feed(scratch.data(), r.bytes);
      if (ph == phase::closed) return;
      if (!can_read()) {
        read_blocked = true;
        return;
      }
      // A short read emptied the socket: the next data is signalled (the transport was
      // re-armed before reading), unless a hangup is already pending.
      if (r.bytes < scratch.size() && !tr->hangup()) return;
      continue;
    }
    if (r.what == io_status::closed)
      on_peer_closed();
    else if (r.what == io_status::error)
      on_socket_error();
    return;
  }
}

void http1_state::feed(const char* data, size_t size) {
  if (ph != phase::open) return;
  std::string joined;
  if (sniffing) {
    // The first bytes may make this connection HTTP/2 (http1_to_http2.cpp).
    if (!in.empty()) {
      joined = std::move(in);
      in.clear();
      joined.append(data, size);
      data = joined.data();
      size = joined.size();
    }
    if (sniff_http2(std::string_view(data, size))) return;
  }
  if (in.empty()) {
    size_t used = parse(data, size);
    if (used < size && ph == phase::open) in.assign(data + used, size - used);
  } else {
    in.append(data, size);
    parse_buffered();
  }
}

void http1_state::parse_buffered() {
  if (parsing || ph != phase::open) return;
  size_t used = parse(in.data(), in.size());
  if (ph != phase::open) return;
  in.erase(0, used);
  if (in.capacity() > 4096 && in.size() < 1024) in.shrink_to_fit();
}

// Feeds the parser while the protocol state allows it; returns the bytes used.
size_t http1_state::parse(const char* data, size_t size) {
  parsing = true;
  size_t total = 0;
  for (;;) {
    if (ph != phase::open) break;
    bool body_phase = parser->in_body();
    std::string* sink = nullptr;
    size_t feed = size - total;
    if (body_phase && cur && !cur->body_done) {
      if (cur->flow <= 0) break;
      feed = std::min<size_t>(feed, static_cast<size_t>(cur->flow));
      sink = &body_tmp;
    } else if (body_phase && h2c) {
      sink = &h2c->body;
    } else if (!body_phase && (cur || skipping)) {
      break;  // the next request waits until the current one is answered
    }
    auto [ev, used] = parser->execute(data + total, feed, sink);
    total += used;
    // The body's last bytes go with its end (one piece with fin, as Cowboy).
    if (!body_tmp.empty() && ev != http1::event::message_end) deliver_body(is_fin::nofin);
    if (ph != phase::open) break;
    if (ev == http1::event::head) {
      auto head = parser->take_head();
      if (!take_h2c_upgrade(head)) start_stream(std::move(head));
    } else if (ev == http1::event::message_end) {
      if (h2c) {
        upgrade_h2c(std::string(data + total, size - total));
        break;
      }
      end_of_request();
    } else if (ev == http1::event::error) {
      on_parse_error();
      break;
    } else if (total == size || used == 0) {
      break;
    }
  }
  parsing = false;
  return total;
}

void http1_state::deliver_body(is_fin f) {
  auto& s = *cur;
  s.body_received += body_tmp.size();
  s.flow -= static_cast<int64_t>(body_tmp.size());
  cmds.clear();
  s.chain->data(s.id, f, body_tmp, cmds);
  body_tmp.clear();
  run_commands(s, cmds);
}

void http1_state::end_of_request() {
  if (skipping) {
    skipping = false;
    request_deadline = clock::now() + opts->request_timeout;
    arm_timer();
    return;
  }
  if (!cur || cur->body_done) return;
  cur->body_done = true;
  body_deadline.reset();
  if (cur->req->has_body) deliver_body(is_fin::fin);
}

void http1_state::flush() {
  if (!tr) return;
  if (!write_blocked) {
    const auto before = out.bytes();
    auto st = out.flush(*tr);
    if (st == io_status::would_block) {
      write_blocked = true;
      // Ranch's send_timeout counts from the last progress, as one blocking send would.
      if (opts->send_timeout.count() > 0 && (!send_deadline || out.bytes() < before)) {
        send_deadline = clock::now() + opts->send_timeout;
        arm_timer();
      }
    } else if (st != io_status::ok) {
      on_socket_error();
      return;
    } else {
      send_deadline.reset();
    }
  }
  idle_deadline = clock::now() + opts->idle_timeout;
  release_acks();
  if (out.bytes() == 0 && ph == phase::closing) shutdown_write();
}

void http1_state::on_writable() {
  if (!tr) return;
  write_blocked = false;
  flush();
  if (ph == phase::open) resume_reading();
}

// A request that cannot be served: answer with `status` and close (Cowboy's early errors).
void http1_state::early_error(int status, std::string_view why) {
  log::debug("HTTP/1.1 ", tr->peer().ip, ":", tr->peer().port, " on ", ls->name, ": ", status, " ",
             why);
  if (cur) {
    auto& s = *cur;
    s.close_after = true;
    if (s.out_state == http1_stream::out::none) {
      cmd::response resp{status, {{"content-length", "0"}}, {}};
      s.chain->early_error(s.id, resp);
      tell_gone(s);
      send_response(s, resp.status, resp.headers, std::move(resp.body));
    } else {
      tell_gone(s);
      s.chain->terminate(s.id, reason::shutdown("protocol_error"));
      cur.reset();
      begin_close();
    }
    return;
  }
  // Cowboy's partial request: what is known of a request whose head did not parse.
  rodeo::request partial;
  partial.scheme = tr->secure() ? "https" : "http";
  partial.peer = tr->peer();
  partial.sock = tr->sock();
  partial.ref = ls->name;
  partial.streamid = next_stream_id;
  cmd::response resp{status, {{"content-length", "0"}}, {}};
  rodeo::early_error(*opts, next_stream_id, &partial, resp);
  queue(http1::response_head(
      resp.status, resp.headers, http_date::now(),
      {.connection = http1::framing::connection::close, .content_length = resp.body.size()}));
  queue(std::move(resp.body));
  flush();
  begin_close();
}

// Stop taking requests; once the output is written, shut the write side down and drain what
// the client still sends for a moment, so it reads the last response before the close.
void http1_state::begin_close() {
  if (ph != phase::open) return;
  ph = phase::closing;
  in.clear();
  request_deadline.reset();
  if (out.bytes() == 0) shutdown_write();
}

void http1_state::shutdown_write() {
  if (ph != phase::closing) return;
  ph = phase::lingering;
  tr->shutdown_write();
  linger_deadline = clock::now() + opts->linger_timeout;
  arm_timer();
  // Drain what is already in the socket from a fresh message (the caller may hold a stream);
  // a hangup ends the linger.
  read_blocked = false;
  self->send(self, readable_atom::value);
}

// Closes the socket and ends the actor. The current stream object stays until the state is
// destroyed: callers up the stack may still hold it.
void http1_state::final_close() {
  if (ph == phase::closed) return;
  ph = phase::closed;
  if (cur) cur->chain->terminate(cur->id, reason::shutdown("closed"));
  release();
  self->quit();
}

void http1_state::on_peer_closed() {
  if (ph == phase::lingering) {
    final_close();
    return;
  }
  // The client went away: its streams' actors are told (client_gone) and stop.
  final_close();
}

void http1_state::on_drain() {
  draining = true;
  // Loop and SSE handlers hear it (rodeo::drain_atom) and end their stream cleanly.
  if (cur)
    for (auto& c : cur->children) caf::anon_send(c, drain_atom::value);
  if (!cur && !skipping && in.empty() && !parser->request_started()) begin_close();
}

namespace {

caf::behavior http1_connection(caf::stateful_actor<http1_state>* self, int fd,
                               std::shared_ptr<listener_state> ls) {
  auto& st = self->state;
  st.self = self;
  st.ls = std::move(ls);
  if (!st.start(fd)) {
    self->quit();
    return {};
  }
  // Cowboy's protocols without http: every connection is HTTP/2 from its first byte.
  if (!st.opts->accepts(http_protocol::http)) return st.hand_over({}, std::nullopt);
  self->set_down_handler([self](caf::down_msg& down) { self->state.on_down(down); });
  self->set_exit_handler([self](caf::exit_msg& msg) {
    self->state.final_close();
    self->quit(msg.reason);
  });
  return {
      [self](readable_atom) { self->state.on_readable(); },
      [self](writable_atom) { self->state.on_writable(); },
      [self](conn_timer_atom, int64_t at) { self->state.on_timer(at); },
      [self](drain_atom) { self->state.on_drain(); },
      [self](stream_message& m) {
        auto id = m.streamid;
        self->state.on_stream_message(self->current_mailbox_element()->move_content_to_message(),
                                      id);
      },
      [self](stream_info& m) {
        auto id = m.streamid;
        self->state.on_stream_message(std::move(m.msg), id);
      },
  };
}

}  // namespace

caf::actor spawn_http1_connection(caf::local_actor* parent, int fd,
                                  std::shared_ptr<listener_state> ls) {
  return rodeo::spawn(parent, http1_connection, fd, std::move(ls));
}

}  // namespace rodeo::detail
