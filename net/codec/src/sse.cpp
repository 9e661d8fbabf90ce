#include "rodeo/sse.hpp"

#include <stdexcept>
#include <string_view>

namespace rodeo::sse {

namespace {

// One "<prefix>: <line>\n" per line; CRLF, CR and LF all end a line (WHATWG §9.2.5).
void prefix_lines(std::string_view text, std::string_view prefix, std::string& out) {
  std::size_t i = 0;
  while (true) {
    auto end = text.find_first_of("\r\n", i);
    out.append(prefix);
    out.append(": ");
    if (end == std::string_view::npos) {
      out.append(text.substr(i));
      out.push_back('\n');
      return;
    }
    out.append(text.substr(i, end - i));
    out.push_back('\n');
    i = end + (text[end] == '\r' && end + 1 < text.size() && text[end + 1] == '\n' ? 2 : 1);
  }
}

bool has_line_break(std::string_view s) {
  return s.find_first_of("\r\n") != s.npos;
}

}  // namespace

bool encode_to(const event& e, std::string& out) {
  if (e.id && (has_line_break(*e.id) || e.id->find('\0') != std::string::npos)) return false;
  if (e.event && has_line_break(*e.event)) return false;
  if (e.retry && *e.retry < 0) return false;
  if (e.comment) prefix_lines(*e.comment, "", out);
  if (e.id) {
    out += "id: ";
    out += *e.id;
    out += '\n';
  }
  if (e.event) {
    out += "event: ";
    out += *e.event;
    out += '\n';
  }
  if (e.data) prefix_lines(*e.data, "data", out);
  if (e.retry) {
    out += "retry: ";
    out += std::to_string(*e.retry);
    out += '\n';
  }
  out += '\n';
  return true;
}

std::string encode(const event& e) {
  std::string out;
  if (!encode_to(e, out)) throw std::invalid_argument("invalid server-sent event");
  return out;
}

std::string encode(const std::vector<event>& events) {
  std::string out;
  for (auto& e : events)
    if (!encode_to(e, out)) throw std::invalid_argument("invalid server-sent event");
  return out;
}

}  // namespace rodeo::sse
