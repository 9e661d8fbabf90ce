#pragma once
// A connection's byte stream as the protocols above it see it (CAF-net's octet_stream lower layer,
// Ranch's transport module): read, gathering write, half close, close, readiness, addresses.
// HTTP/1.1 and the WebSocket session use only this interface, so none of them knows whether the
// bytes travel over plain TCP (make_tcp_transport) or TLS (another implementation of it).
//
//   auto t = rodeo::make_tcp_transport(fd, reactor, self);   // self gets readable / writable
//   // on readable_atom:
//   t->rearm_read();
//   for (;;) {
//     auto r = t->read(rodeo::read_scratch());
//     if (r.what != rodeo::io_status::ok) break;            // would_block, closed or error
//     consume(r.bytes);
//   }
//   auto w = t->write(iov);                // partial writes are normal; would_block: wait for
//                                          // writable_atom (already asked for)
//
// Readiness is the reactor's (one `readable` per rearm_read(), one `writable` per blocked
// write); the transport sits on top of it and owns the descriptor's registration.
#include <sys/uio.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include <caf/actor.hpp>

#include "rodeo/http_message.hpp"
#include "rodeo/reactor.hpp"

namespace rodeo {

enum class io_status : std::uint8_t {
  ok,           // `bytes` moved (> 0)
  would_block,  // nothing to read / the kernel takes nothing now; a readiness message follows
  closed,       // the peer ended its stream (read returned 0)
  error,        // the connection failed (reset, broken pipe...); `error` holds errno
};

struct io_result {
  io_status what = io_status::ok;
  std::size_t bytes = 0;
  int error = 0;
};

class transport {
 public:
  virtual ~transport() = default;

  /// Reads at most buf.size() bytes.
  virtual io_result read(std::span<char> buf) = 0;
  /// Writes from `bufs` in order, as much as the kernel takes now; `bytes` says how much (a
  /// partial write is normal). would_block: nothing was taken, `writable` was asked for.
  virtual io_result write(std::span<const iovec> bufs) = 0;
  /// Writes up to `count` bytes of file `fd` from `offset`, as write() does. The default reads a
  /// bounded piece (64 KiB) and writes it, for transports that must see the bytes (TLS); plain
  /// TCP sends from the page cache with sendfile(2).
  virtual io_result send_file(int fd, std::uint64_t offset, std::size_t count);
  /// Ends our side of the stream (TCP FIN); reading goes on.
  virtual void shutdown_write() = 0;
  /// Deregisters and closes; idempotent. No readiness message arrives for it afterwards.
  virtual void close() = 0;
  /// Closes with a reset (TCP RST): for output that can never be finished, so the peer sees the
  /// connection cut rather than a byte stream that merely ends (mid-frame, mid-body).
  virtual void abort() = 0;
  virtual bool is_open() const noexcept = 0;

  /// Allows the next `readable`: call before reading, so data arriving meanwhile is signalled.
  virtual void rearm_read() noexcept = 0;
  /// True once the peer hung up or the connection failed: a short read is then not the end of
  /// the input (read on until closed or error).
  virtual bool hangup() const noexcept = 0;

  virtual const address& peer() const noexcept = 0;
  virtual const address& sock() const noexcept = 0;
  /// Whether the bytes are encrypted (the request's scheme is then "https").
  virtual bool secure() const noexcept = 0;
  /// The client's TLS certificate (DER) once the handshake is done; "" without one or without TLS.
  virtual const std::string& peer_certificate() const noexcept {
    static const std::string none;
    return none;
  }
  /// The protocol ALPN chose ("h2", "http/1.1") once the handshake is done; "" without one.
  virtual std::string_view alpn() const noexcept { return {}; }
};

/// Plain TCP on a connected non-blocking socket: registers `fd` with `r` for `owner` (which
/// receives readable_atom / writable_atom). nullptr when the reactor refuses it (`fd` is closed).
std::unique_ptr<transport> make_tcp_transport(int fd, std::shared_ptr<rodeo::reactor> r,
                                              caf::actor owner);

/// The per-thread buffer reads land in first (64 KiB), so an idle connection holds none.
std::span<char> read_scratch() noexcept;

}  // namespace rodeo
