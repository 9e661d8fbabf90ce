// The WebSocket frame decoder (server side, with or without permessage-deflate, small limits):
// whole and piecewise input give the same events; unmasking happens in place.
#include <span>
#include <string>
#include <vector>

#include "fuzz.hpp"
#include "rodeo/ws_frame.hpp"

namespace {

namespace ws = rodeo::ws;

std::vector<std::pair<ws::event_kind, std::string>> decode(std::string in, size_t piece,
                                                           bool deflate) {
  ws::decoder_options o;
  o.max_frame_size = 4096;
  o.max_message_size = 8192;
  if (deflate) o.deflate = ws::deflate_params{};
  ws::decoder d{o};
  std::vector<std::pair<ws::event_kind, std::string>> events;
  for (size_t at = 0; at < in.size(); at += piece) {
    std::span<char> chunk{in.data() + at, std::min(piece, in.size() - at)};
    for (;;) {
      auto ev = d.next(chunk);
      if (ev.kind == ws::event_kind::need_more) {
        FUZZ_CHECK(chunk.empty());
        break;
      }
      events.emplace_back(ev.kind, ev.kind == ws::event_kind::error ? "" : std::string{ev.data});
      if (ev.kind == ws::event_kind::error || ev.kind == ws::event_kind::close) return events;
    }
  }
  return events;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  bool deflate = data[0] & 1;
  size_t piece = 1 + (data[0] >> 1) % 32;
  std::string in{reinterpret_cast<const char*>(data) + 1, size - 1};
  auto whole = decode(in, in.size() ? in.size() : 1, deflate);
  auto split = decode(in, piece, deflate);
  FUZZ_CHECK(whole.size() == split.size());
  for (size_t i = 0; i < whole.size(); ++i) {
    FUZZ_CHECK(whole[i].first == split[i].first);
    FUZZ_CHECK(whole[i].second == split[i].second);
    if (whole[i].first == ws::event_kind::text) FUZZ_CHECK(ws::valid_utf8(whole[i].second));
  }
  return 0;
}
