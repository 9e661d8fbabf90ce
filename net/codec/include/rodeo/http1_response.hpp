#pragma once
// HTTP/1.1 response serialization (RFC 9112; cow_http1's response and chunked framing): status
// lines, header lines, the framing headers the connection decides, chunked transfer-coding.
// Pure: no actors, no sockets. The connection decides *what* framing a response gets
// (keep-alive, content-length or chunked); this file only writes it.
//
//   std::string head = http1::response_head(200, hs, http_date::now(),
//                                           {.content_length = body.size()});
//   // "HTTP/1.1 200 OK\r\n" + hs + "date: ...\r\nserver: Rodeo\r\ncontent-length: N\r\n\r\n"
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "rodeo/http_message.hpp"

namespace rodeo::http1 {

/// 1xx, 204 and 304 responses never carry a body (RFC 9110 §6.4.1).
constexpr bool no_body_status(int status) noexcept {
  return status < 200 || status == 204 || status == 304;
}

/// Appends "HTTP/1.1 <status> <reason>\r\n".
void append_status_line(std::string& out, int status);
/// Appends "<name>: <value>\r\n".
void append_header(std::string& out, std::string_view name, std::string_view value);

/// An interim (1xx) response head: status line, `hs` as given, blank line.
std::string informational_head(int status, const rodeo::headers& hs);

/// The framing headers of a final response, as the connection decided them.
struct framing {
  enum class connection : std::uint8_t {
    implicit,    // nothing written: HTTP/1.1's default keep-alive
    close,       // "connection: close"
    keep_alive,  // "connection: keep-alive" (an HTTP/1.0 client that asked for it)
  };
  framing::connection connection = connection::implicit;
  std::optional<std::uint64_t> content_length;  // "content-length: N"
  bool chunked = false;                         // "transfer-encoding: chunked" (without a length)
};

/// Headers the connection owns: a handler's values for these are replaced by the framing.
bool is_framing_header(std::string_view lowercase_name) noexcept;

/// A final response head: status line; `hs` without the framing headers; "date: <date>",
/// "server: Rodeo", the framing's headers; blank line.
std::string response_head(int status, const rodeo::headers& hs, std::string_view date,
                          const framing& f);

/// Chunked transfer-coding (RFC 9112 §7.1): "<size in hex>\r\n" before a chunk's data,
/// chunk_end after it; chunk_end_last ends the chunk and the body; last_chunk ends a body alone.
std::string chunk_size_line(std::size_t size);
inline constexpr std::string_view chunk_end = "\r\n";
inline constexpr std::string_view chunk_end_last = "\r\n0\r\n\r\n";
inline constexpr std::string_view last_chunk = "0\r\n\r\n";
/// The last chunk with trailer fields: "0\r\n", the fields, "\r\n".
std::string last_chunk_with_trailers(const rodeo::headers& trailers);

}  // namespace rodeo::http1
