#pragma once
// Helpers for the WebSocket codec tests: feed wire bytes to a decoder in chosen chunks and record
// the events (with their data copied, since views die with the next call).
#include <catch2/catch.hpp>

#include <ostream>
#include <string>
#include <vector>

#include "rodeo/ws_frame.hpp"

namespace ws_test {

using rodeo::ws::event_kind;

struct recorded {
  event_kind kind;
  uint16_t code = 0;
  std::string data;
  friend bool operator==(const recorded&, const recorded&) = default;
};

inline const char* kind_name(event_kind k) {
  switch (k) {
    case event_kind::need_more:
      return "need_more";
    case event_kind::text:
      return "text";
    case event_kind::binary:
      return "binary";
    case event_kind::ping:
      return "ping";
    case event_kind::pong:
      return "pong";
    case event_kind::close:
      return "close";
    case event_kind::error:
      return "error";
  }
  return "?";
}

inline std::ostream& operator<<(std::ostream& os, const recorded& r) {
  os << '{' << kind_name(r.kind) << ", " << r.code << ", ";
  if (r.data.size() <= 40)
    os << '"' << r.data << '"';
  else
    os << r.data.size() << " bytes";
  return os << '}';
}

/// Feeds `wire` in chunks ending at each of `cuts` (increasing positions) and then the rest;
/// stops at the first error. Each chunk lives in its own buffer, as a socket read would.
inline std::vector<recorded> feed(rodeo::ws::decoder& dec, const std::string& wire,
                                  const std::vector<size_t>& cuts) {
  std::vector<recorded> out;
  size_t start = 0;
  auto positions = cuts;
  positions.push_back(wire.size());
  for (size_t end : positions) {
    std::string chunk = wire.substr(start, end - start);
    start = end;
    std::span<char> in{chunk.data(), chunk.size()};
    for (;;) {
      auto ev = dec.next(in);
      if (ev.kind == event_kind::need_more) {
        REQUIRE(in.empty());
        break;
      }
      out.push_back({ev.kind, ev.code, std::string{ev.data}});
      if (ev.kind == event_kind::error) return out;
    }
  }
  return out;
}

inline std::vector<recorded> feed(rodeo::ws::decoder& dec, const std::string& wire) {
  return feed(dec, wire, {});
}

inline std::vector<recorded> feed_bytewise(rodeo::ws::decoder& dec, const std::string& wire) {
  std::vector<size_t> cuts;
  for (size_t i = 1; i < wire.size(); ++i) cuts.push_back(i);
  return feed(dec, wire, cuts);
}

inline std::string hex(std::initializer_list<int> list) {
  std::string s;
  for (int b : list) s.push_back(static_cast<char>(b));
  return s;
}

inline recorded text(std::string s) {
  return {event_kind::text, 0, std::move(s)};
}
inline recorded binary(std::string s) {
  return {event_kind::binary, 0, std::move(s)};
}
inline recorded error(uint16_t code) {
  return {event_kind::error, code, {}};
}

/// The kinds and codes of events, without data (error descriptions are for logs only).
inline std::vector<std::pair<event_kind, uint16_t>> kinds(const std::vector<recorded>& evs) {
  std::vector<std::pair<event_kind, uint16_t>> out;
  for (const auto& e : evs) out.emplace_back(e.kind, e.code);
  return out;
}

}  // namespace ws_test

namespace Catch {
template <>
struct StringMaker<ws_test::recorded> {
  static std::string convert(const ws_test::recorded& r) {
    std::ostringstream os;
    ws_test::operator<<(os, r);
    return os.str();
  }
};
}  // namespace Catch
