// Plain TCP: the transport on a non-blocking socket registered with the reactor.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>

#include "rodeo/reactor.hpp"
#include "rodeo/transport.hpp"

namespace rodeo {
namespace {

address to_address(const sockaddr_storage& ss) {
  address a;
  char buf[64] = {};
  if (ss.ss_family == AF_INET) {
    auto& in = reinterpret_cast<const sockaddr_in&>(ss);
    inet_ntop(AF_INET, &in.sin_addr, buf, sizeof buf);
    a.port = ntohs(in.sin_port);
  } else if (ss.ss_family == AF_INET6) {
    auto& in6 = reinterpret_cast<const sockaddr_in6&>(ss);
    inet_ntop(AF_INET6, &in6.sin6_addr, buf, sizeof buf);
    a.port = ntohs(in6.sin6_port);
  }
  a.ip = buf;
  return a;
}

// sendfile(2) has no MSG_NOSIGNAL: SIGPIPE is blocked in this thread around it, and the one a
// reset connection raised is consumed, so the failure is an EPIPE as with sendmsg.
ssize_t sendfile_to(int sock, int file, off_t* off, std::size_t count) {
  sigset_t pipe, old;
  sigemptyset(&pipe);
  sigaddset(&pipe, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &pipe, &old);
  auto w = ::sendfile(sock, file, off, count);
  int e = errno;
  sigset_t pending;
  // A reset during a partial send raises SIGPIPE too, with no EPIPE yet: look, not only on EPIPE.
  if (!sigismember(&old, SIGPIPE) && sigpending(&pending) == 0 && sigismember(&pending, SIGPIPE)) {
    timespec zero{0, 0};
    sigtimedwait(&pipe, nullptr, &zero);
  }
  errno = e;
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  return w;
}

class tcp_transport final : public transport {
 public:
  tcp_transport(int fd, io_handle* io, std::shared_ptr<rodeo::reactor> r)
      : fd_(fd), io_(io), reactor_(std::move(r)) {
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    if (getpeername(fd, reinterpret_cast<sockaddr*>(&ss), &len) == 0) peer_ = to_address(ss);
    len = sizeof ss;
    if (getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) == 0) sock_ = to_address(ss);
  }
  ~tcp_transport() override { close(); }

  io_result read(std::span<char> buf) override {
    for (;;) {
      auto n = ::read(fd_, buf.data(), buf.size());
      if (n > 0) return {io_status::ok, static_cast<std::size_t>(n)};
      if (n == 0) return {io_status::closed};
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return {io_status::would_block};
      return {io_status::error, 0, errno};
    }
  }

  io_result write(std::span<const iovec> bufs) override {
    // sendmsg rather than writev: MSG_NOSIGNAL turns a write to a reset connection into EPIPE
    // instead of a process-killing SIGPIPE.
    msghdr msg{};
    msg.msg_iov = const_cast<iovec*>(bufs.data());
    msg.msg_iovlen = bufs.size();
    bool asked = false;
    for (;;) {
      auto w = ::sendmsg(fd_, &msg, MSG_NOSIGNAL);
      if (w >= 0) return {io_status::ok, static_cast<std::size_t>(w)};
      if (errno == EINTR) continue;
      if ((errno == EAGAIN || errno == EWOULDBLOCK) && !io_->hangup()) {
        if (asked) return {io_status::would_block};
        // Ask for `writable`, then try once more: the socket may have drained before the flag
        // was set, and that edge would be lost.
        io_->want_write();
        asked = true;
        continue;
      }
      return {io_status::error, 0, errno};
    }
  }

  io_result send_file(int file, std::uint64_t offset, std::size_t count) override {
    bool asked = false;
    for (;;) {
      auto off = static_cast<off_t>(offset);
      auto w = sendfile_to(fd_, file, &off, count);
      if (w > 0) return {io_status::ok, static_cast<std::size_t>(w)};
      if (w == 0) return {io_status::error, 0, EIO};  // the file is shorter than announced
      if (errno == EINTR) continue;
      if ((errno == EAGAIN || errno == EWOULDBLOCK) && !io_->hangup()) {
        if (asked) return {io_status::would_block};
        io_->want_write();  // then once more, as in write()
        asked = true;
        continue;
      }
      return {io_status::error, 0, errno};
    }
  }

  void shutdown_write() override {
    if (fd_ >= 0) ::shutdown(fd_, SHUT_WR);
  }

  void close() override {
    if (fd_ < 0) return;
    reactor_->remove(io_);
    ::close(fd_);
    fd_ = -1;
    io_ = nullptr;
  }

  void abort() override {
    if (fd_ < 0) return;
    linger reset{1, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_LINGER, &reset, sizeof reset);
    close();
  }

  bool is_open() const noexcept override { return fd_ >= 0; }
  void rearm_read() noexcept override { io_->rearm_read(); }
  bool hangup() const noexcept override { return io_->hangup(); }
  const address& peer() const noexcept override { return peer_; }
  const address& sock() const noexcept override { return sock_; }
  bool secure() const noexcept override { return false; }

 private:
  int fd_;
  io_handle* io_;
  std::shared_ptr<rodeo::reactor> reactor_;
  address peer_;
  address sock_;
};

}  // namespace

std::unique_ptr<transport> make_tcp_transport(int fd, std::shared_ptr<rodeo::reactor> r,
                                              caf::actor owner) {
  auto* io = r->add(fd, std::move(owner));
  if (!io) {
    ::close(fd);
    return nullptr;
  }
  return std::make_unique<tcp_transport>(fd, io, std::move(r));
}

io_result transport::send_file(int fd, std::uint64_t offset, std::size_t count) {
  auto buf = read_scratch();
  for (;;) {
    auto n = ::pread(fd, buf.data(), std::min(count, buf.size()), static_cast<off_t>(offset));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return {io_status::error, 0, errno};
    if (n == 0) return {io_status::error, 0, EIO};  // the file is shorter than announced
    iovec iov{buf.data(), static_cast<std::size_t>(n)};
    return write({&iov, 1});
  }
}

std::span<char> read_scratch() noexcept {
  thread_local std::array<char, 64 * 1024> scratch;
  return scratch;
}

}  // namespace rodeo
