// Differential: the word-at-a-time masking against the byte-by-byte definition (RFC 6455 §5.3),
// at any offset and alignment, in place and copying.
#include <cstring>
#include <string>

#include "fuzz.hpp"
#include "rodeo/ws_mask.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider in{data, size};
  rodeo::ws::mask_key key;
  auto k = in.ConsumeBytes<uint8_t>(4);
  k.resize(4);
  std::memcpy(&key, k.data(), 4);
  uint64_t offset = in.ConsumeIntegral<uint64_t>();
  size_t align = in.ConsumeIntegralInRange<size_t>(0, 7);
  auto payload = in.ConsumeRemainingBytesAsString();
  std::string expected = payload;
  const auto* kb = reinterpret_cast<const unsigned char*>(&key);
  for (size_t i = 0; i < expected.size(); ++i)
    expected[i] ^= static_cast<char>(kb[(offset + i) % 4]);
  std::string buf(align, '\0');
  buf += payload;
  rodeo::ws::mask(buf.data() + align, payload.size(), key, offset);
  FUZZ_CHECK(buf.compare(align, std::string::npos, expected) == 0);
  std::string dst(payload.size() + align, '\0');
  rodeo::ws::mask_copy(dst.data() + align, payload.data(), payload.size(), key, offset);
  FUZZ_CHECK(dst.compare(align, std::string::npos, expected) == 0);
  return 0;
}
