#include "rodeo/tls_transport.hpp"

#include <openssl/bio.h>

#include <cerrno>

#include "rodeo/log.hpp"
#include "rodeo/tls_engine.hpp"

namespace rodeo {

void tls_stats::handshake_failed(const std::string& cause) {
  bool first;
  {
    std::lock_guard<std::mutex> guard{mutex_};
    first = failures_[cause]++ == 0;
  }
  if (first)
    log::warning("listener ", listener_, ": TLS handshake failed: ", cause,
                 " (logged once per cause; see tls_stats)");
}

uint64_t tls_stats::failures() const {
  std::lock_guard<std::mutex> guard{mutex_};
  uint64_t n = 0;
  for (auto& [cause, count] : failures_) n += count;
  return n;
}

std::map<std::string, uint64_t> tls_stats::failures_by_cause() const {
  std::lock_guard<std::mutex> guard{mutex_};
  return failures_;
}

namespace {

// A BIO over a transport: OpenSSL reads and writes the TCP transport, whose would_block becomes
// a retry (and whose blocked write has already asked the reactor for `writable`).
int bio_write(BIO* b, const char* data, int len) {
  auto* t = static_cast<transport*>(BIO_get_data(b));
  BIO_clear_retry_flags(b);
  iovec iov{const_cast<char*>(data), static_cast<size_t>(len)};
  auto r = t->write({&iov, 1});
  if (r.what == io_status::ok) return static_cast<int>(r.bytes);
  if (r.what == io_status::would_block) {
    BIO_set_retry_write(b);
    return -1;
  }
  errno = r.error ? r.error : EPIPE;
  return -1;
}

int bio_read(BIO* b, char* data, int len) {
  auto* t = static_cast<transport*>(BIO_get_data(b));
  BIO_clear_retry_flags(b);
  auto r = t->read({data, static_cast<size_t>(len)});
  switch (r.what) {
    case io_status::ok:
      return static_cast<int>(r.bytes);
    case io_status::would_block:
      BIO_set_retry_read(b);
      return -1;
    case io_status::closed:
      errno = 0;
      return 0;
    case io_status::error:
      errno = r.error;
      return -1;
  }
  return -1;
}

long bio_ctrl(BIO*, int cmd, long, void*) {
  return cmd == BIO_CTRL_FLUSH ? 1 : 0;
}

BIO_METHOD* transport_bio_method() {
  static BIO_METHOD* method = [] {
    BIO_METHOD* m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "rodeo transport");
    BIO_meth_set_write(m, bio_write);
    BIO_meth_set_read(m, bio_read);
    BIO_meth_set_ctrl(m, bio_ctrl);
    BIO_meth_set_create(m, [](BIO* b) {
      BIO_set_init(b, 1);
      return 1;
    });
    return m;
  }();
  return method;
}

class tls_transport final : public transport {
 public:
  tls_transport(std::unique_ptr<transport> tcp, std::shared_ptr<const tls_context> context,
                std::shared_ptr<tls_stats> stats)
      : tcp_(std::move(tcp)), stats_(std::move(stats)) {
    BIO* bio = BIO_new(transport_bio_method());
    if (!bio) throw tls_error("BIO_new: out of memory");
    BIO_set_data(bio, tcp_.get());
    engine_ = std::make_unique<tls_engine>(std::move(context), bio);
  }
  ~tls_transport() override { close(); }

  // Fills `buf` as far as the socket allows: OpenSSL returns one record (16 KB at most) per
  // call, and callers take a short read to mean the socket is drained (it is, then).
  io_result read(std::span<char> buf) override {
    if (auto r = handshake(); r.what != io_status::ok) return r;
    size_t total = 0;
    while (total < buf.size()) {
      auto r = engine_->read(buf.data() + total, buf.size() - total);
      if (r.status == tls_status::done) {
        total += r.bytes;
        continue;
      }
      if (total > 0) break;  // what stopped us is reported by the next call
      switch (r.status) {
        case tls_status::want_read:
        case tls_status::want_write:
          return {io_status::would_block};
        case tls_status::closed:
          return {io_status::closed};
        default:
          return {io_status::error, 0, EPROTO};
      }
    }
    return {io_status::ok, total};
  }

  io_result write(std::span<const iovec> bufs) override {
    if (auto r = handshake(); r.what != io_status::ok) return r;
    size_t total = 0;
    for (const auto& iov : bufs) {
      size_t at = 0;
      while (at < iov.iov_len) {
        auto r = engine_->write(static_cast<const char*>(iov.iov_base) + at, iov.iov_len - at);
        if (r.status == tls_status::done) {
          at += r.bytes;
          total += r.bytes;
          continue;
        }
        if (total > 0) return {io_status::ok, total};
        if (r.status == tls_status::want_read || r.status == tls_status::want_write)
          return {io_status::would_block};
        return {io_status::error, 0, EPIPE};
      }
    }
    return {io_status::ok, total};
  }

  void shutdown_write() override {
    close_notify();
    tcp_->shutdown_write();
  }

  void close() override {
    if (!tcp_->is_open()) return;
    close_notify();
    tcp_->close();
  }

  // A cut, not an end: no close_notify, so the peer cannot take the stream for complete.
  void abort() override {
    notified_ = true;
    tcp_->abort();
  }

  bool is_open() const noexcept override { return tcp_->is_open(); }
  void rearm_read() noexcept override { tcp_->rearm_read(); }
  bool hangup() const noexcept override { return tcp_->hangup(); }
  const address& peer() const noexcept override { return tcp_->peer(); }
  const address& sock() const noexcept override { return tcp_->sock(); }
  bool secure() const noexcept override { return true; }
  const std::string& peer_certificate() const noexcept override { return peer_cert_; }
  std::string_view alpn() const noexcept override {
    return engine_->handshake_done() ? engine_->alpn() : std::string_view{};
  }

 private:
  // ok once the handshake is done; otherwise what the caller sees meanwhile.
  io_result handshake() {
    if (engine_->handshake_done()) return {io_status::ok};
    if (failed_) return {io_status::error, 0, EPROTO};
    switch (engine_->handshake()) {
      case tls_status::done:
        stats_->handshake_done();
        peer_cert_ = engine_->peer_certificate();
        return {io_status::ok};
      case tls_status::want_read:
      case tls_status::want_write:
        return {io_status::would_block};
      default:
        failed_ = true;
        stats_->handshake_failed(engine_->error());
        return {io_status::error, 0, EPROTO};
    }
  }

  // One close_notify, without waiting for the peer's, when there is a session to close.
  void close_notify() {
    if (notified_ || !engine_->handshake_done() || !tcp_->is_open()) return;
    notified_ = true;
    engine_->shutdown();
  }

  std::unique_ptr<transport> tcp_;
  std::shared_ptr<tls_stats> stats_;
  std::unique_ptr<tls_engine> engine_;
  std::string peer_cert_;  // DER, read once after the handshake
  bool failed_ = false;
  bool notified_ = false;
};

}  // namespace

std::unique_ptr<transport> make_tls_transport(std::unique_ptr<transport> tcp,
                                              std::shared_ptr<const tls_context> context,
                                              std::shared_ptr<tls_stats> stats) {
  if (!tcp) return nullptr;
  return std::make_unique<tls_transport>(std::move(tcp), std::move(context), std::move(stats));
}

}  // namespace rodeo
