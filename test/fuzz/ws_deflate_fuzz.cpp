// permessage-deflate: inflating arbitrary data never writes more than the limit (+1) and ends in
// ok, too_big or bad_data; compressing with any options round-trips through the inflater.
#include <string>

#include "fuzz.hpp"
#include "rodeo/ws_deflate.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace ws = rodeo::ws;
  FuzzedDataProvider in{data, size};
  int window = in.ConsumeIntegralInRange(8, 15);
  bool no_takeover = in.ConsumeBool();
  size_t limit = in.ConsumeIntegralInRange<size_t>(0, 1 << 16);
  int level = in.ConsumeIntegralInRange(0, 9);
  int mem_level = in.ConsumeIntegralInRange(1, 9);
  auto message = in.ConsumeRandomLengthString(4096);
  auto junk = in.ConsumeRemainingBytesAsString();
  {
    ws::inflater inf{window, no_takeover};
    std::string out;
    auto st = inf.decompress(junk, out, limit);
    FUZZ_CHECK(out.size() <= limit + 1);
    if (st == ws::inflater::status::ok) FUZZ_CHECK(out.size() <= limit);
  }
  ws::deflater def{level, mem_level, window, no_takeover};
  ws::inflater inf{window, no_takeover};
  for (int round = 0; round < 2; ++round) {  // the second message uses the kept context
    std::string compressed{def.compress(message)};
    std::string out;
    FUZZ_CHECK(inf.decompress(compressed, out, message.size()) == ws::inflater::status::ok);
    FUZZ_CHECK(out == message);
  }
  return 0;
}
