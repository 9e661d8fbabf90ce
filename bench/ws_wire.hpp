#pragma once
// The RFC 6455 / RFC 7692 pieces the load client and the reference echo server share, written here
// independently of net/ so that the client checks the server instead of agreeing with it by
// construction: accept key, frame headers, masking, permessage-deflate, header lookup.
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <zlib.h>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace bench::ws {

enum opcode : uint8_t {
  op_continuation = 0x0,
  op_text = 0x1,
  op_binary = 0x2,
  op_close = 0x8,
  op_ping = 0x9,
  op_pong = 0xA,
};

/// Sec-WebSocket-Accept for a Sec-WebSocket-Key: base64(SHA-1(key + GUID)).
inline std::string accept_key(std::string_view key) {
  std::string input{key};
  input += "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
  unsigned char digest[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(input.data()), input.size(), digest);
  unsigned char out[4 * ((SHA_DIGEST_LENGTH + 2) / 3) + 1];
  int n = EVP_EncodeBlock(out, digest, SHA_DIGEST_LENGTH);
  return std::string(reinterpret_cast<char*>(out), static_cast<size_t>(n));
}

inline std::string base64(const unsigned char* data, size_t n) {
  std::string out(4 * ((n + 2) / 3) + 1, '\0');
  int len =
      EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data, static_cast<int>(n));
  out.resize(static_cast<size_t>(len));
  return out;
}

/// Writes a frame header into `out` (at least 14 bytes); returns its length. A non-null `mask`
/// sets the MASK bit and appends the key (client to server frames).
inline size_t write_header(uint8_t* out, bool fin, bool rsv1, uint8_t op, uint64_t len,
                           const uint8_t* mask) {
  size_t n = 0;
  out[n++] = static_cast<uint8_t>((fin ? 0x80 : 0) | (rsv1 ? 0x40 : 0) | op);
  uint8_t mask_bit = mask ? 0x80 : 0;
  if (len < 126) {
    out[n++] = static_cast<uint8_t>(mask_bit | len);
  } else if (len <= 0xFFFF) {
    out[n++] = mask_bit | 126;
    out[n++] = static_cast<uint8_t>(len >> 8);
    out[n++] = static_cast<uint8_t>(len);
  } else {
    out[n++] = mask_bit | 127;
    for (int i = 7; i >= 0; --i) out[n++] = static_cast<uint8_t>(len >> (8 * i));
  }
  if (mask) {
    std::memcpy(out + n, mask, 4);
    n += 4;
  }
  return n;
}

struct header {
  bool fin = false;
  bool rsv1 = false;
  uint8_t rsv23 = 0;
  uint8_t op = 0;
  bool masked = false;
  uint8_t mask[4] = {0, 0, 0, 0};
  uint64_t len = 0;
  size_t size = 0;  // bytes of the header itself
};

/// Parses a frame header from the first `n` bytes: 1 = complete, 0 = need more bytes, -1 = invalid
/// (a 64-bit length with its top bit set, or a non-minimal length encoding).
inline int parse_header(const uint8_t* p, size_t n, header& h) {
  if (n < 2) return 0;
  h.fin = p[0] & 0x80;
  h.rsv1 = p[0] & 0x40;
  h.rsv23 = p[0] & 0x30;
  h.op = p[0] & 0x0F;
  h.masked = p[1] & 0x80;
  uint64_t len = p[1] & 0x7F;
  size_t pos = 2;
  if (len == 126) {
    if (n < 4) return 0;
    len = (uint64_t{p[2]} << 8) | p[3];
    if (len < 126) return -1;
    pos = 4;
  } else if (len == 127) {
    if (n < 10) return 0;
    len = 0;
    for (int i = 0; i < 8; ++i) len = (len << 8) | p[2 + i];
    if ((len >> 63) != 0 || len <= 0xFFFF) return -1;
    pos = 10;
  }
  if (h.masked) {
    if (n < pos + 4) return 0;
    std::memcpy(h.mask, p + pos, 4);
    pos += 4;
  }
  h.len = len;
  h.size = pos;
  return 1;
}

/// XORs `n` bytes with the 4-byte key, starting at key offset `phase` (for payloads in pieces).
inline void apply_mask(uint8_t* p, size_t n, const uint8_t key[4], size_t phase = 0) {
  uint8_t k[8];
  for (size_t i = 0; i < 8; ++i) k[i] = key[(i + phase) & 3];
  uint64_t k64;
  std::memcpy(&k64, k, 8);
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t w;
    std::memcpy(&w, p + i, 8);
    w ^= k64;
    std::memcpy(p + i, &w, 8);
  }
  for (; i < n; ++i) p[i] ^= k[i & 7];
}

/// Case-insensitive lookup of a header's value in an HTTP header block (up to the blank line).
inline std::optional<std::string_view> find_header(std::string_view block, std::string_view name) {
  size_t pos = block.find("\r\n");
  while (pos != std::string_view::npos && pos + 2 < block.size()) {
    size_t start = pos + 2;
    size_t end = block.find("\r\n", start);
    if (end == std::string_view::npos || end == start) break;
    auto line = block.substr(start, end - start);
    auto colon = line.find(':');
    if (colon == name.size() &&
        std::equal(name.begin(), name.end(), line.begin(), [](char a, char b) {
          return std::tolower(static_cast<unsigned char>(a)) ==
                 std::tolower(static_cast<unsigned char>(b));
        })) {
      auto value = line.substr(colon + 1);
      while (!value.empty() && (value.front() == ' ' || value.front() == '\t'))
        value.remove_prefix(1);
      while (!value.empty() && (value.back() == ' ' || value.back() == '\t'))
        value.remove_suffix(1);
      return value;
    }
    pos = end;
  }
  return std::nullopt;
}

inline bool contains_token(std::string_view value, std::string_view token) {
  auto lower = [](std::string_view s) {
    std::string out{s};
    for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
  };
  return lower(value).find(lower(token)) != std::string::npos;
}

/// permessage-deflate parameters as negotiated (RFC 7692 §7.1).
struct deflate_params {
  bool server_no_context_takeover = false;
  bool client_no_context_takeover = false;
  int server_max_window_bits = 15;
  int client_max_window_bits = 15;
};

/// Parses the first permessage-deflate offer or answer in a Sec-WebSocket-Extensions value.
inline std::optional<deflate_params> parse_deflate(std::string_view value) {
  auto trim = [](std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
  };
  while (!value.empty()) {
    auto comma = value.find(',');
    auto ext = value.substr(0, comma);
    value = comma == std::string_view::npos ? std::string_view{} : value.substr(comma + 1);
    auto semi = ext.find(';');
    if (trim(ext.substr(0, semi)) != "permessage-deflate") continue;
    deflate_params p;
    while (semi != std::string_view::npos) {
      ext = ext.substr(semi + 1);
      semi = ext.find(';');
      auto param = trim(ext.substr(0, semi));
      auto eq = param.find('=');
      auto key = trim(param.substr(0, eq));
      int bits = 15;
      if (eq != std::string_view::npos) {
        auto v = trim(param.substr(eq + 1));
        if (!v.empty() && v.front() == '"') v = v.substr(1, v.size() - 2);
        bits = std::atoi(std::string{v}.c_str());
        if (bits < 8 || bits > 15) return std::nullopt;
      }
      if (key == "server_no_context_takeover")
        p.server_no_context_takeover = true;
      else if (key == "client_no_context_takeover")
        p.client_no_context_takeover = true;
      else if (key == "server_max_window_bits")
        p.server_max_window_bits = bits;
      else if (key == "client_max_window_bits")
        p.client_max_window_bits = bits;
      else
        return std::nullopt;
    }
    return p;
  }
  return std::nullopt;
}

/// One endpoint's permessage-deflate state: compresses what it sends, inflates what it receives.
class deflater {
 public:
  /// `send_bits`/`recv_bits`: LZ77 window of each direction; `reset_send`/`reset_recv`: no context
  /// takeover in that direction. Level 1: a load tool should spend its CPU on sending, not on
  /// squeezing bytes.
  deflater(int send_bits, int recv_bits, bool reset_send, bool reset_recv)
      : reset_send_(reset_send), reset_recv_(reset_recv) {
    // zlib refuses a raw window of 8 bits; 9 produces streams an 8-bit window can read.
    deflateInit2(&def_, Z_BEST_SPEED, Z_DEFLATED, -std::max(send_bits, 9), 8, Z_DEFAULT_STRATEGY);
    inflateInit2(&inf_, -std::max(recv_bits, 9));
  }
  deflater(const deflater&) = delete;
  deflater& operator=(const deflater&) = delete;
  ~deflater() {
    deflateEnd(&def_);
    inflateEnd(&inf_);
  }

  /// Compresses one whole message into `out` (the empty final block's 00 00 FF FF removed).
  bool compress(const uint8_t* data, size_t n, std::string& out) {
    out.clear();
    def_.next_in = const_cast<Bytef*>(data);
    def_.avail_in = static_cast<uInt>(n);
    uint8_t chunk[16384];
    do {
      def_.next_out = chunk;
      def_.avail_out = sizeof chunk;
      if (deflate(&def_, Z_SYNC_FLUSH) == Z_STREAM_ERROR) return false;
      out.append(reinterpret_cast<char*>(chunk), sizeof chunk - def_.avail_out);
    } while (def_.avail_out == 0);
    if (out.size() < 4 || out.compare(out.size() - 4, 4, std::string_view("\0\0\xff\xff", 4)) != 0)
      return false;
    out.resize(out.size() - 4);
    if (reset_send_) deflateReset(&def_);
    return true;
  }

  /// Inflates one whole compressed message into `out`; false on corrupt data or when the result
  /// would exceed `limit` bytes.
  bool decompress(const uint8_t* data, size_t n, std::string& out, size_t limit) {
    out.clear();
    static const uint8_t tail[4] = {0, 0, 0xFF, 0xFF};
    for (int part = 0; part < 2; ++part) {
      inf_.next_in = const_cast<Bytef*>(part == 0 ? data : tail);
      inf_.avail_in = static_cast<uInt>(part == 0 ? n : 4);
      uint8_t chunk[16384];
      // inflate stops when the input is used up or the output is full: loop while it was full.
      do {
        inf_.next_out = chunk;
        inf_.avail_out = sizeof chunk;
        int rc = inflate(&inf_, Z_SYNC_FLUSH);
        if (rc != Z_OK && rc != Z_BUF_ERROR && rc != Z_STREAM_END) return false;
        out.append(reinterpret_cast<char*>(chunk), sizeof chunk - inf_.avail_out);
        if (out.size() > limit) return false;
        if (rc != Z_OK) break;
      } while (inf_.avail_out == 0);
    }
    if (reset_recv_) inflateReset(&inf_);
    return true;
  }

 private:
  z_stream def_{};
  z_stream inf_{};
  bool reset_send_;
  bool reset_recv_;
};

}  // namespace bench::ws
