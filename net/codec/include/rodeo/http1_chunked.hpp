#pragma once
// The chunked transfer-coding of HTTP/1.1 request bodies (RFC 9112 §7.1), decoded strictly, as
// cowlib's cow_http_te does: every chunk-size line, every chunk-data end, the last chunk, each
// trailer line and the final line end in exactly CRLF; chunk sizes are hex that fits in 63 bits;
// chunk extensions are skipped but bounded; trailer fields are checked for syntax and limits,
// then dropped. llhttp 8.1 is lax on all of these (CR + any byte passes for CRLF), and a framing
// disagreement between two parsers is what request smuggling lives on. Pure: no actors, no I/O.
//
//   http1::chunked_decoder d{limits};
//   auto [r, used] = d.decode(data, size, &body);  // chunk data is appended to `body`
//   // r == more: all of it used; done: the body ended after `used` bytes; error: 400 / 431
#include <cstddef>
#include <cstdint>
#include <string>

namespace rodeo::http1 {

struct chunked_limits {
  size_t max_chunk_extension_length = 129;  // the bytes after the size, up to the CRLF
  size_t max_trailer_name_length = 64;
  size_t max_trailer_value_length = 4096;  // the bytes after the colon
  size_t max_trailers = 100;
};

class chunked_decoder {
 public:
  enum class result { more, done, error };
  struct step {
    chunked_decoder::result result;
    size_t consumed;  // bytes used, up to and including the end of the body when done
  };

  explicit chunked_decoder(const chunked_limits& l = {}) : limits_(l) {}

  /// Decodes until the body ends or the input runs out. Chunk data is appended to *body
  /// (dropped when body is null).
  step decode(const char* data, size_t size, std::string* body);

  int error_status() const noexcept { return error_status_; }
  const char* error_reason() const noexcept { return error_reason_; }
  /// Chunk-data bytes decoded so far.
  uint64_t body_length() const noexcept { return body_length_; }

 private:
  enum class state {
    size,       // hex digits of the chunk size
    size_ws,    // BWS after the size, before ';' or CR
    extension,  // a chunk extension, skipped up to CR
    size_lf,    // the LF of the chunk-size line
    data,       // chunk data
    data_cr,    // the CRLF after chunk data
    data_lf,
    trailer_start,  // a trailer line, or the final CRLF
    trailer_name,
    trailer_value,
    trailer_lf,
    final_lf,
    done,
    failed,
  };

  step fail(size_t at, int status, const char* reason);

  chunked_limits limits_;
  state state_ = state::size;
  uint64_t chunk_size_ = 0;
  size_t digits_ = 0;
  size_t extension_length_ = 0;
  size_t field_length_ = 0;
  size_t trailers_ = 0;
  uint64_t body_length_ = 0;
  int error_status_ = 0;
  const char* error_reason_ = "";
};

}  // namespace rodeo::http1
