#pragma once
// The load clients' message payloads: printable ASCII, different for every message and
// regenerated on receipt to check an echo (wsload), or measured alone (deflate_opts).
#include <cstddef>
#include <cstdint>
#include <cstring>

namespace bench {

inline uint64_t splitmix64(uint64_t& x) {
  x += 0x9E3779B97F4A7C15ull;
  uint64_t z = x;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

/// The payload of message `seq` on connection `id`: printable ASCII (valid UTF-8 for text frames),
/// different for every message, regenerated on receipt to check the echo. `words` gives text that
/// compresses like chat or JSON does (random characters are deflate's worst case: ~25 MB/s here).
inline void fill_payload(uint8_t* p, size_t n, uint64_t id, uint64_t seq, bool words) {
  static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  // 32 words of at most 8 bytes (space included), padded so each is copied as one 8-byte word.
  static const char dictionary[32][9] = {
      "the     ", "rodeo   ", "cowboy  ", "actor   ", "message ", "server  ", "socket  ",
      "frame   ", "echo    ", "hello   ", "world   ", "data    ", "event   ", "stream  ",
      "reply   ", "group   ", "join    ", "leave   ", "ping    ", "pong    ", "close   ",
      "text    ", "binary  ", "user    ", "token   ", "room    ", "state   ", "update  ",
      "value   ", "time    ", "node    ", "send    "};
  static const uint8_t length[32] = {4, 6, 7, 6, 8, 7, 7, 6, 5, 6, 6, 5, 6, 7, 6, 6,
                                     5, 6, 5, 5, 6, 5, 7, 5, 6, 5, 6, 7, 6, 5, 5, 5};
  uint64_t x = (id << 32) ^ seq;
  if (!words) {
    for (size_t i = 0; i < n; i += 8) {
      uint64_t z = splitmix64(x);
      for (size_t j = 0; j < 8 && i + j < n; ++j) p[i + j] = alphabet[(z >> (8 * j)) & 63];
    }
    return;
  }
  // Needs 8 bytes of slack after p[n]: the last word may be copied whole and cut.
  size_t i = 0;
  while (i < n) {
    uint64_t z = splitmix64(x);
    for (int k = 0; k < 12 && i < n; ++k, z >>= 5) {
      std::memcpy(p + i, dictionary[z & 31], 8);
      i += length[z & 31];
    }
  }
}

}  // namespace bench
