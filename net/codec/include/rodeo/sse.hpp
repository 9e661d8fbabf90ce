#pragma once
// Server-sent events encoding (WHATWG HTML §9.2, cow_sse:events).

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace rodeo::sse {

struct event {
  std::optional<std::string> id;
  std::optional<std::string> event;  // the event type
  std::optional<std::string> data;
  std::optional<std::int64_t> retry;  // milliseconds, >= 0
  std::optional<std::string> comment;
};

// Appends the event: comment lines (": x"), "id: ", "event: ", one "data: " line per line of
// data (split on CRLF, CR or LF), "retry: ", then a blank line. False (out untouched) when id or
// event hold CR/LF, id holds NUL, or retry is negative.
bool encode_to(const event& e, std::string& out);
// Same, throwing std::invalid_argument on invalid events.
std::string encode(const event& e);
std::string encode(const std::vector<event>& events);

}  // namespace rodeo::sse
