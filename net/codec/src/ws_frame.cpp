#include "rodeo/ws_frame.hpp"

#include <openssl/rand.h>

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <vector>

namespace rodeo::ws {
namespace {

bool is_control(opcode op) {
  return static_cast<uint8_t>(op) >= 0x8;
}

uint64_t read_be(const uint8_t* p, int n) {
  uint64_t v = 0;
  for (int i = 0; i < n; ++i) v = (v << 8) | p[i];
  return v;
}

void write_be(char* p, uint64_t v, int n) {
  for (int i = n - 1; i >= 0; --i, v >>= 8) p[i] = static_cast<char>(v & 0xFF);
}

// Header length implied by the second header byte: 2, + 2 or 8 extended length, + 4 mask key.
size_t header_size(uint8_t b1) {
  const uint8_t len7 = b1 & 0x7F;
  return 2 + (len7 == 126 ? 2 : len7 == 127 ? 8 : 0) + ((b1 & 0x80) ? 4 : 0);
}

size_t write_header(char* out, opcode op, uint64_t size, bool fin, bool rsv1, bool masked) {
  out[0] = static_cast<char>((fin ? 0x80 : 0) | (rsv1 ? 0x40 : 0) | static_cast<uint8_t>(op));
  const char mask_bit = masked ? static_cast<char>(0x80) : 0;
  if (size <= 125) {
    out[1] = static_cast<char>(mask_bit | static_cast<char>(size));
    return 2;
  }
  if (size <= 0xFFFF) {
    out[1] = static_cast<char>(mask_bit | 126);
    write_be(out + 2, size, 2);
    return 4;
  }
  out[1] = static_cast<char>(mask_bit | 127);
  write_be(out + 2, size, 8);
  return 10;
}

}  // namespace

// --- Encoding ---

size_t write_frame_header(char* out, opcode op, uint64_t payload_size, bool fin,
                          bool rsv1) noexcept {
  return write_header(out, op, payload_size, fin, rsv1, false);
}

size_t write_masked_frame_header(char* out, opcode op, uint64_t payload_size, mask_key key,
                                 bool fin, bool rsv1) noexcept {
  const size_t n = write_header(out, op, payload_size, fin, rsv1, true);
  std::memcpy(out + n, key.data(), key.size());
  return n + key.size();
}

std::string frame(opcode op, std::string_view payload, bool fin, bool rsv1) {
  char header[max_header_size];
  const size_t n = write_frame_header(header, op, payload.size(), fin, rsv1);
  std::string out;
  out.reserve(n + payload.size());
  out.append(header, n).append(payload);
  return out;
}

std::string masked_frame(opcode op, std::string_view payload, mask_key key, bool fin, bool rsv1) {
  char header[max_header_size];
  const size_t n = write_masked_frame_header(header, op, payload.size(), key, fin, rsv1);
  std::string out(n + payload.size(), '\0');
  std::memcpy(out.data(), header, n);
  mask_copy(out.data() + n, payload.data(), payload.size(), key);
  return out;
}

std::string close_payload(uint16_t code, std::string_view reason) {
  if (code == close_code::no_status) return {};
  // Cut the reason to 123 bytes without splitting a code point (continuation bytes: 10xxxxxx).
  if (reason.size() > max_control_payload - 2) {
    size_t n = max_control_payload - 2;
    while (n > 0 && (static_cast<uint8_t>(reason[n]) & 0xC0) == 0x80) --n;
    reason = reason.substr(0, n);
  }
  std::string out(2, '\0');
  write_be(out.data(), code, 2);
  out.append(reason);
  return out;
}

namespace {

// One deflater per thread and configuration for every encoder without context takeover.
deflater& shared_deflater(int level, int mem_level, int window_bits, deflate_strategy strategy) {
  struct entry {
    int level, mem_level, window_bits;
    deflate_strategy strategy;
    std::unique_ptr<deflater> d;
  };
  thread_local std::vector<entry> cache;
  for (auto& e : cache)
    if (e.level == level && e.mem_level == mem_level && e.window_bits == window_bits &&
        e.strategy == strategy)
      return *e.d;
  cache.push_back({level, mem_level, window_bits, strategy,
                   std::make_unique<deflater>(level, mem_level, window_bits, true, strategy)});
  return *cache.back().d;
}

}  // namespace

encoder::encoder(role r) : role_(r) {}

encoder::encoder(role r, const deflate_params& params, const deflate_options& opts)
    : threshold_(opts.compression_threshold),
      level_(opts.level),
      mem_level_(opts.mem_level),
      strategy_(opts.strategy),
      compress_(true),
      role_(r) {
  const bool server = r == role::server;
  window_bits_ = server ? params.server_max_window_bits : params.client_max_window_bits;
  if (!(server ? params.server_no_context_takeover : params.client_no_context_takeover))
    deflate_ = std::make_unique<deflater>(level_, mem_level_, window_bits_, false, strategy_);
}

encoder::~encoder() = default;
encoder::encoder(encoder&&) noexcept = default;
encoder& encoder::operator=(encoder&&) noexcept = default;

std::string_view encoder::compress(std::string_view message) {
  if (deflate_) return deflate_->compress(message);
  // The shared deflater's buffer belongs to the thread: keep a copy that lives as long as ours.
  const auto out = shared_deflater(level_, mem_level_, window_bits_, strategy_).compress(message);
  buf_.assign(out);
  return buf_;
}

encoder::output encoder::encode(opcode op, std::string_view payload) {
  if (is_control(op) && payload.size() > max_control_payload)
    throw std::length_error("WebSocket control frame payload over 125 bytes");
  bool rsv1 = false;
  if (compress_ && !is_control(op) && payload.size() >= threshold_) {
    payload = compress(payload);
    rsv1 = true;
  }
  if (role_ == role::server) {
    const size_t n = write_frame_header(header_, op, payload.size(), true, rsv1);
    return {{header_, n}, payload};
  }
  mask_key key;
  if (RAND_bytes(key.data(), static_cast<int>(key.size())) != 1)
    throw std::runtime_error("RAND_bytes failed");
  const size_t n = write_masked_frame_header(header_, op, payload.size(), key, true, rsv1);
  buf_.resize(payload.size());
  mask_copy(buf_.data(), payload.data(), payload.size(), key);
  return {{header_, n}, buf_};
}

void encoder::shrink() noexcept {
  std::string{}.swap(buf_);
}

encoder::output encoder::encode_close(uint16_t code, std::string_view reason) {
  // For clients encode() masks buf_ into itself, which mask_copy allows.
  buf_ = close_payload(code, reason);
  return encode(opcode::close, buf_);
}

// --- Decoding ---

decoder::decoder(decoder_options opts) : opts_(std::move(opts)) {
  if (opts_.deflate) {
    const auto& p = *opts_.deflate;
    const bool server = opts_.side == role::server;
    inflate_ = std::make_unique<inflater>(
        server ? p.client_max_window_bits : p.server_max_window_bits,
        server ? p.client_no_context_takeover : p.server_no_context_takeover);
  }
}

decoder::~decoder() = default;
decoder::decoder(decoder&&) noexcept = default;
decoder& decoder::operator=(decoder&&) noexcept = default;

event decoder::fail(uint16_t code, const char* why) {
  state_ = state::failed;
  error_code_ = code;
  error_ = why;
  return {event_kind::error, code, why};
}

bool decoder::reject(uint16_t code, const char* why) {
  fail(code, why);
  return false;
}

event decoder::next(std::span<char>& in) {
  for (;;) {
    switch (state_) {
      case state::failed:
        in = {};
        return {event_kind::error, error_code_, error_};
      case state::closed:
        in = {};
        return {};
      case state::header:
        if (!read_header(in)) {
          if (state_ == state::failed) continue;
          return {};
        }
        break;
      case state::payload:
        break;
    }
    event ev = payload(in);
    if (ev.kind == event_kind::error) in = {};
    // need_more with the state back at `header`: a non-final fragment ended, read the next frame.
    if (ev.kind != event_kind::need_more || state_ != state::header) return ev;
  }
}

bool decoder::check_start(uint8_t b0, uint8_t b1) {
  const bool fin = b0 & 0x80;
  const bool rsv1 = b0 & 0x40;
  const uint8_t op = b0 & 0x0F;
  if (b0 & 0x30) return reject(close_code::protocol_error, "RSV2/RSV3 set");
  switch (op) {
    case 0x0:
      if (!in_message_)
        return reject(close_code::protocol_error, "continuation frame outside a message");
      if (rsv1) return reject(close_code::protocol_error, "RSV1 set on a continuation frame");
      break;
    case 0x1:
    case 0x2:
      if (in_message_)
        return reject(close_code::protocol_error, "new message inside a fragmented message");
      if (rsv1 && !inflate_)
        return reject(close_code::protocol_error, "RSV1 set without permessage-deflate");
      break;
    case 0x8:
    case 0x9:
    case 0xA:
      if (!fin) return reject(close_code::protocol_error, "fragmented control frame");
      if ((b1 & 0x7F) > max_control_payload)
        return reject(close_code::protocol_error, "control frame over 125 bytes");
      if (rsv1) return reject(close_code::protocol_error, "RSV1 set on a control frame");
      if (op == 0x8 && (b1 & 0x7F) == 1)
        return reject(close_code::protocol_error, "close frame with a 1-byte payload");
      break;
    default:
      return reject(close_code::protocol_error, "reserved opcode");
  }
  const bool masked = b1 & 0x80;
  if (opts_.side == role::server && !masked)
    return reject(close_code::protocol_error, "unmasked frame from a client");
  if (opts_.side == role::client && masked)
    return reject(close_code::protocol_error, "masked frame from a server");
  return true;
}

bool decoder::read_header(std::span<char>& in) {
  const auto* p = reinterpret_cast<const uint8_t*>(in.data());
  if (header_len_ == 0 && in.size() >= 2) {
    // Fast path: the whole header is in this chunk, parse it in place.
    if (!check_start(p[0], p[1])) return false;
    const size_t need = header_size(p[1]);
    if (in.size() >= need) {
      in = in.subspan(need);
      return start_frame(p);
    }
    std::memcpy(header_, p, in.size());
    header_len_ = static_cast<uint8_t>(in.size());
    in = {};
    return false;
  }
  // The header arrives in pieces: gather it in header_, validating the first two bytes as soon
  // as they are there.
  auto gather = [&](size_t need) {
    const size_t n = std::min(need - header_len_, in.size());
    if (n != 0) std::memcpy(header_ + header_len_, in.data(), n);
    header_len_ = static_cast<uint8_t>(header_len_ + n);
    in = in.subspan(n);
    return header_len_ == need;
  };
  const auto* h = reinterpret_cast<const uint8_t*>(header_);
  if (header_len_ < 2) {
    if (!gather(2) || !check_start(h[0], h[1])) return false;
  }
  if (!gather(header_size(h[1]))) return false;
  header_len_ = 0;
  return start_frame(h);
}

bool decoder::start_frame(const uint8_t* h) {
  uint64_t len = h[1] & 0x7F;
  size_t pos = 2;
  if (len == 126) {
    len = read_be(h + 2, 2);
    pos = 4;
    if (len <= 125) return reject(close_code::protocol_error, "length not minimally encoded");
  } else if (len == 127) {
    len = read_be(h + 2, 8);
    pos = 10;
    if (len >> 63) return reject(close_code::protocol_error, "64-bit length with the high bit set");
    if (len <= 0xFFFF) return reject(close_code::protocol_error, "length not minimally encoded");
  }
  if (h[1] & 0x80) std::memcpy(key_.data(), h + pos, key_.size());
  op_ = static_cast<opcode>(h[0] & 0x0F);
  fin_ = h[0] & 0x80;
  if (!is_control(op_)) {
    if (len > opts_.max_frame_size)
      return reject(close_code::message_too_big, "frame over max_frame_size");
    if (op_ != opcode::continuation) {
      msg_op_ = op_;
      compressed_ = h[0] & 0x40;
      msg_.clear();
      utf8_.reset();
    }
    if (!compressed_ && msg_.size() + len > opts_.max_message_size)
      return reject(close_code::message_too_big, "message over max_message_size");
    in_message_ = !fin_;
  }
  remaining_ = len;
  offset_ = 0;
  state_ = state::payload;
  return true;
}

event decoder::payload(std::span<char>& in) {
  const size_t n = static_cast<size_t>(std::min<uint64_t>(remaining_, in.size()));
  char* p = in.data();
  const bool masked = opts_.side == role::server;
  const bool text = msg_op_ == opcode::text;
  if (is_control(op_)) {
    if (masked)
      mask_copy(control_ + offset_, p, n, key_, offset_);
    else if (n != 0)
      std::memcpy(control_ + offset_, p, n);
  } else if (compressed_) {
    if (masked) mask(p, n, key_, offset_);
    const size_t old = msg_.size();
    const size_t limit = static_cast<size_t>(std::min<uint64_t>(opts_.max_message_size, SIZE_MAX));
    switch (inflate_->inflate({p, n}, msg_, limit)) {
      case inflater::status::ok:
        break;
      case inflater::status::too_big:
        return fail(close_code::message_too_big, "inflated message over max_message_size");
      case inflater::status::bad_data:
        return fail(close_code::invalid_payload, "invalid DEFLATE data");
    }
    if (text && !utf8_.feed(msg_.data() + old, msg_.size() - old))
      return fail(close_code::invalid_payload, "text message is not UTF-8");
  } else if (offset_ == 0 && fin_ && op_ != opcode::continuation && n == remaining_) {
    // Zero-copy: a whole unfragmented message in this chunk is handed out in place.
    if (masked) mask(p, n, key_);
    in = in.subspan(n);
    remaining_ = 0;
    state_ = state::header;
    const std::string_view data{p, n};
    if (text && !valid_utf8(data))
      return fail(close_code::invalid_payload, "text message is not UTF-8");
    return {text ? event_kind::text : event_kind::binary, 0, data};
  } else {
    const size_t old = msg_.size();
    msg_.resize(old + n);
    if (masked)
      mask_copy(msg_.data() + old, p, n, key_, offset_);
    else if (n != 0)
      std::memcpy(msg_.data() + old, p, n);
    if (text && !utf8_.feed(msg_.data() + old, n))
      return fail(close_code::invalid_payload, "text message is not UTF-8");
  }
  in = in.subspan(n);
  offset_ += n;
  remaining_ -= n;
  if (remaining_ != 0) return {};
  state_ = state::header;
  if (is_control(op_)) return end_control();
  return fin_ ? end_message() : event{};
}

event decoder::end_control() {
  const std::string_view data{control_, static_cast<size_t>(offset_)};
  switch (op_) {
    case opcode::ping:
      return {event_kind::ping, 0, data};
    case opcode::pong:
      return {event_kind::pong, 0, data};
    default:
      break;
  }
  if (data.empty()) {
    state_ = state::closed;
    return {event_kind::close, close_code::no_status, {}};
  }
  const auto code = static_cast<uint16_t>(read_be(reinterpret_cast<const uint8_t*>(control_), 2));
  if (!valid_close_code(code)) return fail(close_code::protocol_error, "invalid close code");
  const auto reason = data.substr(2);
  if (!valid_utf8(reason)) return fail(close_code::invalid_payload, "close reason is not UTF-8");
  state_ = state::closed;
  return {event_kind::close, code, reason};
}

event decoder::end_message() {
  if (compressed_) {
    const size_t old = msg_.size();
    const size_t limit = static_cast<size_t>(std::min<uint64_t>(opts_.max_message_size, SIZE_MAX));
    switch (inflate_->finish(msg_, limit)) {
      case inflater::status::ok:
        break;
      case inflater::status::too_big:
        return fail(close_code::message_too_big, "inflated message over max_message_size");
      case inflater::status::bad_data:
        return fail(close_code::invalid_payload, "invalid DEFLATE data");
    }
    if (msg_op_ == opcode::text && !utf8_.feed(msg_.data() + old, msg_.size() - old))
      return fail(close_code::invalid_payload, "text message is not UTF-8");
  }
  if (msg_op_ == opcode::text) {
    if (!utf8_.complete())
      return fail(close_code::invalid_payload, "text message ends inside a UTF-8 sequence");
    return {event_kind::text, 0, msg_};
  }
  return {event_kind::binary, 0, msg_};
}

std::string decoder::take(const event& ev) {
  if (!msg_.empty() && ev.data.data() == msg_.data() && ev.data.size() == msg_.size())
    return std::move(msg_);
  return std::string{ev.data};
}

void decoder::shrink() noexcept {
  if (state_ == state::payload || in_message_) return;
  std::string{}.swap(msg_);
  if (inflate_) inflate_->release();
}

}  // namespace rodeo::ws
