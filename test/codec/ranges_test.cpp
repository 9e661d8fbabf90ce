#include "rodeo/ranges.hpp"

#include <catch2/catch.hpp>

using namespace rodeo;
using ranges::part;

namespace {
std::vector<part> resolve(const char* header, std::uint64_t size) {
  auto r = http_header::parse_range(header);
  REQUIRE(r);
  return ranges::resolve(r->ranges, size);
}
}  // namespace

TEST_CASE("byte ranges: first-last, open, suffix, clamping") {
  CHECK(resolve("bytes=0-0", 10) == std::vector<part>{{0, 0, 10}});
  CHECK(resolve("bytes=2-", 10) == std::vector<part>{{2, 9, 10}});
  CHECK(resolve("bytes=-3", 10) == std::vector<part>{{7, 9, 10}});
  CHECK(resolve("bytes=-30", 10) == std::vector<part>{{0, 9, 10}});
  CHECK(resolve("bytes=5-100", 10) == std::vector<part>{{5, 9, 10}});
  CHECK(resolve("bytes=0-1, 4-5", 10) == std::vector<part>{{0, 1, 10}, {4, 5, 10}});
}

TEST_CASE("unsatisfiable ranges are dropped, none left is a 416") {
  CHECK(resolve("bytes=10-", 10).empty());
  CHECK(resolve("bytes=-0", 10).empty());
  CHECK(resolve("bytes=0-", 0).empty());
  CHECK(resolve("bytes=20-30, 1-2", 10) == std::vector<part>{{1, 2, 10}});
  std::vector<http_header::byte_range> many(65, {0, 0});
  CHECK(ranges::resolve(many, 10).empty());
}

TEST_CASE("content-range values and multipart/byteranges framing") {
  CHECK(ranges::content_range({0, 99, 1000}) == "bytes 0-99/1000");
  CHECK(ranges::unsatisfied_range(1000) == "bytes */1000");
  auto b = ranges::boundary();
  CHECK(b.size() == 32);
  CHECK(b != ranges::boundary());
  CHECK(ranges::part_head("B", true, "text/plain", "bytes 0-1/2") ==
        "--B\r\ncontent-type: text/plain\r\ncontent-range: bytes 0-1/2\r\n\r\n");
  CHECK(ranges::part_head("B", false, "t/p", "r").starts_with("\r\n--B\r\n"));
  CHECK(ranges::close("B") == "\r\n--B--\r\n");
}
