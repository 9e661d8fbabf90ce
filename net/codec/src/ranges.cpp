#include "rodeo/ranges.hpp"

#include <random>

namespace rodeo::ranges {

std::vector<part> resolve(const std::vector<http_header::byte_range>& ranges, std::uint64_t size,
                          std::size_t max_parts) {
  std::vector<part> out;
  if (ranges.size() > max_parts) return out;
  for (auto& r : ranges) {
    if (!r.first) {  // suffix: the last N bytes
      if (!r.last || *r.last == 0 || size == 0) continue;
      auto n = std::min(*r.last, size);
      out.push_back({size - n, size - 1, size});
      continue;
    }
    if (*r.first >= size) continue;
    auto last = r.last ? std::min(*r.last, size - 1) : size - 1;
    if (last < *r.first) continue;
    out.push_back({*r.first, last, size});
  }
  return out;
}

std::string content_range(const part& p, std::string_view unit) {
  return std::string{unit} + " " + std::to_string(p.first) + "-" + std::to_string(p.last) + "/" +
         std::to_string(p.total);
}

std::string unsatisfied_range(std::uint64_t size, std::string_view unit) {
  return std::string{unit} + " */" + std::to_string(size);
}

std::string boundary() {
  static constexpr char alphabet[] =
      "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
  thread_local std::mt19937_64 gen{std::random_device{}()};
  std::uniform_int_distribution<int> pick(0, sizeof alphabet - 2);
  std::string b(32, '0');
  for (auto& c : b) c = alphabet[pick(gen)];
  return b;
}

std::string part_head(std::string_view boundary, bool first, std::string_view content_type,
                      std::string_view content_range) {
  std::string h = first ? "--" : "\r\n--";
  h.append(boundary).append("\r\ncontent-type: ").append(content_type);
  h.append("\r\ncontent-range: ").append(content_range).append("\r\n\r\n");
  return h;
}

std::string close(std::string_view boundary) {
  return "\r\n--" + std::string{boundary} + "--\r\n";
}

}  // namespace rodeo::ranges
