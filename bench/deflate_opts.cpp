// permessage-deflate options measured alone: CPU per message and compression ratio of the
// server's deflater for the 1 KiB "words" messages of the deflate echo row (bench-wsload
// --size 1024 --words), with context takeover as that echo negotiates it, for each level,
// mem_level, strategy and window. Also the inflate side at the chosen window.
//
//   bench-deflate_opts [messages=20000]
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "bench_common.hpp"
#include "payload.hpp"
#include "rodeo/ws_deflate.hpp"

namespace {

namespace ws = rodeo::ws;

struct config {
  const char* name;
  int level, mem_level, window_bits;
  ws::deflate_strategy strategy;
  bool no_context_takeover = false;
};

}  // namespace

int main(int argc, char** argv) {
  const int n = argc > 1 ? std::atoi(argv[1]) : 20000;
  std::vector<std::string> messages(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) {
    messages[i].resize(1024 + 8);
    bench::fill_payload(reinterpret_cast<uint8_t*>(messages[i].data()), 1024, 1,
                        static_cast<uint64_t>(i), true);
    messages[i].resize(1024);
  }
  using S = ws::deflate_strategy;
  const config configs[] = {
      {"level 6, mem 8, 15 bits (zlib default)", 6, 8, 15, S::default_strategy},
      {"level 1, mem 8, 15 bits", 1, 8, 15, S::default_strategy},
      {"level 2, mem 8, 15 bits", 2, 8, 15, S::default_strategy},
      {"level 3, mem 8, 15 bits", 3, 8, 15, S::default_strategy},
      {"level 4, mem 8, 15 bits", 4, 8, 15, S::default_strategy},
      {"level 9, mem 8, 15 bits", 9, 8, 15, S::default_strategy},
      {"level 1, mem 9, 15 bits", 1, 9, 15, S::default_strategy},
      {"level 1, mem 4, 15 bits", 1, 4, 15, S::default_strategy},
      {"level 1, mem 8, 12 bits", 1, 8, 12, S::default_strategy},
      {"level 6, mem 5, 12 bits (python3-websockets)", 6, 5, 12, S::default_strategy},
      {"level 1, mem 5, 12 bits", 1, 5, 12, S::default_strategy},
      {"level 2, mem 5, 12 bits", 2, 5, 12, S::default_strategy},
      {"level 1, mem 8, 15 bits, filtered", 1, 8, 15, S::filtered},
      {"level 6, mem 8, 15 bits, filtered", 6, 8, 15, S::filtered},
      {"level 1, mem 8, 15 bits, huffman_only", 1, 8, 15, S::huffman_only},
      {"level 1, mem 8, 15 bits, rle", 1, 8, 15, S::rle},
      {"level 6, no context takeover", 6, 8, 15, S::default_strategy, true},
      {"level 1, no context takeover", 1, 8, 15, S::default_strategy, true},
  };
  std::printf("%-46s %12s %8s %12s\n", "deflate options", "ns/message", "ratio", "inflate ns");
  for (auto& c : configs) {
    // The fastest of three runs: the machine is shared, and interference only adds time.
    std::vector<std::string> out;
    double best = 1e30;
    for (int run = 0; run < 3; ++run) {
      ws::deflater d{c.level, c.mem_level, c.window_bits, c.no_context_takeover, c.strategy};
      out.clear();
      out.reserve(messages.size());
      double t0 = bench::own_cpu_seconds();
      for (auto& m : messages) out.emplace_back(d.compress(m));
      best = std::min(best, bench::own_cpu_seconds() - t0);
    }
    size_t in_bytes = 0, out_bytes = 0;
    for (size_t i = 0; i < messages.size(); ++i) {
      in_bytes += messages[i].size();
      out_bytes += out[i].size();
    }
    ws::inflater inf{c.window_bits, c.no_context_takeover};
    std::string back;
    double t2 = bench::own_cpu_seconds();
    for (size_t i = 0; i < out.size(); ++i) {
      back.clear();
      if (inf.decompress(out[i], back, 1 << 20) != ws::inflater::status::ok ||
          back != messages[i]) {
        std::fprintf(stderr, "%s: round trip failed at message %zu\n", c.name, i);
        return 1;
      }
    }
    double t3 = bench::own_cpu_seconds();
    std::printf("%-46s %12.0f %8.3f %12.0f\n", c.name, best * 1e9 / n,
                static_cast<double>(out_bytes) / static_cast<double>(in_bytes),
                (t3 - t2) * 1e9 / n);
  }
  return 0;
}
