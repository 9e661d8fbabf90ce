#pragma once
// Byte ranges of a representation (RFC 9110 §14): which parts of a body of known size a Range
// header selects, content-range values, and multipart/byteranges framing. Pure.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "rodeo/http_header.hpp"

namespace rodeo::ranges {

/// An inclusive byte interval of a representation of `total` bytes.
struct part {
  std::uint64_t first = 0;
  std::uint64_t last = 0;
  std::uint64_t total = 0;
  std::uint64_t length() const { return last - first + 1; }
  friend bool operator==(const part&, const part&) = default;
};

/// The satisfiable ranges (§14.1.1: a first-pos below the size, or a non-zero suffix), last-pos
/// clamped to the end, in request order; an empty result is unsatisfiable (416). At most
/// `max_parts` are kept (a request for more is unsatisfiable: too many small ranges are a
/// denial-of-service pattern, RFC 9110 §14.2).
std::vector<part> resolve(const std::vector<http_header::byte_range>& ranges, std::uint64_t size,
                          std::size_t max_parts = 64);

/// "bytes 0-99/1000" and, for 416, "bytes */1000".
std::string content_range(const part& p, std::string_view unit = "bytes");
std::string unsatisfied_range(std::uint64_t size, std::string_view unit = "bytes");

/// multipart/byteranges (RFC 9110 §14.6): a fresh random boundary, each part's head
/// ("\r\n--B\r\ncontent-type: T\r\ncontent-range: R\r\n\r\n"; no leading CRLF for the first)
/// and the closing delimiter ("\r\n--B--\r\n").
std::string boundary();
std::string part_head(std::string_view boundary, bool first, std::string_view content_type,
                      std::string_view content_range);
std::string close(std::string_view boundary);

}  // namespace rodeo::ranges
