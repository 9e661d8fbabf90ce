#include "rodeo/output_queue.hpp"

#include <algorithm>
#include <array>
#include <stdexcept>

namespace rodeo {

void output_queue::push(std::string_view prefix, std::string payload) {
  if (prefix.size() > max_prefix) throw std::length_error("output_queue: prefix too long");
  if (prefix.empty() && payload.empty()) return;
  item it;
  it.payload = std::move(payload);
  it.prefix_len = static_cast<std::uint8_t>(prefix.size());
  std::copy(prefix.begin(), prefix.end(), it.prefix);
  bytes_ += it.size();
  items_.push_back(std::move(it));
}

void output_queue::push(std::string_view prefix, std::shared_ptr<const std::string> payload) {
  if (prefix.size() > max_prefix) throw std::length_error("output_queue: prefix too long");
  if (prefix.empty() && (!payload || payload->empty())) return;
  item it;
  it.shared = payload ? std::move(payload) : std::make_shared<const std::string>();
  it.prefix_len = static_cast<std::uint8_t>(prefix.size());
  std::copy(prefix.begin(), prefix.end(), it.prefix);
  bytes_ += it.size();
  items_.push_back(std::move(it));
}

void output_queue::push_file(std::shared_ptr<const int> fd, std::uint64_t offset,
                             std::uint64_t length) {
  if (length == 0) return;
  item it;
  it.file = std::move(fd);
  it.file_offset = offset;
  it.file_length = length;
  bytes_ += it.size();
  items_.push_back(std::move(it));
}

io_status output_queue::flush(transport& t) {
  while (!empty()) {
    if (auto& f = items_[first_]; f.file) {
      auto left = f.file_length - offset_;
      auto r = t.send_file(*f.file, f.file_offset + offset_,
                           static_cast<std::size_t>(std::min<std::uint64_t>(left, 1u << 30)));
      if (r.what != io_status::ok) return r.what;
      consume(r.bytes);
      continue;
    }
    std::array<iovec, 128> iov;
    std::size_t n = 0;
    // Memory items up to the next file range go in one gathering write.
    for (std::size_t i = first_; i < items_.size() && n + 2 <= iov.size(); ++i) {
      auto& it = items_[i];
      if (it.file) break;
      std::size_t skip = i == first_ ? offset_ : 0;
      if (skip < it.prefix_len) {
        iov[n++] = {it.prefix + skip, it.prefix_len - skip};
        skip = 0;
      } else {
        skip -= it.prefix_len;
      }
      auto d = it.data();
      if (skip < d.size()) iov[n++] = {const_cast<char*>(d.data()) + skip, d.size() - skip};
    }
    auto r = t.write({iov.data(), n});
    if (r.what != io_status::ok) return r.what;
    consume(r.bytes);
  }
  items_.clear();
  first_ = offset_ = 0;
  if (items_.capacity() > 16) shrink();
  return io_status::ok;
}

void output_queue::consume(std::size_t n) {
  bytes_ -= n;
  while (n > 0) {
    std::size_t left = items_[first_].size() - offset_;
    if (n >= left) {
      n -= left;
      items_[first_] = item{};
      ++first_;
      offset_ = 0;
    } else {
      offset_ += n;
      n = 0;
    }
  }
}

std::size_t output_queue::drop_unstarted() {
  std::size_t keep = first_ + (offset_ > 0 ? 1 : 0);
  std::size_t dropped = 0;
  for (std::size_t i = keep; i < items_.size(); ++i) dropped += items_[i].size();
  items_.resize(keep);
  bytes_ -= dropped;
  return dropped;
}

void output_queue::shrink() noexcept {
  if (empty()) {
    std::vector<item>{}.swap(items_);
    first_ = offset_ = 0;
  }
}

void output_queue::clear() noexcept {
  items_.clear();
  first_ = offset_ = bytes_ = 0;
}

}  // namespace rodeo
