// A plain single-threaded epoll HTTP/1.1 + WebSocket server with no actors: the stand-in target
// that proves bench-wsload before rodeo-demo speaks WebSocket, and the "no actors" ceiling on this
// machine. It serves the demo's benchmark surface:
//   GET <any path>              200 "Hello world!" (keep-alive)
//   GET /echo, GET /ws          WebSocket upgrade (permessage-deflate accepted); echoes every
//                               message; /ws sessions are members of the broadcast group
//   POST /broadcast             sends the request body as a text message to every /ws session and
//                               answers with the number of sessions
// Binds 127.0.0.1 only; prints "listening <port>" once ready; SIGINT/SIGTERM end it cleanly.
//
//   bench-ws_echo_server [--port 0]
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "bench_common.hpp"
#include "ws_wire.hpp"

namespace {

constexpr size_t max_message = 16 * 1024 * 1024;
volatile std::sig_atomic_t stop_requested = 0;

void on_signal(int) {
  stop_requested = 1;
}

struct conn {
  int fd = -1;
  bool websocket = false;
  bool in_group = false;
  bool closing = false;  // close after the pending output is written
  bool dead = false;
  std::string in;
  size_t in_off = 0;
  std::string out;
  std::unique_ptr<bench::ws::deflater> pmd;
  std::string fragments;
  uint8_t fragment_op = 0;
  bool fragment_compressed = false;
  bool in_fragment = false;
};

class server {
 public:
  explicit server(int port) {
    listen_fd_ = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int one = 1;
    setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        listen(listen_fd_, SOMAXCONN) != 0) {
      std::perror("bind/listen");
      std::exit(1);
    }
    socklen_t len = sizeof addr;
    getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.ptr = nullptr;
    epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, listen_fd_, &ev);
  }

  int port() const { return port_; }

  void run() {
    std::vector<epoll_event> events(1024);
    while (!stop_requested) {
      int n = epoll_wait(epoll_fd_, events.data(), static_cast<int>(events.size()), 500);
      if (n < 0 && errno != EINTR) break;
      for (int i = 0; i < n; ++i) {
        auto* c = static_cast<conn*>(events[i].data.ptr);
        if (!c) {
          accept_all();
          continue;
        }
        if (c->dead) continue;
        if (events[i].events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))
          on_readable(*c, events[i].events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR));
        if (!c->dead) flush(*c);
      }
      // Freed after the batch: a later event of the same batch may still point at a closed conn.
      graveyard_.clear();
    }
    for (auto& [c, owned] : all_) close(c->fd);
  }

 private:
  void accept_all() {
    for (;;) {
      int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0) return;
      int one = 1;
      setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      auto owned = std::make_unique<conn>();
      auto* c = owned.get();
      c->fd = fd;
      all_.emplace(c, std::move(owned));
      epoll_event ev{};
      ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
      ev.data.ptr = c;
      epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev);
    }
  }

  void kill(conn& c) {
    if (c.dead) return;
    c.dead = true;
    epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, c.fd, nullptr);
    close(c.fd);
    group_.erase(&c);
    auto it = all_.find(&c);
    graveyard_.push_back(std::move(it->second));
    all_.erase(it);
  }

  /// A short read means the socket is drained (epoll(7)); after a hang-up it reads to the end.
  void on_readable(conn& c, bool hangup) {
    char buf[65536];
    bool eof = false;
    for (;;) {
      ssize_t n = read(c.fd, buf, sizeof buf);
      if (n > 0) {
        c.in.append(buf, static_cast<size_t>(n));
        if (static_cast<size_t>(n) < sizeof buf && !hangup) break;
        continue;
      }
      if (n == 0)
        eof = true;
      else if (errno == EINTR)
        continue;
      else if (errno != EAGAIN)
        eof = true;
      break;
    }
    while (!c.dead && !c.closing) {
      size_t before = c.in_off;
      if (c.websocket)
        handle_frames(c);
      else
        handle_request(c);
      if (c.in_off == before) break;
    }
    if (c.in_off > 0) {
      c.in.erase(0, c.in_off);
      c.in_off = 0;
    }
    if (eof) kill(c);
  }

  void handle_request(conn& c) {
    std::string_view data{c.in.data() + c.in_off, c.in.size() - c.in_off};
    auto end = data.find("\r\n\r\n");
    if (end == std::string_view::npos) return;
    auto head = data.substr(0, end + 2);
    size_t body_len = 0;
    if (auto cl = bench::ws::find_header(head, "content-length"))
      body_len = std::stoul(std::string{*cl});
    if (data.size() < end + 4 + body_len) return;
    auto body = data.substr(end + 4, body_len);
    auto line_end = head.find("\r\n");
    auto line = head.substr(0, line_end);
    auto sp1 = line.find(' ');
    auto sp2 = line.find(' ', sp1 + 1);
    auto method = line.substr(0, sp1);
    auto path = line.substr(sp1 + 1, sp2 - sp1 - 1);
    auto upgrade = bench::ws::find_header(head, "upgrade");
    auto key = bench::ws::find_header(head, "sec-websocket-key");
    bool close_after = false;
    if (auto conn_hdr = bench::ws::find_header(head, "connection"))
      close_after = bench::ws::contains_token(*conn_hdr, "close");

    if (method == "GET" && (path == "/echo" || path == "/ws") && upgrade && key &&
        bench::ws::contains_token(*upgrade, "websocket")) {
      std::string reply =
          "HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\nconnection: Upgrade\r\n"
          "sec-websocket-accept: " +
          bench::ws::accept_key(*key) + "\r\n";
      if (auto ext = bench::ws::find_header(head, "sec-websocket-extensions")) {
        if (auto offer = bench::ws::parse_deflate(*ext)) {
          // The client's window is what it offered (15 when it named none); ours stays 15.
          c.pmd = std::make_unique<bench::ws::deflater>(15, offer->client_max_window_bits, false,
                                                        offer->client_no_context_takeover);
          reply += "sec-websocket-extensions: permessage-deflate\r\n";
        }
      }
      reply += "\r\n";
      c.out += reply;
      c.websocket = true;
      if (path == "/ws") {
        c.in_group = true;
        group_.insert(&c);
      }
    } else if (method == "POST" && path == "/broadcast") {
      std::string frame = make_frame(bench::ws::op_text, body.data(), body.size());
      // A failed write removes its member from group_: iterate over a copy.
      std::vector<conn*> members(group_.begin(), group_.end());
      for (auto* member : members) {
        if (member->pmd) {
          member->out += compressed_frame(*member, bench::ws::op_text, body.data(), body.size());
        } else {
          member->out += frame;
        }
        flush(*member);
      }
      auto text = std::to_string(members.size());
      c.out += "HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: " +
               std::to_string(text.size()) + "\r\n\r\n" + text;
    } else {
      static const std::string hello =
          "HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: 12\r\n\r\nHello world!";
      c.out += hello;
    }
    c.in_off += end + 4 + body_len;
    if (close_after) c.closing = true;
  }

  static std::string make_frame(uint8_t op, const char* data, size_t n, bool rsv1 = false) {
    uint8_t head[14];
    size_t h = bench::ws::write_header(head, true, rsv1, op, n, nullptr);
    std::string frame(reinterpret_cast<char*>(head), h);
    frame.append(data, n);
    return frame;
  }

  std::string compressed_frame(conn& c, uint8_t op, const char* data, size_t n) {
    c.pmd->compress(reinterpret_cast<const uint8_t*>(data), n, scratch_);
    return make_frame(op, scratch_.data(), scratch_.size(), true);
  }

  void protocol_error(conn& c, uint16_t code) {
    char payload[2] = {static_cast<char>(code >> 8), static_cast<char>(code & 0xFF)};
    c.out += make_frame(bench::ws::op_close, payload, 2);
    c.closing = true;
  }

  void handle_frames(conn& c) {
    auto* p = reinterpret_cast<uint8_t*>(c.in.data()) + c.in_off;
    size_t avail = c.in.size() - c.in_off;
    bench::ws::header h;
    int rc = bench::ws::parse_header(p, avail, h);
    if (rc == 0) return;
    if (rc < 0 || !h.masked || h.rsv23 || (h.rsv1 && !c.pmd) || h.len > max_message) {
      protocol_error(c, 1002);
      return;
    }
    if (avail < h.size + h.len) return;
    uint8_t* payload = p + h.size;
    bench::ws::apply_mask(payload, h.len, h.mask);
    c.in_off += h.size + h.len;
    auto* text = reinterpret_cast<const char*>(payload);
    switch (h.op) {
      case bench::ws::op_ping:
        c.out += make_frame(bench::ws::op_pong, text, h.len);
        return;
      case bench::ws::op_pong:
        return;
      case bench::ws::op_close:
        c.out += make_frame(bench::ws::op_close, text, std::min<uint64_t>(h.len, 2));
        c.closing = true;
        return;
      case bench::ws::op_text:
      case bench::ws::op_binary:
        if (c.in_fragment) return protocol_error(c, 1002);
        if (!h.fin) {
          c.in_fragment = true;
          c.fragment_op = h.op;
          c.fragment_compressed = h.rsv1;
          c.fragments.assign(text, h.len);
          return;
        }
        return echo(c, h.op, h.rsv1, text, h.len);
      case bench::ws::op_continuation:
        if (!c.in_fragment) return protocol_error(c, 1002);
        c.fragments.append(text, h.len);
        if (c.fragments.size() > max_message) return protocol_error(c, 1009);
        if (h.fin) {
          c.in_fragment = false;
          std::string whole;
          whole.swap(c.fragments);
          echo(c, c.fragment_op, c.fragment_compressed, whole.data(), whole.size());
        }
        return;
      default:
        return protocol_error(c, 1002);
    }
  }

  void echo(conn& c, uint8_t op, bool compressed, const char* data, size_t n) {
    if (compressed) {
      std::string plain;
      if (!c.pmd->decompress(reinterpret_cast<const uint8_t*>(data), n, plain, max_message))
        return protocol_error(c, 1007);
      c.out += compressed_frame(c, op, plain.data(), plain.size());
    } else if (c.pmd) {
      c.out += compressed_frame(c, op, data, n);
    } else {
      uint8_t head[14];
      size_t h = bench::ws::write_header(head, true, false, op, n, nullptr);
      c.out.append(reinterpret_cast<char*>(head), h);
      c.out.append(data, n);
    }
  }

  void flush(conn& c) {
    size_t off = 0;
    while (off < c.out.size()) {
      ssize_t n = write(c.fd, c.out.data() + off, c.out.size() - off);
      if (n > 0) {
        off += static_cast<size_t>(n);
      } else if (n < 0 && errno == EINTR) {
        continue;
      } else if (n < 0 && errno == EAGAIN) {
        break;  // EPOLLOUT (edge-triggered) calls flush again
      } else {
        c.out.clear();
        kill(c);
        return;
      }
    }
    c.out.erase(0, off);
    if (c.out.empty() && c.closing) kill(c);
  }

  int listen_fd_ = -1;
  int epoll_fd_ = -1;
  int port_ = 0;
  std::unordered_map<conn*, std::unique_ptr<conn>> all_;
  std::unordered_set<conn*> group_;
  std::vector<std::unique_ptr<conn>> graveyard_;
  std::string scratch_;
};

}  // namespace

int main(int argc, char** argv) {
  bench::args opts{argc, argv};
  rlimit lim{};
  getrlimit(RLIMIT_NOFILE, &lim);
  lim.rlim_cur = lim.rlim_max;
  setrlimit(RLIMIT_NOFILE, &lim);
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  std::signal(SIGPIPE, SIG_IGN);
  server s{static_cast<int>(opts.num("--port", 0))};
  std::printf("listening %d\n", s.port());
  std::fflush(stdout);
  s.run();
  return 0;
}
