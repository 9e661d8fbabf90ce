#include "rodeo/ws_mask.hpp"

#include <bit>
#include <cstring>

namespace rodeo::ws {
namespace {

// The key rotated so that its first byte applies to the first byte of the chunk, repeated twice:
// since 8 is a multiple of 4 the same 8-byte word applies to every 8-byte step.
struct rotated_key {
  uint64_t word;
  uint8_t bytes[8];
  rotated_key(mask_key key, uint64_t offset) noexcept {
    uint32_t k;
    std::memcpy(&k, key.data(), sizeof k);
    // Moving byte (offset % 4) to the lowest address is a rotation towards it.
    const int shift = 8 * static_cast<int>(offset & 3);
    k = std::endian::native == std::endian::little ? std::rotr(k, shift) : std::rotl(k, shift);
    word = (uint64_t{k} << 32) | k;
    std::memcpy(bytes, &word, sizeof bytes);
  }
};

}  // namespace

void mask_copy(char* dst, const char* src, size_t size, mask_key key, uint64_t offset) noexcept {
  const rotated_key k{key, offset};
  size_t i = 0;
  // Four independent words per iteration; the compiler turns this into vector XORs.
  for (; i + 32 <= size; i += 32) {
    uint64_t w[4];
    std::memcpy(w, src + i, sizeof w);
    w[0] ^= k.word;
    w[1] ^= k.word;
    w[2] ^= k.word;
    w[3] ^= k.word;
    std::memcpy(dst + i, w, sizeof w);
  }
  for (; i + 8 <= size; i += 8) {
    uint64_t w;
    std::memcpy(&w, src + i, sizeof w);
    w ^= k.word;
    std::memcpy(dst + i, &w, sizeof w);
  }
  for (; i < size; ++i) dst[i] = static_cast<char>(src[i] ^ k.bytes[i & 7]);
}

void mask(char* data, size_t size, mask_key key, uint64_t offset) noexcept {
  mask_copy(data, data, size, key, offset);
}

}  // namespace rodeo::ws
