#include "rodeo/http1_response.hpp"

#include <charconv>

namespace rodeo::http1 {
namespace {

void append_dec(std::string& out, std::uint64_t n) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, n);
  out.append(buf, r.ptr);
}

}  // namespace

void append_status_line(std::string& out, int status) {
  out += "HTTP/1.1 ";
  append_dec(out, static_cast<std::uint64_t>(status));
  out += ' ';
  out += reason_phrase(status);
  out += "\r\n";
}

void append_header(std::string& out, std::string_view name, std::string_view value) {
  out += name;
  out += ": ";
  out += value;
  out += "\r\n";
}

std::string informational_head(int status, const rodeo::headers& hs) {
  std::string h;
  h.reserve(64);
  append_status_line(h, status);
  for (auto& [n, v] : hs) append_header(h, n, v);
  h += "\r\n";
  return h;
}

bool is_framing_header(std::string_view n) noexcept {
  return n == "content-length" || n == "transfer-encoding" || n == "connection" || n == "date" ||
         n == "server";
}

std::string response_head(int status, const rodeo::headers& hs, std::string_view date,
                          const framing& f) {
  std::string h;
  std::size_t estimate = 160;
  for (auto& [n, v] : hs) estimate += n.size() + v.size() + 4;
  h.reserve(estimate);
  append_status_line(h, status);
  for (auto& [n, v] : hs)
    if (!is_framing_header(n)) append_header(h, n, v);
  h += "date: ";
  h += date;
  h += "\r\nserver: Rodeo\r\n";
  if (f.connection == framing::connection::close)
    h += "connection: close\r\n";
  else if (f.connection == framing::connection::keep_alive)
    h += "connection: keep-alive\r\n";
  if (f.content_length) {
    h += "content-length: ";
    append_dec(h, *f.content_length);
    h += "\r\n";
  } else if (f.chunked) {
    h += "transfer-encoding: chunked\r\n";
  }
  h += "\r\n";
  return h;
}

std::string chunk_size_line(std::size_t size) {
  char buf[20];
  auto r = std::to_chars(buf, buf + sizeof buf, size, 16);
  std::string out(buf, r.ptr);
  out += "\r\n";
  return out;
}

std::string last_chunk_with_trailers(const rodeo::headers& trailers) {
  std::string t = "0\r\n";
  for (auto& [n, v] : trailers) append_header(t, n, v);
  t += "\r\n";
  return t;
}

}  // namespace rodeo::http1
