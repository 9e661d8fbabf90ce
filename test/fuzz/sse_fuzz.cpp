// Server-sent events: whatever encode_to accepts, a WHATWG event-stream parser (written here
// from the spec as the reference) reads back as the same event.
#include <optional>
#include <string>
#include <vector>

#include "fuzz.hpp"
#include "rodeo/sse.hpp"

namespace {

struct parsed {
  std::string data, id, type;
  std::optional<long long> retry;
  int dispatched = 0;
};

// WHATWG HTML §9.2.6, one event.
parsed interpret(const std::string& stream) {
  parsed out;
  std::string data;
  bool has_data = false;
  size_t i = 0;
  while (i < stream.size()) {
    size_t end = stream.find_first_of("\r\n", i);
    FUZZ_CHECK(end != std::string::npos);  // every line is terminated
    std::string line = stream.substr(i, end - i);
    i = end + (stream.compare(end, 2, "\r\n") == 0 ? 2 : 1);
    if (line.empty()) {
      if (has_data) {
        if (!data.empty() && data.back() == '\n') data.pop_back();
        out.data = data;
        ++out.dispatched;
      }
      continue;
    }
    if (line[0] == ':') continue;
    auto colon = line.find(':');
    std::string field = line.substr(0, colon), value;
    if (colon != std::string::npos) {
      value = line.substr(colon + 1);
      if (!value.empty() && value[0] == ' ') value.erase(0, 1);
    }
    if (field == "data") {
      data += value + "\n";
      has_data = true;
    } else if (field == "id") {
      out.id = value;
    } else if (field == "event") {
      out.type = value;
    } else if (field == "retry") {
      out.retry = std::stoll(value);
    }
  }
  return out;
}

std::string normalise_newlines(std::string s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\r') {
      out += '\n';
      if (i + 1 < s.size() && s[i + 1] == '\n') ++i;
    } else {
      out += s[i];
    }
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider in{data, size};
  rodeo::sse::event e;
  if (in.ConsumeBool()) e.id = in.ConsumeRandomLengthString(32);
  if (in.ConsumeBool()) e.event = in.ConsumeRandomLengthString(32);
  if (in.ConsumeBool()) e.retry = in.ConsumeIntegralInRange<int64_t>(-5, 1LL << 40);
  if (in.ConsumeBool()) e.comment = in.ConsumeRandomLengthString(32);
  if (in.ConsumeBool()) e.data = in.ConsumeRemainingBytesAsString();
  std::string out = "unchanged";
  if (!rodeo::sse::encode_to(e, out)) {
    FUZZ_CHECK(out == "unchanged");
    return 0;
  }
  auto p = interpret(out.substr(9));
  if (e.data) {
    FUZZ_CHECK(p.dispatched == 1);
    FUZZ_CHECK(p.data == normalise_newlines(*e.data));
  }
  // A NUL-free id and an event type (no CR/LF) come back as sent.
  if (e.id) FUZZ_CHECK(p.id == *e.id);
  if (e.event) FUZZ_CHECK(p.type == *e.event);
  if (e.retry) FUZZ_CHECK(p.retry == *e.retry);
  return 0;
}
