#include "rodeo/ws_deflate.hpp"

#include <zlib.h>

#include <algorithm>
#include <climits>
#include <cstring>
#include <memory>
#include <new>
#include <vector>

#include "rodeo/ascii.hpp"

namespace rodeo::ws {
namespace {

// --- sec-websocket-extensions syntax (RFC 6455 §9.1) ---

struct ext_param {
  std::string_view name;
  bool has_value = false;
  std::string value;  // unquoted
};

struct extension {
  std::string_view name;
  std::vector<ext_param> params;
};

using ascii::iequals;
using ascii::is_tchar;

class list_parser {
 public:
  explicit list_parser(std::string_view s) : s_(s) {}

  // extension-list = 1#extension; extension = token *( OWS ";" OWS param );
  // param = token [ OWS "=" OWS ( token / quoted-string ) ]. Empty list elements are allowed.
  bool parse(std::vector<extension>& out) {
    while (true) {
      skip_ows();
      while (peek(',')) {
        ++pos_;
        skip_ows();
      }
      if (pos_ == s_.size()) return true;
      extension ext;
      ext.name = token();
      if (ext.name.empty()) return false;
      skip_ows();
      while (peek(';')) {
        ++pos_;
        skip_ows();
        ext_param p;
        p.name = token();
        if (p.name.empty()) return false;
        skip_ows();
        if (peek('=')) {
          ++pos_;
          skip_ows();
          p.has_value = true;
          if (peek('"')) {
            if (!quoted(p.value)) return false;
          } else {
            p.value = token();
            if (p.value.empty()) return false;
          }
          skip_ows();
        }
        ext.params.push_back(std::move(p));
      }
      out.push_back(std::move(ext));
      if (pos_ != s_.size() && !peek(',')) return false;
    }
  }

 private:
  bool peek(char c) const { return pos_ < s_.size() && s_[pos_] == c; }
  void skip_ows() {
    while (pos_ < s_.size() && (s_[pos_] == ' ' || s_[pos_] == '\t')) ++pos_;
  }
  std::string_view token() {
    size_t start = pos_;
    while (pos_ < s_.size() && is_tchar(s_[pos_])) ++pos_;
    return s_.substr(start, pos_ - start);
  }
  // quoted-string with quoted-pair; RFC 6455 §9.1 requires the unescaped value to be a token.
  bool quoted(std::string& out) {
    ++pos_;
    while (pos_ < s_.size()) {
      char c = s_[pos_++];
      if (c == '"') return !out.empty();
      if (c == '\\') {
        if (pos_ == s_.size()) return false;
        c = s_[pos_++];
      }
      if (!is_tchar(c)) return false;
      out.push_back(c);
    }
    return false;
  }

  std::string_view s_;
  size_t pos_ = 0;
};

// A window size value: a decimal integer 8..15 without leading zeroes (RFC 7692 §7.1.2).
int window_bits(std::string_view v) {
  if (v.size() == 1 && v[0] >= '8' && v[0] <= '9') return v[0] - '0';
  if (v.size() == 2 && v[0] == '1' && v[1] >= '0' && v[1] <= '5') return 10 + (v[1] - '0');
  return 0;
}

constexpr std::string_view extension_name = "permessage-deflate";

// The parameters of one offer, or nullopt if the offer must be declined.
struct offer {
  bool server_no_context_takeover = false;
  bool client_no_context_takeover = false;
  int server_max_window_bits = 0;  // 0: absent
  bool client_max_window_bits = false;
  int client_max_window_bits_value = 0;  // 0: no value
};

std::optional<offer> read_offer(const extension& ext) {
  offer o;
  bool seen[4] = {};
  for (const auto& p : ext.params) {
    int which;
    if (iequals(p.name, "server_no_context_takeover"))
      which = 0;
    else if (iequals(p.name, "client_no_context_takeover"))
      which = 1;
    else if (iequals(p.name, "server_max_window_bits"))
      which = 2;
    else if (iequals(p.name, "client_max_window_bits"))
      which = 3;
    else
      return std::nullopt;  // unknown parameter (RFC 7692 §7.1)
    if (seen[which]) return std::nullopt;
    seen[which] = true;
    switch (which) {
      case 0:
      case 1:
        if (p.has_value) return std::nullopt;
        (which == 0 ? o.server_no_context_takeover : o.client_no_context_takeover) = true;
        break;
      case 2:
        if (!p.has_value || (o.server_max_window_bits = window_bits(p.value)) == 0)
          return std::nullopt;
        break;
      default:
        o.client_max_window_bits = true;
        if (p.has_value && (o.client_max_window_bits_value = window_bits(p.value)) == 0)
          return std::nullopt;
    }
  }
  return o;
}

deflate_negotiation accept(const offer& o, const deflate_options& opts) {
  const int server_bits = std::clamp(opts.server_max_window_bits, 8, 15);
  const int client_bits = std::clamp(opts.client_max_window_bits, 8, 15);
  deflate_negotiation n;
  auto& p = n.params;
  p.server_no_context_takeover = o.server_no_context_takeover || !opts.server_context_takeover;
  p.client_no_context_takeover = o.client_no_context_takeover || !opts.client_context_takeover;
  // A smaller server window than offered is allowed (§7.1.2.1); the server may also use a smaller
  // window than it announces, so without the parameter it silently uses its own limit.
  p.server_max_window_bits =
      o.server_max_window_bits ? std::min(o.server_max_window_bits, server_bits) : server_bits;
  // Without client_max_window_bits in the offer the client may use any window up to 15.
  p.client_max_window_bits = 15;
  if (o.client_max_window_bits)
    p.client_max_window_bits = o.client_max_window_bits_value
                                   ? std::min(o.client_max_window_bits_value, client_bits)
                                   : client_bits;
  n.response = extension_name;
  if (p.server_no_context_takeover) n.response += "; server_no_context_takeover";
  // Echoing the client's hint commits it, so the inflater may drop its history between messages.
  if (p.client_no_context_takeover) n.response += "; client_no_context_takeover";
  if (o.server_max_window_bits)
    n.response += "; server_max_window_bits=" + std::to_string(p.server_max_window_bits);
  if (o.client_max_window_bits)
    n.response += "; client_max_window_bits=" + std::to_string(p.client_max_window_bits);
  return n;
}

}  // namespace

std::optional<deflate_negotiation> negotiate_deflate(std::span<const std::string_view> values,
                                                     const deflate_options& opts) {
  std::vector<extension> exts;
  for (auto v : values)
    if (!list_parser{v}.parse(exts)) return std::nullopt;
  for (const auto& ext : exts) {
    if (!iequals(ext.name, extension_name)) continue;
    if (auto o = read_offer(ext)) return accept(*o, opts);
  }
  return std::nullopt;
}

std::optional<deflate_params> parse_deflate_response(std::string_view value) {
  std::vector<extension> exts;
  if (!list_parser{value}.parse(exts) || exts.size() != 1 || !iequals(exts[0].name, extension_name))
    return std::nullopt;
  auto o = read_offer(exts[0]);
  // In a response, client_max_window_bits must carry a value (RFC 7692 §7.1.2.2).
  if (!o || (o->client_max_window_bits && o->client_max_window_bits_value == 0))
    return std::nullopt;
  deflate_params p;
  p.server_no_context_takeover = o->server_no_context_takeover;
  p.client_no_context_takeover = o->client_no_context_takeover;
  if (o->server_max_window_bits) p.server_max_window_bits = o->server_max_window_bits;
  if (o->client_max_window_bits) p.client_max_window_bits = o->client_max_window_bits_value;
  return p;
}

// --- deflater ---

namespace {

int zlib_strategy(deflate_strategy s) {
  switch (s) {
    case deflate_strategy::filtered:
      return Z_FILTERED;
    case deflate_strategy::huffman_only:
      return Z_HUFFMAN_ONLY;
    case deflate_strategy::rle:
      return Z_RLE;
    case deflate_strategy::fixed:
      return Z_FIXED;
    case deflate_strategy::default_strategy:
      break;
  }
  return Z_DEFAULT_STRATEGY;
}

}  // namespace

deflater::deflater(int level, int mem_level, int window_bits, bool no_context_takeover,
                   deflate_strategy strategy)
    : level_(std::clamp(level, 0, 9)),
      mem_level_(std::clamp(mem_level, 1, 9)),
      // zlib refuses windowBits 8 for raw deflate; 9 never reaches back more than 250 bytes.
      window_bits_(std::clamp(window_bits, 9, 15)),
      no_context_takeover_(no_context_takeover),
      strategy_(strategy) {}

deflater::~deflater() {
  if (z_) {
    deflateEnd(z_);
    delete z_;
  }
}

std::string_view deflater::compress(std::string_view message) {
  // zlib emits nothing for a second sync flush without input in between, so an empty message
  // is written by hand: the 3 header bits of an empty stored block (what Chrome sends too).
  if (message.empty()) return {"\x00", 1};
  if (!z_) {
    auto z = std::make_unique<z_stream>();
    if (deflateInit2(z.get(), level_, Z_DEFLATED, -window_bits_, mem_level_,
                     zlib_strategy(strategy_)) != Z_OK)
      throw std::bad_alloc();
    z_ = z.release();
  } else if (no_context_takeover_ && used_) {
    deflateReset(z_);
  }
  used_ = true;
  // Room for the whole output in one call in practice: the bound for a single deflate plus the
  // sync flush's empty stored block. Z_SYNC_FLUSH wants more than 6 bytes free at every call.
  out_.resize(std::max<size_t>(deflateBound(z_, message.size()) + 16, 64));
  size_t used = 0;
  auto* in = reinterpret_cast<const Bytef*>(message.data());
  size_t left = message.size();
  do {
    const auto chunk = static_cast<uInt>(std::min<size_t>(left, 1u << 30));
    z_->next_in = const_cast<Bytef*>(in);
    z_->avail_in = chunk;
    const int flush = chunk == left ? Z_SYNC_FLUSH : Z_NO_FLUSH;
    do {
      if (out_.size() - used < 64) out_.resize(out_.size() * 2);
      const auto room = static_cast<uInt>(std::min<size_t>(out_.size() - used, 1u << 30));
      z_->next_out = reinterpret_cast<Bytef*>(out_.data() + used);
      z_->avail_out = room;
      ::deflate(z_, flush);
      used += room - z_->avail_out;
    } while (z_->avail_in != 0 || (flush == Z_SYNC_FLUSH && z_->avail_out == 0));
    in += chunk;
    left -= chunk;
  } while (left != 0);
  // RFC 7692 §7.2.1: remove the 00 00 ff ff of the sync flush's empty stored block.
  if (used >= 4 && std::memcmp(out_.data() + used - 4, "\x00\x00\xff\xff", 4) == 0) used -= 4;
  return {out_.data(), used};
}

// --- inflater ---

inflater::inflater(int window_bits, bool no_context_takeover)
    : window_bits_(std::clamp(window_bits, 8, 15)), no_context_takeover_(no_context_takeover) {}

inflater::~inflater() {
  if (z_) {
    inflateEnd(z_);
    delete z_;
  }
}

void inflater::release() noexcept {
  if (!z_ || !no_context_takeover_ || fed_) return;
  inflateEnd(z_);
  delete z_;
  z_ = nullptr;
}

void inflater::reset_keeping_window() {
  if (no_context_takeover_) {
    inflateReset(z_);
    return;
  }
  // A new DEFLATE stream after a final block still shares the sliding window (context takeover).
  auto window = std::make_unique<Bytef[]>(size_t{1} << window_bits_);
  uInt size = 0;
  inflateGetDictionary(z_, window.get(), &size);
  inflateReset(z_);
  inflateSetDictionary(z_, window.get(), size);
}

inflater::status inflater::run(const unsigned char* in, size_t size, std::string& out,
                               size_t limit) {
  if (!z_) {
    auto z = std::make_unique<z_stream>();
    if (inflateInit2(z.get(), -window_bits_) != Z_OK) throw std::bad_alloc();
    z_ = z.release();
  }
  if (out.size() > limit) return status::too_big;
  do {
    const auto chunk = static_cast<uInt>(std::min<size_t>(size, 1u << 30));
    z_->next_in = const_cast<Bytef*>(in);
    z_->avail_in = chunk;
    in += chunk;
    size -= chunk;
    do {
      // At most limit + 1 bytes in total: one byte past the limit proves the message too big.
      const size_t room = limit - out.size() == SIZE_MAX ? SIZE_MAX : limit - out.size() + 1;
      const size_t grow =
          std::min({room, std::max<size_t>(size_t{z_->avail_in} * 4, 4096), size_t{1} << 30});
      const size_t old = out.size();
      out.resize(old + grow);
      z_->next_out = reinterpret_cast<Bytef*>(out.data() + old);
      z_->avail_out = static_cast<uInt>(grow);
      const int rc = ::inflate(z_, Z_SYNC_FLUSH);
      out.resize(old + grow - z_->avail_out);
      if (rc == Z_STREAM_END) {
        reset_keeping_window();
        after_final_ = z_->avail_in == 0 && size == 0;
      } else if (rc != Z_OK && !(rc == Z_BUF_ERROR && z_->avail_in == 0)) {
        return status::bad_data;  // a data error, or no progress with input left
      }
      if (out.size() > limit) return status::too_big;
    } while (z_->avail_in != 0 || z_->avail_out == 0);
  } while (size != 0);
  return status::ok;
}

inflater::status inflater::inflate(std::string_view chunk, std::string& out, size_t limit) {
  if (chunk.empty()) return status::ok;
  fed_ = true;
  after_final_ = false;
  return run(reinterpret_cast<const unsigned char*>(chunk.data()), chunk.size(), out, limit);
}

inflater::status inflater::finish(std::string& out, size_t limit) {
  static constexpr unsigned char tail[4] = {0x00, 0x00, 0xff, 0xff};
  status st = status::ok;
  // An empty compressed message carries no DEFLATE data at all; Chrome sends 0x00 instead, but
  // tolerate it rather than feed the tail alone, which would leave a stored block half read.
  if (fed_ && !after_final_) {
    st = run(tail, sizeof tail, out, limit);
    // The tail completes the empty stored block that ends every message (§7.2.1): inflate must
    // now wait for a block header, else the message was truncated.
    if (st == status::ok && !after_final_ && (z_->data_type & 128) == 0) st = status::bad_data;
  }
  if (no_context_takeover_ && z_) inflateReset(z_);
  fed_ = false;
  after_final_ = false;
  return st;
}

inflater::status inflater::decompress(std::string_view message, std::string& out, size_t limit) {
  if (auto st = inflate(message, out, limit); st != status::ok) return st;
  return finish(out, limit);
}

}  // namespace rodeo::ws
