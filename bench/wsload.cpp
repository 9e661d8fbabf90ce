// bench-wsload: a WebSocket and HTTP/1.1 load client. One thread, epoll (edge-triggered),
// non-blocking sockets, every load bounded in time. It verifies every byte it gets back and
// measures its own CPU (getrusage) next to the server's (/proc/<pid>/stat), so a result where the
// client was the bottleneck can be seen as such.
//
// Modes (--mode):
//   echo        N WebSocket connections (--conns) on --path (/echo), K messages in flight each
//               (--inflight), S bytes each (--size); every echo checked byte for byte; msg/s and
//               round trip p50/p99 over --seconds after --warmup, or exactly --messages echoes.
//   idle        opens N WebSocket sessions and holds them; with --server-pid, the server's RSS per
//               session (VmRSS before/after).
//   idle-http   opens N HTTP keep-alive connections, makes one GET / on each, holds them; RSS as
//   above. broadcast   N sessions on --path (/ws); --rounds times, POST /broadcast on another
//   connection
//               with a body that starts with a CLOCK_MONOTONIC timestamp; every session must get
//               every body exactly. Latency from the timestamp to the kernel's receive time of the
//               frame (SO_TIMESTAMPNS: "on the wire", independent of this client's speed) and to
//               the client's read, per delivery and until the last session has it.
//   http        C HTTP/1.1 connections, K requests pipelined each, GET --path, for --seconds or
//               until --requests are answered (for instruction counts: --conns 1 --requests 2000).
// --tls: every connection over TLS (wss://, https://; ALPN http/1.1, no certificate check).
// Connections beyond --per-source (14000) use source addresses 127.0.0.2, .3, ... so the number of
// connections is not limited by one address's ephemeral ports.
//
// Output: JSON lines (bench_common.hpp) on stdout, a summary on stderr. Exit status 1 when a
// connection failed or a byte differed.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cinttypes>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "bench_common.hpp"
#include "payload.hpp"
#include "tls_client.hpp"
#include "ws_wire.hpp"

namespace {

using bench::now_ns;
namespace ws = bench::ws;
using bench::fill_payload;

volatile std::sig_atomic_t interrupted = 0;
void on_signal(int) {
  interrupted = 1;
}

struct options {
  std::string mode = "echo";
  std::string host = "127.0.0.1";
  int port = 8080;
  std::string path;
  size_t conns = 50;
  size_t inflight = 1;
  size_t size = 32;
  double seconds = 5;
  double warmup = 1;
  double hold = 0;
  bool deflate = false;
  bool binary = false;
  bool words = false;
  pid_t server_pid = 0;
  size_t per_source = 14000;
  size_t open_batch = 256;
  double open_timeout = 60;
  size_t rounds = 20;
  double interval_ms = 100;
  uint64_t requests = 0;
  uint64_t messages = 0;
  double sync_timeout = 10;
  bool tls = false;
};

struct rng {
  uint64_t s;
  uint64_t next() {
    s ^= s << 13;
    s ^= s >> 7;
    s ^= s << 17;
    return s;
  }
};

/// Length of the complete HTTP/1.1 response at the start of `data`: 0 when incomplete, -1 when
/// malformed or without a length. Sets `status`.
long response_length(std::string_view data, int& status) {
  auto end = data.find("\r\n\r\n");
  if (end == std::string_view::npos) return data.size() > 65536 ? -1 : 0;
  if (data.size() < 12 || (data.substr(0, 9) != "HTTP/1.1 " && data.substr(0, 9) != "HTTP/1.0 "))
    return -1;
  status = std::atoi(std::string{data.substr(9, 3)}.c_str());
  auto head = data.substr(0, end + 2);
  size_t pos = end + 4;
  if (status / 100 == 1 || status == 204 || status == 304) return static_cast<long>(pos);
  if (auto te = ws::find_header(head, "transfer-encoding");
      te && ws::contains_token(*te, "chunked")) {
    for (;;) {
      auto line_end = data.find("\r\n", pos);
      if (line_end == std::string_view::npos) return 0;
      auto size = std::strtoul(std::string{data.substr(pos, line_end - pos)}.c_str(), nullptr, 16);
      pos = line_end + 2;
      if (size == 0) {
        if (data.substr(pos, 2) == "\r\n") return static_cast<long>(pos + 2);
        auto trailers_end = data.find("\r\n\r\n", pos);
        return trailers_end == std::string_view::npos ? 0 : static_cast<long>(trailers_end + 4);
      }
      pos += size + 2;
      if (pos > data.size()) return 0;
    }
  }
  auto cl = ws::find_header(head, "content-length");
  if (!cl) return -1;
  size_t total = pos + std::strtoull(std::string{*cl}.c_str(), nullptr, 10);
  return data.size() < total ? 0 : static_cast<long>(total);
}

enum class kind { websocket, http };
enum class state { connecting, handshake, open, done };

/// Send times of the messages (or requests) in flight on one connection, oldest first.
class in_flight {
 public:
  void resize(size_t n) { times_.assign(std::max<size_t>(n, 1), 0); }
  size_t size() const { return count_; }
  void push(uint64_t t) {
    times_[(head_ + count_) % times_.size()] = t;
    ++count_;
  }
  uint64_t pop() {
    auto t = times_[head_];
    head_ = (head_ + 1) % times_.size();
    --count_;
    return t;
  }

 private:
  std::vector<uint64_t> times_;
  size_t head_ = 0;
  size_t count_ = 0;
};

struct connection {
  int fd = -1;
  uint32_t id = 0;
  kind type = kind::websocket;
  state st = state::connecting;
  bool control = false;  // the broadcast mode's POST connection
  std::string in;
  std::string out;
  std::string key;
  std::unique_ptr<ws::deflater> pmd;
  uint64_t next_send = 0;
  uint64_t next_recv = 0;
  in_flight pending;
  std::string fragments;
  uint8_t fragment_op = 0;
  bool fragment_compressed = false;
  bool in_fragment = false;
  long long last_round = -1;
  bool synced = false;
  bool answered = false;   // idle-http: its one response arrived
  bool closing = false;    // the last response said `connection: close`
  bool rx_stamps = false;  // broadcast sessions: reads take the kernel receive time
  uint64_t rx_ns = 0;      // kernel receive time of the last read (CLOCK_MONOTONIC)
  bool tcp_up = false;     // connected; with --tls the TLS handshake follows
  SSL* ssl = nullptr;
};

class load {
 public:
  explicit load(const options& o) : opt_(o) {
    rand_.s = now_ns() ^ (static_cast<uint64_t>(getpid()) << 32) ^ 0x2545F4914F6CDD1Dull;
    epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
    server_.sin_family = AF_INET;
    server_.sin_port = htons(static_cast<uint16_t>(opt_.port));
    inet_pton(AF_INET, opt_.host.c_str(), &server_.sin_addr);
    scratch_.resize(opt_.size + 64);
    expected_.resize(opt_.size + 64);
    if (opt_.tls) tls_ = std::make_unique<bench::tls::context>();
  }
  ~load() {
    for (auto& c : conns_) drop_socket(*c);
    close(epoll_fd_);
  }

  int run() {
    if (opt_.mode == "echo") return run_echo();
    if (opt_.mode == "idle") return run_idle(kind::websocket);
    if (opt_.mode == "idle-http") return run_idle(kind::http);
    if (opt_.mode == "broadcast") return run_broadcast();
    if (opt_.mode == "http") return run_http();
    std::fprintf(stderr, "unknown --mode %s\n", opt_.mode.c_str());
    return 2;
  }

 private:
  // ---- connections --------------------------------------------------------------------------

  connection& add(kind type) {
    auto c = std::make_unique<connection>();
    c->id = static_cast<uint32_t>(conns_.size());
    c->type = type;
    c->pending.resize(opt_.inflight);
    conns_.push_back(std::move(c));
    return *conns_.back();
  }

  // ---- socket I/O, clear or TLS ----------------------------------------------------------------

  ssize_t io_read(connection& c, char* buf, size_t size) {
    return c.ssl ? bench::tls::read(c.ssl, buf, size) : read(c.fd, buf, size);
  }
  ssize_t io_write(connection& c, const char* buf, size_t size) {
    return c.ssl ? bench::tls::write(c.ssl, buf, size) : write(c.fd, buf, size);
  }
  void drop_socket(connection& c) {
    if (c.ssl) SSL_free(c.ssl);
    c.ssl = nullptr;
    if (c.fd >= 0) close(c.fd);
    c.fd = -1;
    c.tcp_up = false;
  }

  void start_connect(connection& c) {
    ++connecting_;
    c.fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c.fd < 0) return fail(c, "socket: " + std::string{std::strerror(errno)});
    int one = 1;
    setsockopt(c.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (opt_.mode == "broadcast" && c.type == kind::websocket && !opt_.tls) {
      c.rx_stamps = setsockopt(c.fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof one) == 0;
    }
    if (auto source = c.id / opt_.per_source; source > 0) {
      // One loopback source address per `per_source` connections; the port is chosen at connect.
      setsockopt(c.fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
      sockaddr_in local{};
      local.sin_family = AF_INET;
      local.sin_addr.s_addr = htonl(INADDR_LOOPBACK + static_cast<uint32_t>(source));
      if (bind(c.fd, reinterpret_cast<sockaddr*>(&local), sizeof local) != 0)
        return fail(c, "bind: " + std::string{std::strerror(errno)});
    }
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
    ev.data.ptr = &c;
    epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, c.fd, &ev);
    if (connect(c.fd, reinterpret_cast<sockaddr*>(&server_), sizeof server_) != 0 &&
        errno != EINPROGRESS)
      return fail(c, "connect: " + std::string{std::strerror(errno)});
  }

  void fail(connection& c, const std::string& why) {
    if (c.st == state::done) return;
    if (c.st == state::connecting || c.st == state::handshake)
      --connecting_;
    else if (c.st == state::open)
      --open_;
    c.st = state::done;
    if (c.fd >= 0) epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, c.fd, nullptr);
    drop_socket(c);
    ++failures_;
    if (failures_ <= 5) std::fprintf(stderr, "connection %u: %s\n", c.id, why.c_str());
  }

  void opened(connection& c) {
    --connecting_;
    ++open_;
    c.st = state::open;
    on_open(c);
  }

  /// Opens `first..conns_.size()` with at most open_batch connects in progress at once; true when
  /// none is still connecting before the deadline.
  bool open_all(size_t first) {
    auto deadline = now_ns() + static_cast<uint64_t>(opt_.open_timeout * 1e9);
    size_t next = first;
    while (!interrupted && now_ns() < deadline) {
      while (next < conns_.size() && connecting_ < opt_.open_batch) start_connect(*conns_[next++]);
      if (next == conns_.size() && connecting_ == 0) return true;
      poll(10);
    }
    for (size_t i = first; i < next; ++i)
      if (conns_[i]->st == state::connecting || conns_[i]->st == state::handshake)
        fail(*conns_[i], "not open before the open timeout");
    for (size_t i = next; i < conns_.size(); ++i) {
      conns_[i]->st = state::done;  // never started
      ++failures_;
    }
    return false;
  }

  void close_all() {
    for (auto& c : conns_) {
      if (c->st == state::open && c->type == kind::websocket && c->out.empty()) {
        uint8_t frame[8];
        uint32_t key = static_cast<uint32_t>(rand_.next());
        size_t n =
            ws::write_header(frame, true, false, ws::op_close, 2, reinterpret_cast<uint8_t*>(&key));
        uint8_t code[2] = {0x03, 0xE8};  // 1000
        ws::apply_mask(code, 2, reinterpret_cast<uint8_t*>(&key));
        (void)!io_write(*c, reinterpret_cast<char*>(frame), n);
        (void)!io_write(*c, reinterpret_cast<char*>(code), 2);
      }
      drop_socket(*c);
      c->st = state::done;
    }
    open_ = 0;
  }

  // ---- event loop ---------------------------------------------------------------------------

  void poll(int timeout_ms) {
    epoll_event events[512];
    int n = epoll_wait(epoll_fd_, events, 512, timeout_ms);
    if (n <= 0) return;
    uint64_t now = now_ns();
    for (int i = 0; i < n; ++i) {
      auto& c = *static_cast<connection*>(events[i].data.ptr);
      if (c.st == state::done) continue;
      if (c.st == state::connecting) {
        if (!c.tcp_up) {
          int err = 0;
          socklen_t len = sizeof err;
          getsockopt(c.fd, SOL_SOCKET, SO_ERROR, &err, &len);
          if (err != 0) {
            fail(c, "connect: " + std::string{std::strerror(err)});
            continue;
          }
          if (!(events[i].events & EPOLLOUT)) continue;
          c.tcp_up = true;
          if (tls_) c.ssl = tls_->session(c.fd, opt_.host);
        }
        if (c.ssl) {
          // Edge-triggered: each event moves the handshake on until it is done.
          int h = bench::tls::handshake(c.ssl);
          if (h < 0) fail(c, "TLS handshake failed");
          if (h <= 0) continue;
        }
        if (c.type == kind::websocket) {
          c.st = state::handshake;
          send_handshake(c);
        } else {
          opened(c);
        }
      }
      if (events[i].events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))
        on_readable(c, now, events[i].events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR));
      if (c.st != state::done) flush(c);
    }
  }

  /// Reads what arrived. A short read means the socket is drained (epoll(7)), which saves the
  /// EAGAIN read per event; after a hang-up it reads on to the end.
  void on_readable(connection& c, uint64_t now, bool hangup) {
    char buf[65536];
    bool eof = false;
    for (;;) {
      ssize_t n = c.rx_stamps ? read_stamped(c, buf, sizeof buf) : io_read(c, buf, sizeof buf);
      if (n > 0) {
        c.in.append(buf, static_cast<size_t>(n));
        // TLS reads return one record at a time: only EAGAIN says the socket is drained.
        if (static_cast<size_t>(n) < sizeof buf && !hangup && !c.ssl) break;
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n == 0 || errno != EAGAIN) eof = true;
      break;
    }
    size_t used = 0;
    while (c.st != state::done) {
      size_t step = 0;
      if (c.st == state::handshake)
        step = handshake_reply(c, used);
      else if (c.type == kind::websocket)
        step = websocket_frame(c, used, now);
      else
        step = http_response(c, used, now);
      if (step == 0) break;
      used += step;
    }
    if (c.st == state::done) return;
    c.in.erase(0, used);
    if (c.type == kind::websocket && c.st == state::open) top_up(c, now);
    if (c.closing && opt_.mode != "idle-http") return reconnect(c);
    if (eof)
      fail(c, c.closing ? "closed by the server (connection: close)" : "closed by the server");
  }

  /// The server ended a keep-alive connection with `connection: close` (Cowboy's max_keepalive):
  /// open a new one, as wrk and browsers do, and resend what was not answered.
  void reconnect(connection& c) {
    epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, c.fd, nullptr);
    drop_socket(c);
    c.in.clear();
    c.out.clear();
    c.closing = false;
    requests_sent_ -= c.pending.size();
    c.pending = in_flight{};
    c.pending.resize(c.control ? 4 : opt_.inflight);
    --open_;
    c.st = state::connecting;
    ++reconnects_;
    start_connect(c);
  }

  /// read() that also takes the kernel's receive time of the data (SO_TIMESTAMPNS: the moment the
  /// server's bytes reached this socket), converted to CLOCK_MONOTONIC.
  ssize_t read_stamped(connection& c, char* buf, size_t size) {
    iovec iov{buf, size};
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(timespec))];
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    ssize_t n = recvmsg(c.fd, &msg, 0);
    if (n <= 0) return n;
    for (auto* cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm)) {
      if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_TIMESTAMPNS) {
        timespec ts;
        std::memcpy(&ts, CMSG_DATA(cm), sizeof ts);
        timespec real, mono;
        clock_gettime(CLOCK_REALTIME, &real);
        clock_gettime(CLOCK_MONOTONIC, &mono);
        int64_t offset = (real.tv_sec - mono.tv_sec) * 1000000000ll + (real.tv_nsec - mono.tv_nsec);
        c.rx_ns = static_cast<uint64_t>(ts.tv_sec * 1000000000ll + ts.tv_nsec - offset);
      }
    }
    return n;
  }

  void flush(connection& c) {
    size_t off = 0;
    while (off < c.out.size()) {
      ssize_t n = io_write(c, c.out.data() + off, c.out.size() - off);
      if (n > 0)
        off += static_cast<size_t>(n);
      else if (n < 0 && errno == EINTR)
        continue;
      else if (n < 0 && errno == EAGAIN)
        break;
      else
        return fail(c, "write: " + std::string{std::strerror(errno)});
    }
    c.out.erase(0, off);
  }

  // ---- WebSocket ------------------------------------------------------------------------------

  void send_handshake(connection& c) {
    unsigned char raw[16];
    for (int i = 0; i < 16; i += 8) {
      uint64_t r = rand_.next();
      std::memcpy(raw + i, &r, 8);
    }
    c.key = ws::base64(raw, 16);
    c.out += "GET " + path() + " HTTP/1.1\r\nhost: " + opt_.host + ":" + std::to_string(opt_.port) +
             "\r\nupgrade: websocket\r\nconnection: Upgrade\r\nsec-websocket-key: " + c.key +
             "\r\nsec-websocket-version: 13\r\n";
    if (opt_.deflate)
      c.out += "sec-websocket-extensions: permessage-deflate; client_max_window_bits\r\n";
    c.out += "\r\n";
  }

  size_t handshake_reply(connection& c, size_t used) {
    std::string_view data{c.in.data() + used, c.in.size() - used};
    auto end = data.find("\r\n\r\n");
    if (end == std::string_view::npos) {
      if (data.size() > 65536) fail(c, "handshake reply too long");
      return 0;
    }
    auto head = data.substr(0, end + 2);
    auto line = head.substr(0, head.find("\r\n"));
    if (line.substr(0, 13) != "HTTP/1.1 101 ") {
      fail(c, "upgrade refused: " + std::string{line});
      return 0;
    }
    auto upgrade = ws::find_header(head, "upgrade");
    auto connection_hdr = ws::find_header(head, "connection");
    auto accept = ws::find_header(head, "sec-websocket-accept");
    if (!upgrade || !ws::contains_token(*upgrade, "websocket") || !connection_hdr ||
        !ws::contains_token(*connection_hdr, "upgrade")) {
      fail(c, "101 without upgrade: websocket / connection: upgrade");
      return 0;
    }
    if (!accept || *accept != ws::accept_key(c.key)) {
      fail(c, "wrong sec-websocket-accept");
      return 0;
    }
    if (auto ext = ws::find_header(head, "sec-websocket-extensions")) {
      auto p = ws::parse_deflate(*ext);
      if (!opt_.deflate || !p) {
        fail(c, "server chose an extension that was not offered: " + std::string{*ext});
        return 0;
      }
      c.pmd = std::make_unique<ws::deflater>(p->client_max_window_bits, p->server_max_window_bits,
                                             p->client_no_context_takeover,
                                             p->server_no_context_takeover);
      deflate_accepted_ = true;
    }
    opened(c);
    return end + 4;
  }

  /// Appends one masked frame carrying `payload` (compressed first when negotiated).
  void send_frame(connection& c, uint8_t op, const uint8_t* payload, size_t n) {
    bool rsv1 = false;
    if (c.pmd && (op == ws::op_text || op == ws::op_binary)) {
      c.pmd->compress(payload, n, compressed_);
      payload = reinterpret_cast<const uint8_t*>(compressed_.data());
      n = compressed_.size();
      rsv1 = true;
    }
    uint8_t head[14];
    uint32_t key32 = static_cast<uint32_t>(rand_.next());
    auto* key = reinterpret_cast<uint8_t*>(&key32);
    size_t h = ws::write_header(head, true, rsv1, op, n, key);
    size_t at = c.out.size();
    c.out.append(reinterpret_cast<char*>(head), h);
    c.out.append(reinterpret_cast<const char*>(payload), n);
    ws::apply_mask(reinterpret_cast<uint8_t*>(c.out.data()) + at + h, n, key);
  }

  /// Keeps `inflight` echo messages outstanding while the load runs.
  void top_up(connection& c, uint64_t now) {
    if (!sending_ || opt_.mode != "echo") return;
    while (c.pending.size() < opt_.inflight && (opt_.messages == 0 || sent_ < opt_.messages)) {
      ++sent_;
      fill_payload(scratch_.data(), opt_.size, c.id, c.next_send++, opt_.words);
      send_frame(c, opt_.binary ? ws::op_binary : ws::op_text, scratch_.data(), opt_.size);
      c.pending.push(now);
    }
  }

  size_t websocket_frame(connection& c, size_t used, uint64_t now) {
    auto* p = reinterpret_cast<uint8_t*>(c.in.data()) + used;
    size_t avail = c.in.size() - used;
    ws::header h;
    int rc = ws::parse_header(p, avail, h);
    if (rc == 0) return 0;
    if (rc < 0 || h.masked || h.rsv23 || (h.rsv1 && !c.pmd)) {
      fail(c, "invalid frame from the server");
      return 0;
    }
    if (avail < h.size + h.len) return 0;
    const uint8_t* payload = p + h.size;
    size_t n = h.len;
    switch (h.op) {
      case ws::op_ping:
        send_frame(c, ws::op_pong, payload, n);
        break;
      case ws::op_pong:
        break;
      case ws::op_close:
        fail(c, "server sent close" + (n >= 2 ? " " + std::to_string((payload[0] << 8) | payload[1])
                                              : std::string{}));
        return 0;
      case ws::op_text:
      case ws::op_binary:
        if (c.in_fragment) {
          fail(c, "new message inside a fragmented one");
          return 0;
        }
        if (!h.fin) {
          c.in_fragment = true;
          c.fragment_op = h.op;
          c.fragment_compressed = h.rsv1;
          c.fragments.assign(reinterpret_cast<const char*>(payload), n);
          break;
        }
        message(c, h.op, h.rsv1, payload, n, now);
        break;
      case ws::op_continuation:
        if (!c.in_fragment) {
          fail(c, "continuation without a message");
          return 0;
        }
        c.fragments.append(reinterpret_cast<const char*>(payload), n);
        if (h.fin) {
          c.in_fragment = false;
          std::string whole;
          whole.swap(c.fragments);
          message(c, c.fragment_op, c.fragment_compressed,
                  reinterpret_cast<const uint8_t*>(whole.data()), whole.size(), now);
        }
        break;
      default:
        fail(c, "unknown opcode " + std::to_string(h.op));
        return 0;
    }
    return c.st == state::done ? 0 : h.size + h.len;
  }

  void message(connection& c, uint8_t op, bool compressed, const uint8_t* data, size_t n,
               uint64_t now) {
    if (compressed) {
      if (!c.pmd->decompress(data, n, inflated_, 64 * 1024 * 1024))
        return mismatch(c, "bad deflate data");
      data = reinterpret_cast<const uint8_t*>(inflated_.data());
      n = inflated_.size();
    }
    if (opt_.mode == "broadcast") return broadcast_message(c, data, n, now);
    if (c.pending.size() == 0) return mismatch(c, "a message nobody sent");
    auto sent_at = c.pending.pop();
    fill_payload(expected_.data(), opt_.size, c.id, c.next_recv++, opt_.words);
    if (op != (opt_.binary ? ws::op_binary : ws::op_text)) return mismatch(c, "wrong opcode");
    if (n != opt_.size || std::memcmp(data, expected_.data(), n) != 0)
      return mismatch(c, "echo differs from what was sent");
    if (measuring_) {
      ++window_count_;
      rtt_.record(now - sent_at);
    }
  }

  void mismatch(connection& c, const std::string& why) {
    ++mismatches_;
    fail(c, why);
  }

  // ---- HTTP -----------------------------------------------------------------------------------

  std::string path() const {
    if (!opt_.path.empty()) return opt_.path;
    if (opt_.mode == "broadcast") return "/ws";
    if (opt_.mode == "echo" || opt_.mode == "idle") return "/echo";
    return "/";
  }

  void send_get(connection& c, uint64_t now) {
    c.out += "GET " + path() + " HTTP/1.1\r\nhost: " + opt_.host + ":" + std::to_string(opt_.port) +
             "\r\n\r\n";
    c.pending.push(now);
    ++requests_sent_;
  }

  size_t http_response(connection& c, size_t used, uint64_t now) {
    int status = 0;
    long len = response_length({c.in.data() + used, c.in.size() - used}, status);
    if (len == 0) return 0;
    if (len < 0) {
      mismatch(c, "malformed HTTP response");
      return 0;
    }
    if (status / 100 != 2) {
      mismatch(c, "HTTP status " + std::to_string(status));
      return 0;
    }
    if (c.pending.size() == 0) {
      mismatch(c, "a response nobody asked for");
      return 0;
    }
    auto sent_at = c.pending.pop();
    ++responses_;
    c.answered = true;
    if (measuring_) {
      ++window_count_;
      rtt_.record(now - sent_at);
    }
    auto head = std::string_view{c.in.data() + used, static_cast<size_t>(len)};
    head = head.substr(0, head.find("\r\n\r\n") + 2);
    if (auto conn = ws::find_header(head, "connection");
        conn && ws::contains_token(*conn, "close")) {
      c.closing = true;  // on_readable reconnects; nothing more comes on this connection
      return 0;
    }
    if (opt_.mode == "http" && sending_ && (opt_.requests == 0 || requests_sent_ < opt_.requests))
      send_get(c, now);
    return static_cast<size_t>(len);
  }

  void on_open(connection& c) {
    uint64_t now = now_ns();
    if (c.type == kind::http && !c.control) {
      size_t first = opt_.mode == "http" ? opt_.inflight : 1;
      for (size_t i = 0; i < first; ++i) {
        if (opt_.mode == "http" &&
            (!sending_ || (opt_.requests && requests_sent_ >= opt_.requests)))
          break;
        send_get(c, now);
      }
    }
  }

  // ---- measurement helpers --------------------------------------------------------------------

  struct window {
    uint64_t t0 = 0;
    double client_cpu = 0;
    double server_cpu = 0;
  };
  window window_start() {
    window w;
    w.t0 = now_ns();
    w.client_cpu = bench::own_cpu_seconds();
    w.server_cpu = opt_.server_pid ? bench::process_cpu_seconds(opt_.server_pid) : -1;
    return w;
  }
  /// Prints rate, latency and CPU figures for `count` operations since `w`.
  void report_window(const window& w, uint64_t count, const std::string& what) {
    double secs = static_cast<double>(now_ns() - w.t0) / 1e9;
    double client = bench::own_cpu_seconds() - w.client_cpu;
    double rate = static_cast<double>(count) / secs;
    bench::result("rate", rate, what + "/s",
                  std::to_string(count) + " in " + std::to_string(secs) + " s");
    bench::result("p50_us", static_cast<double>(rtt_.percentile(0.5)) / 1e3, "us");
    bench::result("p99_us", static_cast<double>(rtt_.percentile(0.99)) / 1e3, "us");
    bench::result("client_cpu_pct", 100.0 * client / secs, "%");
    std::fprintf(stderr,
                 "%" PRIu64 " %s in %.2f s = %.0f/s, p50 %.1f us, p99 %.1f us, client CPU %.0f%%",
                 count, what.c_str(), secs, rate, static_cast<double>(rtt_.percentile(0.5)) / 1e3,
                 static_cast<double>(rtt_.percentile(0.99)) / 1e3, 100.0 * client / secs);
    if (opt_.server_pid && w.server_cpu >= 0) {
      double server = bench::process_cpu_seconds(opt_.server_pid) - w.server_cpu;
      bench::result("server_cpu_pct", 100.0 * server / secs, "%");
      if (count > 0) {
        bench::result("server_cpu_us_per_op", 1e6 * server / static_cast<double>(count), "us");
        bench::result("client_cpu_us_per_op", 1e6 * client / static_cast<double>(count), "us");
      }
      std::fprintf(stderr, ", server CPU %.0f%%", 100.0 * server / secs);
    }
    std::fprintf(stderr, "\n");
  }

  bool check_opened(size_t expected) {
    if (open_ == expected) return true;
    std::fprintf(stderr, "only %zu of %zu connections opened\n", open_, expected);
    return false;
  }

  /// Loops for `secs` (bounded; ends early on SIGINT).
  void run_for(double secs) {
    auto until = now_ns() + static_cast<uint64_t>(secs * 1e9);
    while (!interrupted && now_ns() < until) poll(10);
  }

  /// Samples the server's RSS until it stops moving (bounded), so late allocations are counted.
  uint64_t settled_rss() {
    uint64_t last = bench::vm_rss(opt_.server_pid);
    for (int i = 0; i < 20; ++i) {
      run_for(0.25);
      uint64_t now = bench::vm_rss(opt_.server_pid);
      if ((now > last ? now - last : last - now) * 200 < last) return now;
      last = now;
    }
    return last;
  }

  int exit_status() const {
    if (mismatches_ > 0) std::fprintf(stderr, "%zu verification failures\n", mismatches_);
    return failures_ == 0 && mismatches_ == 0 ? 0 : 1;
  }

  // ---- modes ----------------------------------------------------------------------------------

  int run_echo() {
    for (size_t i = 0; i < opt_.conns; ++i) add(kind::websocket);
    open_all(0);
    if (!check_opened(opt_.conns)) return 1;
    if (opt_.deflate) bench::result("deflate_negotiated", deflate_accepted_ ? 1 : 0, "bool");
    sending_ = true;
    uint64_t now = now_ns();
    for (auto& c : conns_) {
      top_up(*c, now);
      flush(*c);
    }
    if (opt_.messages == 0) run_for(opt_.warmup);
    measuring_ = true;
    auto w = window_start();
    if (opt_.messages == 0) {
      run_for(opt_.seconds);
    } else {
      // Count-bound (instruction counts): every message measured, still bounded in time.
      auto until = w.t0 + static_cast<uint64_t>(opt_.seconds * 1e9);
      while (!interrupted && window_count_ < opt_.messages && open_ + connecting_ > 0 &&
             now_ns() < until)
        poll(10);
      if (window_count_ < opt_.messages) {
        std::fprintf(stderr, "only %" PRIu64 " of %" PRIu64 " echoes before the time limit\n",
                     window_count_, opt_.messages);
        ++mismatches_;
      }
    }
    measuring_ = false;
    sending_ = false;
    report_window(w, window_count_, "msg");
    // Drain what is still in flight (bounded) so every echo sent is also checked.
    auto until = now_ns() + 2'000'000'000ull;
    auto outstanding = [this] {
      size_t n = 0;
      for (auto& c : conns_)
        if (c->st == state::open) n += c->pending.size();
      return n;
    };
    while (!interrupted && outstanding() > 0 && now_ns() < until) poll(10);
    if (outstanding() > 0) {
      std::fprintf(stderr, "%zu echoes still missing 2 s after the load stopped\n", outstanding());
      ++mismatches_;
    }
    close_all();
    return exit_status();
  }

  /// Waits (bounded) until every open HTTP connection got its response.
  void wait_answers() {
    auto until = now_ns() + static_cast<uint64_t>(opt_.open_timeout * 1e9);
    auto waiting = [this] {
      return std::any_of(conns_.begin(), conns_.end(), [](auto& c) {
        return c->type == kind::http && c->st == state::open && !c->answered;
      });
    };
    while (!interrupted && waiting() && now_ns() < until) poll(10);
  }

  int run_idle(kind type) {
    uint64_t rss0 = 0;
    size_t first = 0;
    if (opt_.server_pid) {
      // One connection first, closed again: what the server allocates once (crypto init, caches,
      // first buffers) is not charged to the idle connections.
      auto& warm = add(type);
      open_all(0);
      if (type == kind::http) wait_answers();
      if (warm.st == state::open) {
        epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, warm.fd, nullptr);
        drop_socket(warm);
        warm.st = state::done;
        --open_;
      }
      first = 1;
      rss0 = settled_rss();
    }
    for (size_t i = 0; i < opt_.conns; ++i) add(type);
    open_all(first);
    if (type == kind::http) wait_answers();
    bool ok = check_opened(opt_.conns);
    std::string what = type == kind::http ? "HTTP keep-alive connection" : "WebSocket session";
    if (opt_.server_pid) {
      uint64_t rss1 = settled_rss();
      double per = (static_cast<double>(rss1) - static_cast<double>(rss0)) /
                   static_cast<double>(std::max<size_t>(open_, 1));
      bench::result("rss_before_kb", static_cast<double>(rss0) / 1024, "KB");
      bench::result("rss_after_kb", static_cast<double>(rss1) / 1024, "KB");
      bench::result("bytes_per_conn", per, "B",
                    std::to_string(open_) + " idle, server VmRSS delta");
      std::fprintf(stderr, "%zu idle %ss: server VmRSS %.1f -> %.1f MB, %.0f B each\n", open_,
                   what.c_str(), static_cast<double>(rss0) / 1048576.0,
                   static_cast<double>(rss1) / 1048576.0, per);
    } else {
      std::fprintf(stderr, "%zu idle %ss open\n", open_, what.c_str());
    }
    run_for(opt_.hold);
    close_all();
    return ok ? exit_status() : 1;
  }

  int run_http() {
    for (size_t i = 0; i < opt_.conns; ++i) add(kind::http);
    sending_ = true;
    measuring_ = true;
    auto w = window_start();
    open_all(0);
    if (!check_opened(opt_.conns)) return 1;
    auto until = w.t0 + static_cast<uint64_t>(opt_.seconds * 1e9);
    while (!interrupted && now_ns() < until && open_ + connecting_ > 0 &&
           (opt_.requests == 0 || responses_ < opt_.requests))
      poll(10);
    sending_ = false;
    measuring_ = false;
    report_window(w, window_count_, "req");
    if (reconnects_ > 0) {
      bench::result("reconnects", static_cast<double>(reconnects_), "",
                    "the server closed keep-alive connections (connection: close)");
    }
    if (opt_.requests && responses_ < opt_.requests) {
      std::fprintf(stderr, "only %" PRIu64 " of %" PRIu64 " responses before the time limit\n",
                   responses_, opt_.requests);
      ++mismatches_;
    }
    close_all();
    return exit_status();
  }

  // Broadcast: bodies are "<CLOCK_MONOTONIC ns> <round> xxx..." (padded to --size), or
  // "<ns> sync" while waiting for every session to have joined the group.
  void post_broadcast(connection& control, const std::string& body) {
    control.out +=
        "POST /broadcast HTTP/1.1\r\nhost: " + opt_.host + ":" + std::to_string(opt_.port) +
        "\r\ncontent-type: text/plain\r\ncontent-length: " + std::to_string(body.size()) +
        "\r\n\r\n" + body;
    control.pending.push(now_ns());
    flush(control);
  }

  std::string stamped_body(long long round) {
    std::string body =
        std::to_string(now_ns()) + (round < 0 ? " sync" : " " + std::to_string(round) + " ");
    if (round >= 0 && body.size() < opt_.size) body.append(opt_.size - body.size(), 'x');
    return body;
  }

  void broadcast_message(connection& c, const uint8_t* data, size_t n, uint64_t now) {
    std::string_view body{reinterpret_cast<const char*>(data), n};
    auto sp = body.find(' ');
    if (sp == std::string_view::npos) return mismatch(c, "broadcast body without a timestamp");
    uint64_t stamp = std::strtoull(std::string{body.substr(0, sp)}.c_str(), nullptr, 10);
    auto rest = body.substr(sp + 1);
    if (rest == "sync") {
      c.synced = true;
      return;
    }
    long long round = std::atoll(std::string{rest.substr(0, rest.find(' '))}.c_str());
    if (round < 0 || static_cast<size_t>(round) >= bodies_.size() || body != bodies_[round])
      return mismatch(c, "broadcast body differs from the one posted");
    if (round != c.last_round + 1) return mismatch(c, "broadcast missed or out of order");
    c.last_round = round;
    delivery_.record(now - stamp);
    if (c.rx_ns > stamp) {
      wire_.record(c.rx_ns - stamp);
      round_last_rx_[round] = std::max(round_last_rx_[round], c.rx_ns);
    }
    if (++round_received_[round] == sessions_) {
      round_.record(now - stamp);
      if (round_last_rx_[round] > stamp) round_wire_.record(round_last_rx_[round] - stamp);
    }
  }

  int run_broadcast() {
    for (size_t i = 0; i < opt_.conns; ++i) add(kind::websocket);
    open_all(0);
    if (!check_opened(opt_.conns)) return 1;
    sessions_ = open_;
    auto& control = add(kind::http);
    control.control = true;
    control.pending.resize(4);
    open_all(conns_.size() - 1);
    if (control.st != state::open) return 1;
    auto sessions_synced = [this] {
      size_t n = 0;
      for (auto& c : conns_)
        if (!c->control && c->synced) ++n;
      return n;
    };
    // Joining the group may lag the 101: post "sync" until every session has seen one (bounded).
    auto until = now_ns() + static_cast<uint64_t>(opt_.sync_timeout * 1e9);
    while (!interrupted && sessions_synced() < sessions_ && now_ns() < until) {
      if (control.pending.size() == 0) post_broadcast(control, stamped_body(-1));
      run_for(0.1);
    }
    if (sessions_synced() < sessions_) {
      std::fprintf(stderr, "only %zu of %zu sessions received a broadcast within %.0f s\n",
                   sessions_synced(), sessions_, opt_.sync_timeout);
      close_all();
      return 1;
    }
    // Let stray sync messages arrive before the measured rounds.
    while (control.pending.size() > 0 && !interrupted) poll(10);
    run_for(0.1);
    auto w = window_start();
    round_received_.assign(opt_.rounds, 0);
    round_last_rx_.assign(opt_.rounds, 0);
    for (size_t r = 0; r < opt_.rounds && !interrupted && control.st == state::open; ++r) {
      auto round_start = now_ns();
      bodies_.push_back(stamped_body(static_cast<long long>(r)));
      // Re-stamp right before the write: bodies_ holds exactly what is sent.
      auto& body = bodies_.back();
      auto stamp = std::to_string(now_ns());
      body.replace(0, body.find(' '), stamp);
      post_broadcast(control, body);
      auto deadline = round_start + 5'000'000'000ull;
      while (!interrupted && round_received_[r] < sessions_ && now_ns() < deadline) poll(10);
      if (round_received_[r] < sessions_) {
        std::fprintf(stderr, "round %zu: %zu of %zu sessions got the broadcast within 5 s\n", r,
                     round_received_[r], sessions_);
        ++mismatches_;
      }
      auto next = round_start + static_cast<uint64_t>(opt_.interval_ms * 1e6);
      while (!interrupted && now_ns() < next) poll(1);
    }
    double secs = static_cast<double>(now_ns() - w.t0) / 1e9;
    double client = bench::own_cpu_seconds() - w.client_cpu;
    auto note =
        std::to_string(sessions_) + " sessions x " + std::to_string(bodies_.size()) + " rounds";
    auto us = [](const bench::histogram& h, double q) {
      return static_cast<double>(h.percentile(q)) / 1e3;
    };
    // "wire": the kernel's receive time of the frame (the server's bytes reached the socket);
    // "read": when this one client thread got to it, which includes its own queueing.
    if (wire_.count() > 0) {
      bench::result("wire_p50_us", us(wire_, 0.5), "us", note + ", POST written to frame received");
      bench::result("wire_p99_us", us(wire_, 0.99), "us");
      bench::result("all_on_wire_p50_ms", us(round_wire_, 0.5) / 1e3, "ms",
                    "POST written to the last session's frame received");
      bench::result("all_on_wire_p99_ms", us(round_wire_, 0.99) / 1e3, "ms");
    }
    bench::result("read_p50_us", us(delivery_, 0.5), "us", note + ", POST written to frame read");
    bench::result("read_p99_us", us(delivery_, 0.99), "us");
    bench::result("all_read_p50_ms", us(round_, 0.5) / 1e3, "ms",
                  "POST written to the last session's frame read");
    bench::result("all_read_p99_ms", us(round_, 0.99) / 1e3, "ms");
    bench::result("client_cpu_pct", 100.0 * client / secs, "%");
    std::fprintf(stderr, "%zu sessions x %zu rounds: ", sessions_, bodies_.size());
    // No kernel receive times over TLS (the frame is only known once decrypted).
    if (wire_.count() > 0)
      std::fprintf(stderr, "received p50 %.1f us p99 %.1f us (all: p50 %.2f ms), ", us(wire_, 0.5),
                   us(wire_, 0.99), us(round_wire_, 0.5) / 1e3);
    std::fprintf(stderr, "read p50 %.1f us p99 %.1f us (all: p50 %.2f ms)\n", us(delivery_, 0.5),
                 us(delivery_, 0.99), us(round_, 0.5) / 1e3);
    if (opt_.server_pid && w.server_cpu >= 0) {
      double server = bench::process_cpu_seconds(opt_.server_pid) - w.server_cpu;
      bench::result("server_cpu_pct", 100.0 * server / secs, "%");
    }
    close_all();
    return exit_status();
  }

  options opt_;
  rng rand_{};
  int epoll_fd_ = -1;
  std::unique_ptr<bench::tls::context> tls_;  // --tls
  sockaddr_in server_{};
  std::vector<std::unique_ptr<connection>> conns_;
  size_t connecting_ = 0;
  size_t open_ = 0;
  size_t failures_ = 0;
  size_t mismatches_ = 0;
  bool deflate_accepted_ = false;
  bool sending_ = false;
  bool measuring_ = false;
  uint64_t window_count_ = 0;
  uint64_t requests_sent_ = 0;
  uint64_t sent_ = 0;
  uint64_t reconnects_ = 0;
  uint64_t responses_ = 0;
  bench::histogram rtt_;
  bench::histogram delivery_;
  bench::histogram round_;
  size_t sessions_ = 0;
  std::vector<std::string> bodies_;
  std::vector<size_t> round_received_;
  std::vector<uint64_t> round_last_rx_;
  bench::histogram wire_;
  bench::histogram round_wire_;
  std::vector<uint8_t> scratch_;
  std::vector<uint8_t> expected_;
  std::string compressed_;
  std::string inflated_;
};

}  // namespace

int main(int argc, char** argv) {
  bench::args a{argc, argv};
  if (a.flag("--help") || argc < 2) {
    std::fprintf(
        stderr,
        "usage: bench-wsload --mode echo|idle|idle-http|broadcast|http --port P\n"
        "  [--host 127.0.0.1] [--path P] [--conns N] [--inflight K] [--size S]\n"
        "  [--seconds D] [--warmup W] [--hold H] [--deflate] [--binary] [--server-pid PID]\n"
        "  [--payload random|words] (words is the default with --deflate)\n"
        "  [--rounds R] [--interval-ms I] [--sync-timeout 10] [--requests N]\n"
        "  [--messages N] [--per-source 14000]\n"
        "  [--open-batch 256] [--open-timeout 60] [--tls]\n");
    return 2;
  }
  options o;
  o.mode = a.get("--mode", o.mode);
  o.host = a.get("--host", o.host);
  o.port = static_cast<int>(a.num("--port", o.port));
  o.path = a.get("--path", o.path);
  o.conns = a.num("--conns", static_cast<long long>(o.conns));
  o.inflight = a.num("--inflight", static_cast<long long>(o.inflight));
  o.size = a.num("--size", static_cast<long long>(o.size));
  o.seconds = a.real("--seconds", o.seconds);
  o.warmup = a.real("--warmup", o.warmup);
  o.hold = a.real("--hold", o.hold);
  o.deflate = a.flag("--deflate");
  o.binary = a.flag("--binary");
  // Compressible text by default with --deflate, random characters otherwise.
  o.words = a.get("--payload", o.deflate ? "words" : "random") == "words";
  o.server_pid = static_cast<pid_t>(a.num("--server-pid", 0));
  o.per_source = a.num("--per-source", static_cast<long long>(o.per_source));
  o.open_batch = a.num("--open-batch", static_cast<long long>(o.open_batch));
  o.open_timeout = a.real("--open-timeout", o.open_timeout);
  o.rounds = a.num("--rounds", static_cast<long long>(o.rounds));
  o.interval_ms = a.real("--interval-ms", o.interval_ms);
  o.requests = a.num("--requests", 0);
  o.messages = a.num("--messages", 0);
  o.sync_timeout = a.real("--sync-timeout", o.sync_timeout);
  o.tls = a.flag("--tls");
  if (o.conns == 0 || o.inflight == 0 || o.per_source == 0) {
    std::fprintf(stderr, "--conns, --inflight and --per-source must be positive\n");
    return 2;
  }

  rlimit lim{};
  getrlimit(RLIMIT_NOFILE, &lim);
  lim.rlim_cur = lim.rlim_max;
  setrlimit(RLIMIT_NOFILE, &lim);
  if (o.conns + 16 > lim.rlim_cur) {
    std::fprintf(stderr, "%zu connections need more file descriptors than the limit (%llu)\n",
                 o.conns, static_cast<unsigned long long>(lim.rlim_cur));
    return 2;
  }
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  std::signal(SIGPIPE, SIG_IGN);
  load l{o};
  return l.run();
}
