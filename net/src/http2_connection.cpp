// The HTTP/2 connection actor (Cowboy's cowboy_http2). The machine does framing, HPACK, flow
// control and the DoS guards; this file puts it on the transport (reads while the output is not
// backed up, writes what the machine produces), keeps the connection's timeouts (preface,
// settings, idle, the two GOAWAY steps of a drain or stop), and turns each stream's commands
// into the machine's submit_* calls. stream_body acks are held while the stream's or the
// connection's queued response bytes are over max_stream_buffer_size /
// max_connection_buffer_size; request body windows reopen only as the handler reads (cmd::flow).
#include "http2_connection.hpp"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <unordered_map>
#include <vector>

#include <caf/all.hpp>

#include "listener_state.hpp"
#include "rodeo/atoms.hpp"
#include "rodeo/exit.hpp"
#include "rodeo/http1_response.hpp"
#include "rodeo/http2_machine.hpp"
#include "rodeo/http_date.hpp"
#include "rodeo/log.hpp"
#include "rodeo/output_queue.hpp"
#include "rodeo/stream_handler.hpp"
#include "rodeo/transport.hpp"
#include "stream_layer.hpp"

namespace rodeo::detail {
namespace {

using clock = std::chrono::steady_clock;
using flush_atom = caf::atom_constant<caf::atom("h2flush")>;

// A sendfile range is read into the machine in pieces while the stream has less than this
// queued, so a large file does not sit in memory whole.
constexpr size_t file_piece = 64 * 1024;
constexpr size_t file_queue_low = 256 * 1024;

struct http2_stream : stream_base {
  int32_t sid = 0;
  bool body_done = false;  // the request body ended
  bool sent_continue = false;
  size_t unconsumed = 0;  // body bytes handed to the chain whose window is not reopened yet
  size_t credit = 0;      // body bytes the handler asked for (cmd::flow) and did not get yet
  std::vector<file_range> files;  // sendfile ranges still to read, in order
  bool files_fin = false;         // the last of them ends the body
};

class http2_state final : public stream_layer, public http2_events {
 public:
  http2_state(caf::event_based_actor* self, std::shared_ptr<listener_state> ls, protocol_handover h)
      : stream_layer(self),
        self_(self),
        ls_(std::move(ls)),
        opts_(ls_->proto.get()),
        tr_(std::move(h.transport)),
        out_(std::move(h.output)),
        pending_in_(std::move(h.input)) {}

  ~http2_state() override { release(); }

  void start(std::optional<http2_upgrade> up) {
    auto now = clock::now();
    idle_deadline_ = now + opts_->http2.idle_timeout;
    preface_deadline_ = now + opts_->http2.preface_timeout;
    settings_deadline_ = now + opts_->http2.settings_timeout;
    if (up) {
      bool head = up->req.method == "HEAD";
      m_ = std::make_unique<http2_machine>(opts_->http2, *this, up->settings, head);
      auto req = std::move(up->req);
      req.version = "HTTP/2";
      req.streamid = 1;
      open_stream(1, std::move(req));
      if (auto* s = find(1)) {
        deliver_body(*s, up->body, fin, false);
      }
    } else {
      m_ = std::make_unique<http2_machine>(opts_->http2, *this);
    }
    flush();
    arm_timer();
    // The bytes HTTP/1.1 read past the hand-over, then the socket.
    self_->send(self_, readable_atom::value);
  }

  // -- Messages -------------------------------------------------------------------------------

  caf::behavior behavior(std::shared_ptr<http2_state> me) {
    self_->set_down_handler([me](caf::down_msg& d) { me->on_down(d); });
    self_->set_exit_handler([me](caf::exit_msg& e) { me->on_exit(e); });
    return {
        [me](readable_atom) { me->on_readable(); },
        [me](writable_atom) { me->on_writable(); },
        [me](conn_timer_atom, int64_t at) { me->on_timer(at); },
        [me](drain_atom) { me->start_goaway(); },
        [me](flush_atom) { me->on_flush(); },
        [me](stream_message& m) {
          auto id = m.streamid;
          me->on_stream_message(me->self_->current_mailbox_element()->move_content_to_message(),
                                id);
        },
        [me](stream_info& m) {
          auto id = m.streamid;
          me->on_stream_message(std::move(m.msg), id);
        },
    };
  }

 private:
  enum class phase { open, closing, lingering, closed };

  // -- The machine's events: kept until recv() returns, then run -------------------------------

  struct event {
    enum { request, data, closed } what;
    int32_t sid;
    rodeo::request req;
    std::string bytes;
    is_fin fin = nofin;
    http2_error error = http2_error::no_error;
  };

  void on_request(int32_t sid, request req, std::string_view) override {
    events_.push_back({event::request, sid, std::move(req), {}, nofin, {}});
  }
  void on_data(int32_t sid, std::string_view data, is_fin f) override {
    events_.push_back({event::data, sid, {}, std::string(data), f, {}});
  }
  void on_trailers(int32_t sid, headers) override {
    events_.push_back({event::data, sid, {}, {}, fin, {}});
  }
  void on_stream_closed(int32_t sid, http2_error e) override {
    events_.push_back({event::closed, sid, {}, {}, nofin, e});
  }

  void run_events() {
    for (size_t i = 0; i < events_.size() && ph_ != phase::closed; ++i) {
      auto& e = events_[i];
      switch (e.what) {
        case event::request:
          open_stream(e.sid, std::move(e.req));
          break;
        case event::data:
          if (auto* s = find(e.sid))
            deliver_body(*s, e.bytes, e.fin, true);
          else if (!e.bytes.empty())
            m_->consume(e.sid, e.bytes.size());  // the stream is done: nobody reads it
          break;
        case event::closed:
          if (auto* s = find(e.sid)) client_closed(*s, e.error);
          break;
      }
    }
    events_.clear();
  }

  // -- Streams -------------------------------------------------------------------------------

  http2_stream* find(int32_t sid) {
    auto it = streams_.find(sid);
    return it == streams_.end() ? nullptr : it->second.get();
  }

  void open_stream(int32_t sid, rodeo::request req) {
    auto s = std::make_unique<http2_stream>();
    s->id = static_cast<uint64_t>(sid);
    s->sid = sid;
    req.peer = tr_->peer();
    req.sock = tr_->sock();
    req.cert = tr_->peer_certificate();
    req.ref = ls_->name;
    req.streamid = s->id;
    bool expect = false;
    if (auto* e = req.headers.find("expect")) expect = req.has_body && *e == "100-continue";
    s->body_done = !req.has_body;
    s->req = std::make_shared<const rodeo::request>(std::move(req));
    s->chain = make_stream_chain(*opts_);
    auto& st = *s;
    streams_.emplace(sid, std::move(s));
    stream_context ctx{self_, st.req, ls_->current_env(), ls_->proto, expect};
    cmds.clear();
    st.chain->init(st.id, ctx, cmds);
    run_commands(st, cmds);
  }

  // Request body bytes for the chain; `windowed`: they came in DATA frames, whose window
  // reopens as the handler asks for more.
  void deliver_body(http2_stream& s, std::string& bytes, is_fin f, bool windowed) {
    if (s.body_done && bytes.empty()) return;  // no body (the fin after a bodiless request)
    if (windowed) s.unconsumed += bytes.size();
    if (f == fin) s.body_done = true;
    auto id = s.sid;
    cmds.clear();
    s.chain->data(s.id, f, bytes, cmds);
    run_commands(s, cmds);
    if (auto* sp = find(id)) open_window(*sp);
  }

  void open_window(http2_stream& s) {
    auto n = std::min(s.credit, s.unconsumed);
    if (n == 0) return;
    s.credit -= n;
    s.unconsumed -= n;
    m_->consume(s.sid, n);
    want_flush();
  }

  // The peer reset the stream, or the connection ended under it.
  void client_closed(http2_stream& s, http2_error e) {
    tell_gone(s);
    s.chain->terminate(s.id, e == http2_error::no_error ? reason::shutdown("closed")
                                                        : reason::shutdown("stream_reset"));
    streams_.erase(s.sid);
    maybe_goaway_done();
  }

  // Our response is complete: the stream ends (its request body, if still coming, is consumed
  // and dropped).
  void finish(http2_stream& s) {
    if (s.out_state != stream_base::out::done || !s.files.empty()) return;
    auto sid = s.sid;
    if (s.unconsumed) m_->consume(sid, s.unconsumed);
    retire(s, caf::error{});
    streams_.erase(sid);
    want_flush();
    maybe_goaway_done();
  }

  // -- The stream layer's interface ------------------------------------------------------------

  static http2_stream& h2(stream_base& s) { return static_cast<http2_stream&>(s); }

  stream_base* find_stream(uint64_t id) override {
    return id > 0x7fffffff ? nullptr : find(static_cast<int32_t>(id));
  }

  bool closed() const override { return ph_ == phase::closed; }

  bool ack_ready(const stream_base* s) const override {
    if (!s) return true;
    const auto& o = opts_->http2;
    return m_->stream_buffer_size(static_cast<const http2_stream*>(s)->sid) <=
               o.max_stream_buffer_size &&
           m_->connection_buffer_size() <= o.max_connection_buffer_size;
  }

  void inform(stream_base& sb, cmd::inform& c) override {
    auto& s = h2(sb);
    if (s.out_state != stream_base::out::none) return;
    if (c.status == 100) {
      if (s.sent_continue || s.body_done) return;
      s.sent_continue = true;
    }
    m_->submit_inform(s.sid, c.status, c.headers);
    want_flush();
  }

  // The date and server fields, as over HTTP/1.1, unless the handler set them.
  static rodeo::headers with_defaults(const rodeo::headers& hs) {
    rodeo::headers out = hs;
    if (!out.find("date")) out.push_back("date", std::string(http_date::now()));
    if (!out.find("server")) out.push_back("server", "Rodeo");
    return out;
  }

  void response(stream_base& sb, int status, const rodeo::headers& hs, std::string body) override {
    auto& s = h2(sb);
    auto fields = with_defaults(hs);
    if (!http1::no_body_status(status) && !fields.find("content-length"))
      fields.push_back("content-length", std::to_string(body.size()));
    bool no_body = body.empty() || http1::no_body_status(status);
    m_->submit_response(s.sid, status, fields, no_body ? fin : nofin);
    if (!no_body) m_->submit_data(s.sid, body, fin);
    s.out_state = stream_base::out::done;
    finish(s);
  }

  void response_headers(stream_base& sb, cmd::response_headers& c) override {
    auto& s = h2(sb);
    bool no_body = http1::no_body_status(c.status);
    m_->submit_response(s.sid, c.status, with_defaults(c.headers), no_body ? fin : nofin);
    s.out_state = stream_base::out::streaming;
    want_flush();
  }

  void data(stream_base& sb, is_fin f, std::string bytes) override {
    auto& s = h2(sb);
    if (!s.files.empty()) {
      // After a file still being read: keep the order by reading it whole first.
      pump_files(s, true);
    }
    m_->submit_data(s.sid, bytes, f);
    if (f == fin) s.out_state = stream_base::out::done;
    want_flush();
  }

  void sendfile(stream_base& sb, is_fin f, file_range file) override {
    auto& s = h2(sb);
    if (file.length > 0) s.files.push_back(std::move(file));
    if (f == fin) {
      s.files_fin = true;
      s.out_state = stream_base::out::done;
      if (s.files.empty()) m_->submit_data(s.sid, {}, fin);
    }
    pump_files(s, false);
    want_flush();
  }

  // Reads file ranges into the machine while the stream's queue is short (all of them when
  // `all`); the last piece ends the body when the handler said so.
  void pump_files(http2_stream& s, bool all) {
    std::string piece;
    while (!s.files.empty() && (all || m_->stream_buffer_size(s.sid) < file_queue_low)) {
      auto& f = s.files.front();
      piece.resize(std::min<uint64_t>(f.length, file_piece));
      auto n = ::pread(*f.fd, piece.data(), piece.size(), static_cast<off_t>(f.offset));
      if (n <= 0) {
        log::error("HTTP/2 stream ", s.sid, " on ", ls_->name, ": sendfile read failed");
        s.files.clear();
        m_->reset_stream(s.sid, http2_error::internal_error);
        return;
      }
      piece.resize(static_cast<size_t>(n));
      f.offset += static_cast<uint64_t>(n);
      f.length -= static_cast<uint64_t>(n);
      if (f.length == 0) s.files.erase(s.files.begin());
      bool last = s.files.empty() && s.files_fin;
      m_->submit_data(s.sid, piece, last ? fin : nofin);
    }
  }

  void body_done(stream_base& s) override { finish(h2(s)); }

  void trailers(stream_base& sb, cmd::trailers& c) override {
    auto& s = h2(sb);
    if (s.out_state != stream_base::out::streaming) return;
    pump_files(s, true);
    m_->submit_trailers(s.sid, c.fields);
    s.out_state = stream_base::out::done;
    finish(s);
  }

  void flow(stream_base& sb, size_t size) override {
    auto& s = h2(sb);
    s.credit += size;
    open_window(s);
  }

  void switch_protocol(stream_base& sb, cmd::switch_protocol&) override {
    // Nothing switches an HTTP/2 stream (RFC 8441's extended CONNECT is not served yet).
    auto& s = h2(sb);
    if (s.out_state != stream_base::out::none) return;
    response(s, 501, {{"content-length", "0"}}, {});
  }

  void stop(stream_base& sb) override {
    auto& s = h2(sb);
    if (s.out_state == stream_base::out::none) {
      response(s, 204, {}, {});
      return;
    }
    if (s.out_state == stream_base::out::streaming) {
      pump_files(s, true);
      m_->submit_data(s.sid, {}, fin);
      s.out_state = stream_base::out::done;
    }
    finish(s);
  }

  void internal_error(stream_base& sb, cmd::internal_error& c) override {
    auto& s = h2(sb);
    log::error("HTTP/2 stream ", s.sid, " on ", ls_->name, ": internal error: ", c.reason);
    if (s.out_state == stream_base::out::none) {
      response(s, 500, {{"content-length", "0"}}, {});
      return;
    }
    // The response started: only this stream is reset.
    s.files.clear();
    m_->reset_stream(s.sid, http2_error::internal_error);
    s.out_state = stream_base::out::done;
    finish(s);
  }

  // -- Reading ---------------------------------------------------------------------------------

  bool can_read() const {
    if (ph_ == phase::closed || !tr_) return false;
    return ph_ == phase::lingering || out_.bytes() < output_queue::high_watermark;
  }

  void on_readable() {
    if (!pending_in_.empty()) {
      auto in = std::move(pending_in_);
      pending_in_.clear();
      feed(in);
    }
    if (!can_read()) {
      read_blocked_ = true;
      return;
    }
    tr_->rearm_read();
    do_read();
  }

  void do_read() {
    auto scratch = read_scratch();
    for (;;) {
      auto r = tr_->read(scratch);
      if (r.what == io_status::ok) {
        idle_deadline_ = clock::now() + opts_->http2.idle_timeout;
        if (ph_ == phase::lingering) continue;
        feed(std::string_view(scratch.data(), r.bytes));
        if (ph_ == phase::closed) return;
        if (!can_read()) {
          read_blocked_ = true;
          return;
        }
        if (r.bytes < scratch.size() && !tr_->hangup()) return;
        continue;
      }
      if (r.what == io_status::closed || r.what == io_status::error) final_close();
      return;
    }
  }

  void feed(std::string_view bytes) {
    if (ph_ != phase::open || !m_) return;
    bool ok = m_->recv(bytes);
    // After a connection error nothing of this read is served: every stream ends with the
    // GOAWAY (h2spec --strict 5.1.1: no response may come before it).
    in_feed_ = true;
    if (ok)
      run_events();
    else
      events_.clear();
    in_feed_ = false;
    if (ph_ == phase::closed) return;
    if (!ok) {
      log::debug("HTTP/2 ", tr_->peer().ip, ":", tr_->peer().port, " on ", ls_->name, ": ",
                 m_->error_reason());
      begin_close();
    }
    flush();
  }

  // -- Writing ---------------------------------------------------------------------------------

  // Stream output is written once per batch: after the read being handled, or from a message
  // to ourselves that comes after the responses of other streams already in the mailbox (one
  // write for many streams instead of one per response).
  void want_flush() {
    if (in_feed_ || flush_scheduled_) return;
    flush_scheduled_ = true;
    self_->send(self_, flush_atom::value);
  }

  void on_flush() {
    flush_scheduled_ = false;
    flush();
  }

  void flush() {
    if (!tr_ || ph_ == phase::closed) return;
    // File bodies are read on, and the machine's bytes taken, as long as the socket takes them
    // and the peer's windows let the machine send.
    for (;;) {
      if (files_pending())
        for (auto& [sid, s] : streams_)
          if (!s->files.empty()) pump_files(*s, false);
      bool tried = out_.bytes() < output_queue::high_watermark;
      bool pulled = false;
      if (tried) {
        std::string bytes;
        m_->send(bytes);
        pulled = !bytes.empty();
        if (pulled) out_.push(std::move(bytes));
      }
      if (!write_out()) return;
      if (write_blocked_ || (tried && !pulled)) break;
    }
    release_acks();
    if (ph_ == phase::open && m_->want_close()) begin_close();
    if (ph_ == phase::closing && out_.bytes() == 0) shutdown_write();
  }

  // Writes the output queue; false when the connection failed.
  bool write_out() {
    if (!write_blocked_ && out_.bytes() > 0) {
      idle_deadline_ = clock::now() + opts_->http2.idle_timeout;  // idle: nothing sent either
      const auto before = out_.bytes();
      auto st = out_.flush(*tr_);
      if (st == io_status::would_block) {
        write_blocked_ = true;
        if (opts_->send_timeout.count() > 0 && (!send_deadline_ || out_.bytes() < before)) {
          send_deadline_ = clock::now() + opts_->send_timeout;
          arm_timer();
        }
      } else if (st != io_status::ok) {
        final_close();
        return false;
      } else {
        send_deadline_.reset();
      }
    }
    return true;
  }

  bool files_pending() const {
    for (auto& [sid, s] : streams_)
      if (!s->files.empty()) return true;
    return false;
  }

  void on_writable() {
    if (!tr_) return;
    write_blocked_ = false;
    flush();
    if (read_blocked_ && can_read()) {
      read_blocked_ = false;
      tr_->rearm_read();
      do_read();
    }
  }

  // -- Timers ----------------------------------------------------------------------------------

  std::optional<clock::time_point> next_deadline() const {
    std::optional<clock::time_point> t = idle_deadline_;
    for (auto& d : {preface_deadline_, settings_deadline_, goaway_deadline_, linger_deadline_,
                    send_deadline_})
      if (d && *d < *t) t = d;
    return t;
  }

  void arm_timer() {
    auto t = next_deadline();
    if (!t || (timer_at_ && *timer_at_ <= *t)) return;
    timer_at_ = t;
    auto delay = std::max(clock::duration::zero(), *t - clock::now());
    self_->delayed_send(
        self_,
        std::chrono::duration_cast<std::chrono::microseconds>(delay) + std::chrono::microseconds{1},
        conn_timer_atom::value, static_cast<int64_t>(t->time_since_epoch().count()));
  }

  void on_timer(int64_t at) {
    if (timer_at_ && timer_at_->time_since_epoch().count() == at) timer_at_.reset();
    if (ph_ == phase::closed) return;
    auto now = clock::now();
    if (linger_deadline_ && now >= *linger_deadline_) return final_close();
    if (send_deadline_ && now >= *send_deadline_) return final_close();
    if (preface_deadline_) {
      if (m_->preface_received()) {
        preface_deadline_.reset();
      } else if (now >= *preface_deadline_) {
        preface_deadline_.reset();
        return terminate(http2_error::protocol_error, "preface_timeout");
      }
    }
    if (settings_deadline_) {
      if (m_->settings_acked()) {
        settings_deadline_.reset();
      } else if (now >= *settings_deadline_) {
        settings_deadline_.reset();
        return terminate(http2_error::settings_timeout, "settings_timeout");
      }
    }
    if (goaway_deadline_ && now >= *goaway_deadline_) {
      goaway_deadline_.reset();
      if (goaway_ == 1) {
        goaway_ = 2;
        m_->goaway_final();
        goaway_deadline_ = now + opts_->http2.goaway_complete_timeout;
        flush();
        maybe_goaway_done();
      } else {
        return final_close();  // streams still open after goaway_complete_timeout
      }
    }
    if (now >= idle_deadline_ && ph_ == phase::open)
      return terminate(http2_error::no_error, "idle_timeout");
    arm_timer();
  }

  // -- Closing ---------------------------------------------------------------------------------

  void terminate(http2_error e, std::string_view why) {
    log::debug("HTTP/2 ", tr_->peer().ip, ":", tr_->peer().port, " on ", ls_->name, ": ", why);
    if (e == http2_error::no_error)
      m_->goaway_final();
    else
      m_->terminate(e);
    begin_close();
    flush();
    arm_timer();
  }

  // Graceful shutdown (drain_listener, stop_listener): GOAWAY with the highest stream id and a
  // PING, then after goaway_initial_timeout the final GOAWAY; in-flight streams finish, and the
  // connection closes when none is left (or after goaway_complete_timeout).
  void start_goaway() {
    if (goaway_ != 0 || ph_ != phase::open) return;
    goaway_ = 1;
    // Loop and SSE handlers hear it (rodeo::drain_atom) and end their stream cleanly.
    for (auto& [sid, s] : streams_)
      for (auto& c : s->children) caf::anon_send(c, drain_atom::value);
    m_->goaway_initial();
    goaway_deadline_ = clock::now() + opts_->http2.goaway_initial_timeout;
    flush();
    arm_timer();
  }

  void maybe_goaway_done() {
    if (goaway_ == 2 && streams_.empty() && ph_ == phase::open) {
      begin_close();
      flush();
    }
  }

  // No more streams: every stream's processes are told, the output is written, then the write
  // side shuts down and the client's last bytes are drained for linger_timeout.
  void begin_close() {
    if (ph_ != phase::open) return;
    ph_ = phase::closing;
    end_streams();
  }

  void end_streams() {
    for (auto& [sid, s] : streams_) {
      tell_gone(*s);
      s->chain->terminate(s->id, reason::shutdown("closed"));
    }
    streams_.clear();
    tell_orphans_gone();
  }

  void shutdown_write() {
    if (ph_ != phase::closing) return;
    ph_ = phase::lingering;
    tr_->shutdown_write();
    linger_deadline_ = clock::now() + opts_->linger_timeout;
    arm_timer();
    read_blocked_ = false;
    self_->send(self_, readable_atom::value);
  }

  void final_close() {
    if (ph_ == phase::closed) return;
    if (ph_ == phase::open) end_streams();
    ph_ = phase::closed;
    release();
    self_->quit(quit_reason_);
  }

  void release() {
    tr_.reset();
    for (auto& [sid, s] : streams_) tell_gone(*s);
    tell_orphans_gone();
    fail_acks();
  }

  // A shutdown from the listener (stop_listener) is a graceful GOAWAY; anything else closes.
  void on_exit(caf::exit_msg& e) {
    quit_reason_ = e.reason;
    if (reason::is_shutdown(e.reason) && e.reason.context().empty() && ph_ == phase::open) {
      start_goaway();
      return;
    }
    final_close();
  }

  caf::event_based_actor* self_;
  std::shared_ptr<listener_state> ls_;
  const protocol_options* opts_;
  std::unique_ptr<transport> tr_;
  output_queue out_;
  std::string pending_in_;
  std::unique_ptr<http2_machine> m_;
  std::unordered_map<int32_t, std::unique_ptr<http2_stream>> streams_;
  std::vector<event> events_;
  commands cmds;
  phase ph_ = phase::open;
  int goaway_ = 0;  // 0: none, 1: initial GOAWAY sent, 2: final GOAWAY sent
  bool read_blocked_ = false;
  bool write_blocked_ = false;
  bool in_feed_ = false;          // handling a read: it flushes at its end
  bool flush_scheduled_ = false;  // a flush_atom is on its way
  caf::error quit_reason_;

  clock::time_point idle_deadline_;
  std::optional<clock::time_point> preface_deadline_, settings_deadline_, goaway_deadline_,
      linger_deadline_, send_deadline_, timer_at_;
};

}  // namespace

caf::behavior become_http2(caf::event_based_actor* self, std::shared_ptr<listener_state> ls,
                           protocol_handover h, std::optional<http2_upgrade> up) {
  auto st = std::make_shared<http2_state>(self, std::move(ls), std::move(h));
  auto b = st->behavior(st);
  st->start(std::move(up));
  return b;
}

}  // namespace rodeo::detail
