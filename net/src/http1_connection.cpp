// The HTTP/1.1 connection actor (Cowboy's cowboy_http): it owns its transport for its whole life
// — reads when the reactor says `readable` (and only while it can take more input), parses with
// the codec library, runs each request through its stream-handler chain, serializes responses
// and queues them on the transport's output queue, which keeps what the kernel did not take
// until `writable`.
#include <algorithm>
#include <chrono>
#include <cstring>
#include <optional>

#include <caf/all.hpp>

#include "listener_state.hpp"
#include "rodeo/ascii.hpp"
#include "rodeo/atoms.hpp"
#include "rodeo/connection.hpp"
#include "rodeo/exit.hpp"
#include "rodeo/http1_parser.hpp"
#include "rodeo/http1_response.hpp"
#include "rodeo/http_date.hpp"
#include "rodeo/http_header.hpp"
#include "rodeo/log.hpp"
#include "rodeo/output_queue.hpp"
#include "rodeo/process.hpp"
#include "rodeo/stream_handler.hpp"
#include "rodeo/transport.hpp"

namespace rodeo::detail {
namespace {

using clock = std::chrono::steady_clock;

// Output above the high mark stops reading (the client is not reading its responses) and holds
// back acks of streamed data; acks flow again below the low mark.
constexpr size_t out_high_watermark = output_queue::high_watermark;
constexpr size_t out_low_watermark = output_queue::low_watermark;
// Pipelined input kept while a request is being answered.
constexpr size_t max_buffered_input = 64 * 1024;

using http1::no_body_status;

struct stream {
  uint64_t id = 0;
  std::shared_ptr<const rodeo::request> req;
  std::unique_ptr<stream_handler> chain;
  std::vector<caf::actor> children;
  std::vector<caf::actor_addr> monitored;  // children whose exit arrives as a down_msg
  int version_minor = 1;
  bool keep_alive = true;
  bool expect_continue = false;
  bool sent_continue = false;
  bool te_trailers = false;
  bool head = false;
  bool chunked_in = false;
  // Request body.
  bool body_done = false;
  uint64_t body_received = 0;
  int64_t flow = 0;
  // Response.
  enum class out { none, streaming, done } out_state = out::none;
  bool chunked_out = false;
  bool discard_body = false;              // HEAD, 204, 304: the handler's data is not sent
  bool close_delimited = false;           // HTTP/1.0 streamed body: ends with the connection
  std::optional<uint64_t> out_remaining;  // streamed with a content-length
  bool close_after = false;
};

struct conn_state {
  caf::stateful_actor<conn_state>* self = nullptr;
  std::unique_ptr<transport> tr;  // null once closed or handed over
  std::shared_ptr<listener_state> ls;
  const protocol_options* opts = nullptr;
  std::unique_ptr<http1::parser> parser;

  std::string in;             // unparsed input
  bool read_blocked = false;  // stopped reading before EAGAIN; resume_reading() continues
  bool parsing = false;       // inside parse(): no re-entry
  bool skipping = false;      // dropping the rest of a finished stream's request body
  std::string body_tmp;

  output_queue out;
  bool write_blocked = false;
  std::vector<caf::response_promise> acks;

  uint64_t next_stream_id = 1;
  std::unique_ptr<stream> cur;
  std::vector<caf::actor> orphans;  // request actors of finished streams, still running
  size_t requests = 0;
  commands cmds;

  enum class phase { open, closing, lingering, closed } ph = phase::open;
  bool draining = false;

  std::optional<clock::time_point> request_deadline;
  clock::time_point idle_deadline;
  std::optional<clock::time_point> linger_deadline;
  std::optional<clock::time_point> send_deadline;  // output blocked since, plus send_timeout
  std::optional<clock::time_point> body_deadline;  // no request body byte since, plus body_timeout
  std::optional<clock::time_point> timer_at;

  conn_state() = default;
  explicit conn_state(caf::stateful_actor<conn_state>* s) : self(s) {}
  conn_state(const conn_state&) = delete;
  conn_state& operator=(const conn_state&) = delete;

  // The socket is released however the actor ends (normal close, exit signal, crash).
  ~conn_state() { release(); }

  void release() {
    tr.reset();
    tell_children_gone();
    for (auto& rp : acks) rp.deliver(caf::make_error(caf::sec::request_receiver_down));
    acks.clear();
  }

  void tell_children_gone() {
    if (cur) {
      for (auto& c : cur->children) caf::anon_send(c, client_gone_atom::value);
      cur->children.clear();
    }
    for (auto& c : orphans) caf::anon_send(c, client_gone_atom::value);
    orphans.clear();
  }

  // -- Setup ----------------------------------------------------------------------------------

  bool start(int fd) {
    opts = ls->proto.get();
    tr = ls->protocols.open(fd, ls->reactor, caf::actor_cast<caf::actor>(self));
    if (!tr) return false;
    parser = std::make_unique<http1::parser>(ls->protocols.http1().limits,
                                             tr->secure() ? "https" : "http");
    auto now = clock::now();
    idle_deadline = now + opts->idle_timeout;
    request_deadline = now + opts->request_timeout;
    arm_timer();
    return true;
  }

  // -- Timers: one pending delayed message, re-armed lazily --------------------------------------

  std::optional<clock::time_point> next_deadline() const {
    std::optional<clock::time_point> t = idle_deadline;
    if (request_deadline && *request_deadline < *t) t = request_deadline;
    if (linger_deadline && *linger_deadline < *t) t = linger_deadline;
    if (send_deadline && *send_deadline < *t) t = send_deadline;
    if (body_deadline && *body_deadline < *t) t = body_deadline;
    return t;
  }

  void arm_timer() {
    auto t = next_deadline();
    if (!t || (timer_at && *timer_at <= *t)) return;
    timer_at = t;
    auto delay = std::max(clock::duration::zero(), *t - clock::now());
    self->delayed_send(
        self,
        std::chrono::duration_cast<std::chrono::microseconds>(delay) + std::chrono::microseconds{1},
        conn_timer_atom::value, static_cast<int64_t>(t->time_since_epoch().count()));
  }

  void on_timer(int64_t at) {
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
  void arm_body_deadline(clock::time_point now) {
    if (opts->body_timeout.count() > 0 && cur && !cur->body_done)
      body_deadline = now + opts->body_timeout;
    else
      body_deadline.reset();
  }

  // -- Reading ----------------------------------------------------------------------------------

  bool can_read() const {
    if (ph == phase::closed || !tr) return false;
    if (ph == phase::lingering) return true;
    if (out.bytes() >= out_high_watermark) return false;
    if (in.size() >= max_buffered_input) return false;
    if (cur && !cur->body_done && cur->flow <= 0) return false;
    return true;
  }

  void on_readable() {
    if (!can_read()) {
      read_blocked = true;
      return;
    }
    tr->rearm_read();
    do_read();
  }

  void resume_reading() {
    if (read_blocked && can_read()) {
      read_blocked = false;
      tr->rearm_read();
      do_read();
    }
  }

  void do_read() {
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

  void feed(const char* data, size_t size) {
    if (ph != phase::open) return;
    if (in.empty()) {
      size_t used = parse(data, size);
      if (used < size && ph == phase::open) in.assign(data + used, size - used);
    } else {
      in.append(data, size);
      parse_buffered();
    }
  }

  void parse_buffered() {
    if (parsing || ph != phase::open) return;
    size_t used = parse(in.data(), in.size());
    if (ph != phase::open) return;
    in.erase(0, used);
    if (in.capacity() > 4096 && in.size() < 1024) in.shrink_to_fit();
  }

  // Feeds the parser while the protocol state allows it; returns the bytes used.
  size_t parse(const char* data, size_t size) {
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
      } else if (!body_phase && (cur || skipping)) {
        break;  // the next request waits until the current one is answered
      }
      auto [ev, used] = parser->execute(data + total, feed, sink);
      total += used;
      if (!body_tmp.empty()) deliver_body(is_fin::nofin);
      if (ph != phase::open) break;
      if (ev == http1::event::head) {
        start_stream(parser->take_head());
      } else if (ev == http1::event::message_end) {
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

  void deliver_body(is_fin f) {
    auto& s = *cur;
    s.body_received += body_tmp.size();
    s.flow -= static_cast<int64_t>(body_tmp.size());
    cmds.clear();
    s.chain->data(s.id, f, body_tmp, cmds);
    body_tmp.clear();
    run_commands(s, cmds);
  }

  void end_of_request() {
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

  // -- Streams ----------------------------------------------------------------------------------

  void start_stream(http1::request_head&& head) {
    request_deadline.reset();
    ++requests;
    auto s = std::make_unique<stream>();
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

  stream* find_stream(uint64_t id) { return cur && cur->id == id ? cur.get() : nullptr; }

  void run_commands(stream& s, commands& cs) {
    // Commands may end the stream (and free `s`); later ones are then dropped.
    auto id = s.id;
    auto local = std::move(cs);
    cs.clear();
    for (auto& c : local) {
      auto* sp = find_stream(id);
      if (!sp || ph == phase::closed) {
        if (auto* d = std::get_if<cmd::data>(&c); d && d->ack.pending())
          d->ack.deliver(caf::make_error(caf::sec::request_receiver_down));
        if (auto* f = std::get_if<cmd::sendfile>(&c); f && f->ack.pending())
          f->ack.deliver(caf::make_error(caf::sec::request_receiver_down));
        continue;
      }
      run_command(*sp, c);
    }
    if (cs.empty()) cs = std::move(local);  // keep the vector's capacity
    cs.clear();
  }

  void run_command(stream& s, command& c) {
    std::visit([&](auto& x) { on_command(s, x); }, c);
  }

  void on_command(stream& s, cmd::inform& c) {
    if (s.out_state != stream::out::none || s.version_minor == 0) return;
    if (c.status == 100) {
      if (s.sent_continue || s.body_done) return;
      s.sent_continue = true;
    }
    queue(http1::informational_head(c.status, c.headers));
    flush();
  }

  void on_command(stream& s, cmd::response& c) {
    if (s.out_state != stream::out::none) return;
    send_response(s, c.status, c.headers, std::move(c.body));
  }

  void on_command(stream& s, cmd::error_response& c) {
    if (s.out_state != stream::out::none) return;
    send_response(s, c.status, c.headers, std::move(c.body));
  }

  void on_command(stream& s, cmd::response_headers& c) {
    if (s.out_state != stream::out::none) return;
    send_stream_headers(s, c.status, c.headers);
  }

  void on_command(stream& s, cmd::data& c) {
    if (s.out_state == stream::out::streaming) send_data(s, c.fin, std::move(c.bytes));
    acknowledge(s, c.fin, c.ack);
  }

  void on_command(stream& s, cmd::sendfile& c) {
    if (s.out_state == stream::out::streaming) send_file(s, c.fin, std::move(c.file));
    acknowledge(s, c.fin, c.ack);
  }

  // A streamed piece's ack: at once below the low watermark, else once the output drained.
  void acknowledge(stream& s, is_fin fin, caf::response_promise& ack) {
    if (ack.pending()) {
      if (out.bytes() <= out_low_watermark || ph == phase::closed)
        ack.deliver(caf::ok_atom::value);
      else
        acks.push_back(std::move(ack));
    }
    if (fin == is_fin::fin && find_stream(s.id)) stream_out_done(s);
  }

  void on_command(stream& s, cmd::trailers& c) {
    if (s.out_state != stream::out::streaming) return;
    if (s.chunked_out && !s.discard_body) {
      queue(s.te_trailers ? http1::last_chunk_with_trailers(c.fields)
                          : std::string{http1::last_chunk});
      flush();
    } else {
      end_streamed_body(s);
    }
    s.out_state = stream::out::done;
    stream_out_done(s);
  }

  void on_command(stream& s, cmd::flow& c) {
    s.flow += static_cast<int64_t>(c.size);
    if (!parsing) {
      parse_buffered();
      resume_reading();
    }
  }

  void on_command(stream& s, cmd::spawn& c) {
    if (c.monitor) {
      self->monitor(c.pid);
      s.monitored.push_back(c.pid.address());
    }
    s.children.push_back(c.pid);
  }

  void on_command(stream& s, cmd::switch_protocol& c) {
    auto* up = dynamic_cast<connection_upgrade*>(c.protocol.get());
    if (s.out_state != stream::out::none || !up || s.version_minor == 0) return;
    queue(http1::informational_head(101, c.headers));
    flush();
    protocol_handover hand{std::move(tr), std::move(in), std::move(out)};
    out.clear();
    auto protocol = c.protocol;  // keeps `up` alive while the stream is torn down
    s.chain->terminate(s.id, caf::error{});
    for (auto& ch : s.children) self->demonitor(ch);
    cur.reset();
    for (auto& o : orphans) self->demonitor(o);
    orphans.clear();
    ph = phase::closed;
    // The new protocol needs none of the HTTP/1.1 buffers (an idle WebSocket session stays small).
    parser.reset();
    std::string{}.swap(body_tmp);
    self->set_exit_handler(nullptr);
    self->set_down_handler(nullptr);
    self->become(up->take_over(self, std::move(hand)));
  }

  void on_command(stream& s, cmd::stop&) { stop_stream(s); }

  void on_command(stream& s, cmd::internal_error& c) {
    log::error("HTTP/1.1 stream ", s.id, " on ", ls->name, ": internal error: ", c.reason);
    s.close_after = true;
    if (s.out_state == stream::out::none) {
      rodeo::headers hs{{"content-length", "0"}};
      send_response(s, 500, hs, {});
    } else {
      stop_stream(s);
    }
  }

  void stop_stream(stream& s) {
    if (s.out_state == stream::out::none) {
      rodeo::headers hs;
      send_response(s, 204, hs, {});
      return;
    }
    if (s.out_state == stream::out::streaming) {
      end_streamed_body(s);
      s.out_state = stream::out::done;
    }
    stream_out_done(s);
  }

  // The handler ended the stream without finishing its body: a chunked body gets its last chunk
  // (a clean end), a body with a promised length that was not reached can only end the connection.
  void end_streamed_body(stream& s) {
    if (s.discard_body) return;
    if (s.chunked_out) {
      queue(std::string{http1::last_chunk});
      flush();
    } else if (s.close_delimited || (s.out_remaining && *s.out_remaining > 0)) {
      s.close_after = true;
    }
  }

  // -- Writing responses ------------------------------------------------------------------------

  // Whether the connection must close after this response; decided when its head is written.
  bool decide_close(stream& s, const rodeo::headers& hs) {
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
  http1::framing start_framing(stream& s, const rodeo::headers& hs) {
    s.close_after = decide_close(s, hs);
    http1::framing f;
    if (s.close_after)
      f.connection = http1::framing::connection::close;
    else if (s.version_minor == 0)
      f.connection = http1::framing::connection::keep_alive;
    return f;
  }

  static std::optional<uint64_t> user_content_length(const rodeo::headers& hs) {
    auto* v = hs.find("content-length");
    return v ? http_header::parse_content_length(*v) : std::nullopt;
  }

  void send_response(stream& s, int status, const rodeo::headers& hs, std::string body) {
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
    s.out_state = stream::out::done;
    flush();
    stream_out_done(s);
  }

  void send_stream_headers(stream& s, int status, const rodeo::headers& hs) {
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
    s.out_state = stream::out::streaming;
    flush();
  }

  void send_data(stream& s, is_fin f, std::string bytes) {
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
    if (f == is_fin::fin) s.out_state = stream::out::done;
    flush();
  }

  // A file range of the body: framed like data, sent from the descriptor by the transport.
  void send_file(stream& s, is_fin f, file_range file) {
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
    if (f == is_fin::fin) s.out_state = stream::out::done;
    flush();
  }

  // The response is complete: the stream ends, and the connection goes on with the next request
  // (or closes).
  void stream_out_done(stream& s) {
    if (s.out_state != stream::out::done) return;
    s.chain->terminate(s.id, caf::error{});
    // Monitored children still running are remembered until their down_msg; the others are
    // done with this stream.
    for (auto& c : s.children)
      if (std::find(s.monitored.begin(), s.monitored.end(), c.address()) != s.monitored.end())
        orphans.push_back(std::move(c));
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

  // -- Output queue -----------------------------------------------------------------------------

  void queue(std::string bytes) { out.push(std::move(bytes)); }

  void flush() {
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

  void release_acks() {
    if (acks.empty() || out.bytes() > out_low_watermark) return;
    for (auto& rp : acks) rp.deliver(caf::ok_atom::value);
    acks.clear();
  }

  void on_writable() {
    if (!tr) return;
    write_blocked = false;
    flush();
    if (ph == phase::open) resume_reading();
  }

  // -- Errors and closing -----------------------------------------------------------------------

  // A request that cannot be served: answer with `status` and close (Cowboy's early errors).
  void early_error(int status, std::string_view why) {
    log::debug("HTTP/1.1 ", tr->peer().ip, ":", tr->peer().port, " on ", ls->name, ": ", status,
               " ", why);
    if (cur) {
      auto& s = *cur;
      s.close_after = true;
      if (s.out_state == stream::out::none) {
        cmd::response resp{status, {{"content-length", "0"}}, {}};
        s.chain->early_error(s.id, resp);
        for (auto& c : s.children) caf::anon_send(c, client_gone_atom::value);
        s.children.clear();
        send_response(s, resp.status, resp.headers, std::move(resp.body));
      } else {
        for (auto& c : s.children) caf::anon_send(c, client_gone_atom::value);
        s.children.clear();
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

  void on_parse_error() { early_error(parser->error_status(), parser->error_reason()); }

  // Stop taking requests; once the output is written, shut the write side down and drain what
  // the client still sends for a moment, so it reads the last response before the close.
  void begin_close() {
    if (ph != phase::open) return;
    ph = phase::closing;
    in.clear();
    request_deadline.reset();
    if (out.bytes() == 0) shutdown_write();
  }

  void shutdown_write() {
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
  void final_close() {
    if (ph == phase::closed) return;
    ph = phase::closed;
    if (cur) cur->chain->terminate(cur->id, reason::shutdown("closed"));
    release();
    self->quit();
  }

  void on_peer_closed() {
    if (ph == phase::lingering) {
      final_close();
      return;
    }
    // The client went away: its streams' actors are told (client_gone) and stop.
    final_close();
  }

  void on_socket_error() { final_close(); }

  void on_drain() {
    draining = true;
    if (!cur && !skipping && in.empty() && !parser->request_started()) begin_close();
  }

  // -- Messages for streams ---------------------------------------------------------------------

  void on_stream_message(caf::message msg, uint64_t id) {
    auto* s = find_stream(id);
    if (!s || ph == phase::closed) {
      if (self->current_message_id().is_request())
        self->make_response_promise().deliver(caf::make_error(caf::sec::request_receiver_down));
      return;
    }
    cmds.clear();
    s->chain->info(id, msg, cmds);
    run_commands(*s, cmds);
  }

  void on_down(const caf::down_msg& down) {
    for (auto i = orphans.begin(); i != orphans.end(); ++i)
      if (i->address() == down.source) {
        orphans.erase(i);
        return;
      }
    if (!cur) return;
    for (auto& c : cur->children)
      if (c.address() == down.source) {
        auto id = cur->id;
        auto msg = caf::make_message(down);
        cmds.clear();
        cur->chain->info(id, msg, cmds);
        if (auto* s = find_stream(id)) {
          auto& ch = s->children;
          ch.erase(std::remove_if(ch.begin(), ch.end(),
                                  [&](const caf::actor& a) { return a.address() == down.source; }),
                   ch.end());
          run_commands(*s, cmds);
        }
        return;
      }
  }
};

caf::behavior http1_connection(caf::stateful_actor<conn_state>* self, int fd,
                               std::shared_ptr<listener_state> ls) {
  auto& st = self->state;
  st.self = self;
  st.ls = std::move(ls);
  if (!st.start(fd)) {
    self->quit();
    return {};
  }
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
