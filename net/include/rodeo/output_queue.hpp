#pragma once
// Bytes waiting to be written to a transport, in order: owned strings, shared buffers (a
// broadcast frame written by many connections), a small inline prefix before either (a
// WebSocket frame header) and file ranges (static files: transport::send_file), so nothing is
// copied to be written. flush() writes with one gathering
// write per round and keeps what the kernel did not take. Shared by every protocol.
#include <sys/uio.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "rodeo/transport.hpp"

namespace rodeo {

class output_queue {
 public:
  /// Output above this stops a connection from reading (its client does not read what it is
  /// sent); reading and acks of streamed data resume below the low mark.
  static constexpr std::size_t high_watermark = 256 * 1024;
  static constexpr std::size_t low_watermark = 64 * 1024;
  /// The longest inline prefix (a WebSocket frame header is at most 14 bytes).
  static constexpr std::size_t max_prefix = 14;

  void push(std::string bytes) { push({}, std::move(bytes)); }
  void push(std::string_view prefix, std::string payload);
  void push(std::string_view prefix, std::shared_ptr<const std::string> payload);
  /// `length` bytes of the file `fd` from `offset`; the descriptor is kept until they are written.
  void push_file(std::shared_ptr<const int> fd, std::uint64_t offset, std::uint64_t length);

  /// Writes until everything is written or the transport would block; the items written are
  /// freed. ok: the queue is empty; would_block: `writable` will come; error/closed: the
  /// connection failed.
  io_status flush(transport& t);

  /// Bytes not yet written.
  std::size_t bytes() const noexcept { return bytes_; }
  bool empty() const noexcept { return first_ == items_.size(); }
  /// Drops the items whose writing has not started; returns the bytes dropped.
  std::size_t drop_unstarted();
  /// Frees the (empty) queue's storage: an idle connection holds no queue.
  void shrink() noexcept;
  void clear() noexcept;

 private:
  struct item {
    std::string payload;
    std::shared_ptr<const std::string> shared;
    std::shared_ptr<const int> file;  // a file range: file_offset, file_length; no payload
    std::uint64_t file_offset = 0;
    std::uint64_t file_length = 0;
    std::uint8_t prefix_len = 0;
    char prefix[max_prefix];

    std::string_view data() const noexcept {
      return shared ? std::string_view{*shared} : std::string_view{payload};
    }
    std::size_t size() const noexcept {
      return file ? static_cast<std::size_t>(file_length) : prefix_len + data().size();
    }
  };

  void consume(std::size_t n);

  std::vector<item> items_;
  std::size_t first_ = 0;   // first unwritten item
  std::size_t offset_ = 0;  // bytes of items_[first_] already written
  std::size_t bytes_ = 0;
};

}  // namespace rodeo
