#include "rodeo/http1_chunked.hpp"

#include <algorithm>

#include "rodeo/ascii.hpp"

namespace rodeo::http1 {
namespace {

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// field-vchar, SP and HTAB (RFC 9110 §5.5); obs-text is allowed as in header values.
bool is_field_byte(char c) {
  auto u = static_cast<unsigned char>(c);
  return u == '\t' || (u >= 0x20 && u != 0x7f);
}

constexpr uint64_t max_chunk_size = (uint64_t{1} << 63) - 1;

}  // namespace

chunked_decoder::step chunked_decoder::fail(size_t at, int status, const char* reason) {
  state_ = state::failed;
  error_status_ = status;
  error_reason_ = reason;
  return {result::error, at};
}

chunked_decoder::step chunked_decoder::decode(const char* data, size_t size, std::string* body) {
  size_t i = 0;
  while (i < size) {
    char c = data[i];
    switch (state_) {
      case state::size: {
        int d = hex_digit(c);
        if (d >= 0) {
          if (chunk_size_ > (max_chunk_size - static_cast<uint64_t>(d)) / 16)
            return fail(i, 400, "The chunk size does not fit in 63 bits.");
          chunk_size_ = chunk_size_ * 16 + static_cast<uint64_t>(d);
          ++digits_;
          break;
        }
        if (digits_ == 0) return fail(i, 400, "Invalid chunk size.");
        state_ = state::size_ws;
        continue;  // the same byte, seen after the size
      }
      case state::size_ws:
        if (c == ' ' || c == '\t') {
          if (++extension_length_ > limits_.max_chunk_extension_length)
            return fail(i, 400, "A chunk extension is longer than configuration allows.");
        } else if (c == ';') {
          state_ = state::extension;
          continue;
        } else if (c == '\r') {
          state_ = state::size_lf;
        } else {
          return fail(i, 400, "Invalid chunk size.");
        }
        break;
      case state::extension:
        if (c == '\r') {
          state_ = state::size_lf;
        } else if (!is_field_byte(c)) {
          return fail(i, 400, "Invalid byte in a chunk extension.");
        } else if (++extension_length_ > limits_.max_chunk_extension_length) {
          return fail(i, 400, "A chunk extension is longer than configuration allows.");
        }
        break;
      case state::size_lf:
        if (c != '\n') return fail(i, 400, "A chunk-size line does not end in CRLF.");
        state_ = chunk_size_ == 0 ? state::trailer_start : state::data;
        break;
      case state::data: {
        auto n = static_cast<size_t>(std::min<uint64_t>(chunk_size_, size - i));
        if (body) body->append(data + i, n);
        body_length_ += n;
        chunk_size_ -= n;
        i += n;
        if (chunk_size_ == 0) state_ = state::data_cr;
        continue;
      }
      case state::data_cr:
        if (c != '\r') return fail(i, 400, "Chunk data is not followed by CRLF.");
        state_ = state::data_lf;
        break;
      case state::data_lf:
        if (c != '\n') return fail(i, 400, "Chunk data is not followed by CRLF.");
        state_ = state::size;
        digits_ = extension_length_ = 0;
        break;
      case state::trailer_start:
        if (c == '\r') {
          state_ = state::final_lf;
          break;
        }
        if (++trailers_ > limits_.max_trailers)
          return fail(i, 431, "The number of trailers is larger than configuration allows.");
        field_length_ = 0;
        state_ = state::trailer_name;
        continue;
      case state::trailer_name:
        if (c == ':') {
          if (field_length_ == 0) return fail(i, 400, "Invalid trailer name.");
          field_length_ = 0;
          state_ = state::trailer_value;
        } else if (!ascii::is_tchar(c)) {
          return fail(i, 400, "Invalid trailer name.");
        } else if (++field_length_ > limits_.max_trailer_name_length) {
          return fail(i, 431, "A trailer name is longer than configuration allows.");
        }
        break;
      case state::trailer_value:
        if (c == '\r') {
          state_ = state::trailer_lf;
        } else if (!is_field_byte(c)) {
          return fail(i, 400, "Invalid byte in a trailer value.");
        } else if (++field_length_ > limits_.max_trailer_value_length) {
          return fail(i, 431, "A trailer value is longer than configuration allows.");
        }
        break;
      case state::trailer_lf:
        if (c != '\n') return fail(i, 400, "A trailer line does not end in CRLF.");
        state_ = state::trailer_start;
        break;
      case state::final_lf:
        if (c != '\n') return fail(i, 400, "The chunked body does not end in CRLF.");
        state_ = state::done;
        return {result::done, i + 1};
      case state::done:
        return {result::done, 0};
      case state::failed:
        return {result::error, 0};
    }
    ++i;
  }
  if (state_ == state::failed) return {result::error, 0};
  return {state_ == state::done ? result::done : result::more, size};
}

}  // namespace rodeo::http1
