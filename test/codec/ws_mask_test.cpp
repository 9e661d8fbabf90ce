#include <catch2/catch.hpp>

#include <random>
#include <string>
#include <vector>

#include "rodeo/ws_mask.hpp"

using rodeo::ws::mask;
using rodeo::ws::mask_copy;
using rodeo::ws::mask_key;

namespace {

std::string naive_mask(std::string s, mask_key key, uint64_t offset) {
  for (size_t i = 0; i < s.size(); ++i) s[i] = static_cast<char>(s[i] ^ key[(offset + i) % 4]);
  return s;
}

std::string random_bytes(size_t n, std::mt19937& rng) {
  std::string s(n, '\0');
  for (auto& c : s) c = static_cast<char>(rng());
  return s;
}

}  // namespace

TEST_CASE("mask: in-place masking matches a byte-by-byte XOR at every alignment, size and offset") {
  std::mt19937 rng{7};
  const mask_key key{0x37, 0xfa, 0x21, 0x3d};
  std::vector<char> buffer(256 + 16);
  for (size_t size = 0; size <= 200; ++size)
    for (size_t align = 0; align < 16; ++align)
      for (uint64_t offset = 0; offset < 8; ++offset) {
        const auto data = random_bytes(size, rng);
        std::copy(data.begin(), data.end(), buffer.begin() + align);
        mask(buffer.data() + align, size, key, offset);
        REQUIRE(std::string(buffer.data() + align, size) == naive_mask(data, key, offset));
      }
}

TEST_CASE("mask: mask_copy matches a byte-by-byte XOR for misaligned source and destination") {
  std::mt19937 rng{8};
  const mask_key key{0x01, 0x80, 0xfe, 0x7f};
  std::vector<char> src(300), dst(300);
  for (size_t size = 0; size <= 130; ++size)
    for (size_t src_align = 0; src_align < 8; ++src_align)
      for (size_t dst_align = 0; dst_align < 8; ++dst_align) {
        const uint64_t offset = rng() % 1000;
        const auto data = random_bytes(size, rng);
        std::copy(data.begin(), data.end(), src.begin() + src_align);
        mask_copy(dst.data() + dst_align, src.data() + src_align, size, key, offset);
        REQUIRE(std::string(dst.data() + dst_align, size) == naive_mask(data, key, offset));
      }
}

TEST_CASE("mask: a payload unmasked in chunks split anywhere equals one pass (the key rotates)") {
  std::mt19937 rng{9};
  const mask_key key{0xde, 0xad, 0xbe, 0xef};
  const auto payload = random_bytes(97, rng);
  const auto expected = naive_mask(payload, key, 0);
  for (size_t a = 0; a <= payload.size(); ++a)
    for (size_t b = a; b <= payload.size(); b += 7) {
      auto s = payload;
      mask(s.data(), a, key, 0);
      mask(s.data() + a, b - a, key, a);
      mask(s.data() + b, s.size() - b, key, b);
      REQUIRE(s == expected);
    }
}

TEST_CASE("mask: masking twice restores the data") {
  std::mt19937 rng{10};
  const mask_key key{0x12, 0x34, 0x56, 0x78};
  const auto data = random_bytes(4096 + 3, rng);
  auto s = data;
  mask(s.data(), s.size(), key, 3);
  CHECK(s != data);
  mask(s.data(), s.size(), key, 3);
  CHECK(s == data);
}
