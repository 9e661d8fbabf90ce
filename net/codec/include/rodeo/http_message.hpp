#pragma once
// The protocol-independent view of an HTTP request and of header lists, shared by the protocol
// code (net/) and the Req API, stream handlers and middlewares (handlers/). No actors, no sockets.
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace rodeo {

/// Cowboy's IsFin: whether a piece of body is the last one.
enum class is_fin : bool { nofin = false, fin = true };
inline constexpr is_fin nofin = is_fin::nofin;
inline constexpr is_fin fin = is_fin::fin;

/// A header list with lowercase names, in order (Cowboy's headers map, ordered). Names given to
/// the constructor and to set()/add() are lowercased.
class headers {
 public:
  using value_type = std::pair<std::string, std::string>;
  headers() = default;
  headers(std::initializer_list<value_type> items);

  /// The value of `name` (lowercase), or nullptr.
  const std::string* find(std::string_view name) const noexcept;
  std::string* find(std::string_view name) noexcept;
  bool contains(std::string_view name) const noexcept { return find(name) != nullptr; }
  /// Replaces the value of `name`, or appends it.
  void set(std::string name, std::string value);
  /// Appends without looking for an existing entry (for protocol code that already made names
  /// unique and lowercase).
  void push_back(std::string name, std::string value) {
    items_.emplace_back(std::move(name), std::move(value));
  }
  /// Removes `name`; false when absent.
  bool erase(std::string_view name) noexcept;
  void clear() noexcept { items_.clear(); }
  void reserve(size_t n) { items_.reserve(n); }

  size_t size() const noexcept { return items_.size(); }
  bool empty() const noexcept { return items_.empty(); }
  auto begin() const noexcept { return items_.begin(); }
  auto end() const noexcept { return items_.end(); }
  auto begin() noexcept { return items_.begin(); }
  auto end() noexcept { return items_.end(); }

 private:
  std::vector<value_type> items_;
};

/// An address as text ("127.0.0.1", "::1") and a port.
struct address {
  std::string ip;
  uint16_t port = 0;
};

/// What a protocol hands to the stream handlers when a request starts: Cowboy's Req at
/// cowboy_stream:init/3. Immutable once built; shared by the connection and the request actor.
struct request {
  std::string method;   // case-sensitive, as received: "GET"
  std::string version;  // "HTTP/1.1", "HTTP/1.0", "HTTP/2"
  std::string scheme;   // "http" or "https"
  std::string host;     // lowercase, without port
  uint16_t port = 0;
  std::string path;  // as received, percent-encoded, without the query
  std::string qs;    // without '?'
  rodeo::headers headers;
  address peer;
  address sock;
  bool has_body = false;
  std::optional<uint64_t> body_length;  // known length (content-length), if any
  std::string ref;                      // the listener's name
  std::string cert;                     // the client's TLS certificate (DER), "" without one
  std::vector<std::string>
      content_decoded;  // codings decompress_h removed (Cowboy's content_decoded)
  uint64_t streamid = 0;
};

/// Standard reason phrases; "" for an unknown status.
std::string_view reason_phrase(int status) noexcept;

}  // namespace rodeo
