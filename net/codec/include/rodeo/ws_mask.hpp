#pragma once
// WebSocket payload masking (RFC 6455 §5.3): byte i of a frame's payload is XORed with byte i % 4
// of the frame's masking key. Both functions are offset-aware: `offset` is the position of data[0]
// within the frame's payload, so a payload that arrives over several reads is unmasked chunk by
// chunk with the key rotating correctly across chunk boundaries. They work 8 bytes at a time at any
// alignment. Masking and unmasking are the same operation.
#include <array>
#include <cstddef>
#include <cstdint>

namespace rodeo::ws {

/// The 4 key bytes in wire order.
using mask_key = std::array<uint8_t, 4>;

/// XORs `size` bytes of `data` in place.
void mask(char* data, size_t size, mask_key key, uint64_t offset = 0) noexcept;

/// Writes the (un)masked `size` bytes of `src` to `dst` (one pass instead of copy + mask). The
/// ranges must not overlap unless dst == src.
void mask_copy(char* dst, const char* src, size_t size, mask_key key, uint64_t offset = 0) noexcept;

}  // namespace rodeo::ws
