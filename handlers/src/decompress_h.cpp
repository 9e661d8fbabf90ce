// Cowboy's cowboy_decompress_h: inflates gzip/deflate request bodies on their way to the handler.
#include "rodeo/decompress_h.hpp"

#include <zlib.h>

#include <caf/all.hpp>

#include <cstring>
#include <string>
#include <utility>

#include "rodeo/http_header.hpp"

namespace rodeo {
namespace {

enum class coding { none, gzip, deflate };

coding request_coding(const rodeo::request& req) {
  auto* ce = req.headers.find("content-encoding");
  if (!ce) return coding::none;
  auto list = http_header::parse_transfer_encoding(*ce);  // the same grammar: 1#token
  if (!list || list->size() != 1) return coding::none;    // several codings: left to the handler
  if ((*list)[0] == "gzip" || (*list)[0] == "x-gzip") return coding::gzip;
  if ((*list)[0] == "deflate") return coding::deflate;
  return coding::none;
}

// What an inflate step came to.
enum class outcome { ok, corrupt, too_large };

// zlib's inflate over a body that arrives in pieces, bounded by a ratio to the input so far.
class inflater {
 public:
  explicit inflater(coding c) : coding_(c) {
    std::memset(&z_, 0, sizeof z_);
    if (c == coding::gzip) ok_ = inflateInit2(&z_, 31) == Z_OK;  // the gzip wrapper only
  }
  ~inflater() {
    if (ok_) inflateEnd(&z_);
  }
  inflater(const inflater&) = delete;
  inflater& operator=(const inflater&) = delete;

  outcome feed(std::string_view in, size_t ratio_limit, std::string& out) {
    if (coding_ == coding::deflate && !ok_) {
      // "deflate" is the zlib format (RFC 9110 §8.4.1.2), but some clients send raw deflate:
      // the first two bytes tell (a zlib header is method 8 with a check multiple of 31).
      head_.append(in);
      if (head_.size() < 2) return outcome::ok;
      auto cmf = static_cast<unsigned char>(head_[0]), flg = static_cast<unsigned char>(head_[1]);
      bool zlib = (cmf & 0x0f) == 8 && (cmf * 256 + flg) % 31 == 0;
      if (inflateInit2(&z_, zlib ? 15 : -15) != Z_OK) return outcome::corrupt;
      ok_ = true;
      std::string all = std::move(head_);
      head_.clear();
      return run(all, ratio_limit, out);
    }
    if (!ok_) return outcome::corrupt;
    return run(in, ratio_limit, out);
  }

  /// The body ended: the compressed stream must have ended too.
  bool complete() const { return ended_; }

 private:
  outcome run(std::string_view in, size_t ratio_limit, std::string& out) {
    in_total_ += in.size();
    z_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
    z_.avail_in = static_cast<uInt>(in.size());
    char buf[16384];
    for (;;) {
      if (ended_) {
        if (z_.avail_in == 0) break;
        // Bytes after the end: another gzip member (RFC 1952 §2.2), else an error.
        if (coding_ != coding::gzip || inflateReset(&z_) != Z_OK) return outcome::corrupt;
        ended_ = false;
      }
      z_.next_out = reinterpret_cast<Bytef*>(buf);
      z_.avail_out = sizeof buf;
      int rc = ::inflate(&z_, Z_NO_FLUSH);
      if (rc != Z_OK && rc != Z_STREAM_END && rc != Z_BUF_ERROR) return outcome::corrupt;
      auto n = sizeof buf - z_.avail_out;
      out.append(buf, n);
      out_total_ += n;
      if (out_total_ > in_total_ * ratio_limit) return outcome::too_large;
      if (rc == Z_STREAM_END) {
        ended_ = true;
        continue;
      }
      if (rc == Z_BUF_ERROR || (z_.avail_in == 0 && z_.avail_out != 0)) break;
    }
    return outcome::ok;
  }

  z_stream z_;
  coding coding_;
  bool ok_ = false;
  bool ended_ = false;
  std::string head_;  // deflate: the first bytes, until the format is known
  uint64_t in_total_ = 0;
  uint64_t out_total_ = 0;
};

// Advertises the codings this handler decodes (Cowboy adds gzip to accept-encoding).
void add_accept_encoding(rodeo::headers& hs) {
  auto* ae = hs.find("accept-encoding");
  if (!ae) {
    hs.set("accept-encoding", "gzip, deflate");
    return;
  }
  auto parsed = http_header::parse_accept_encoding(*ae);
  if (!parsed) {
    hs.set("accept-encoding", "gzip, deflate");
    return;
  }
  for (auto& q : *parsed)
    if (q.value == "gzip") return;  // the handler said something about gzip: its word stands
  ae->append(", gzip");
}

class decompress_impl final : public stream_handler {
 public:
  explicit decompress_impl(decompress::options opts) : opts_(opts) {}

  void init(uint64_t id, stream_context& ctx, commands& out) override {
    if (opts_.enabled) {
      auto c = request_coding(*ctx.req);
      if (c != coding::none && ctx.req->has_body) {
        auto req = std::make_shared<rodeo::request>(*ctx.req);
        req->content_decoded.push_back(c == coding::gzip ? "gzip" : "deflate");
        req->headers.erase("content-encoding");
        req->headers.erase("content-length");  // it counts the compressed bytes
        req->body_length.reset();
        ctx.req = std::move(req);
        z_.emplace(c);
      }
    }
    auto from = out.size();
    stream_handler::init(id, ctx, out);
    fold(out, from);
  }

  void data(uint64_t id, is_fin f, std::string& bytes, commands& out) override {
    if (failed_) return;
    if (!z_) {
      forward(id, f, bytes, out);
      return;
    }
    // As Cowboy: hold the compressed bytes until the handler reads, so a set_options cast
    // before its first read_body applies to the whole body.
    buf_ += bytes;
    fin_ = f;
    if (reading_) inflate_buffer(id, out);
  }

  void info(uint64_t id, caf::message& msg, commands& out) override {
    if (msg.match_elements<decompress::set_options>()) {
      auto& o = msg.get_as<decompress::set_options>(0);
      if (o.ratio_limit) opts_.ratio_limit = *o.ratio_limit;
      if (o.enabled) opts_.enabled = *o.enabled;
    }
    bool read = z_ && !reading_ && msg.match_elements<stream_message>() &&
                std::holds_alternative<read_body_op>(msg.get_as<stream_message>(0).op);
    auto from = out.size();
    stream_handler::info(id, msg, out);
    fold(out, from);
    if (read) {
      reading_ = true;
      if (!opts_.enabled) {
        z_.reset();
        std::string raw = std::move(buf_);
        buf_.clear();
        if (!raw.empty() || fin_ == fin) forward(id, fin_, raw, out);
      } else if (!buf_.empty() || fin_ == fin) {
        inflate_buffer(id, out);
      }
    }
  }

 private:
  void forward(uint64_t id, is_fin f, std::string& bytes, commands& out) {
    auto from = out.size();
    stream_handler::data(id, f, bytes, out);
    fold(out, from);
  }

  void inflate_buffer(uint64_t id, commands& out) {
    std::string inflated;
    auto r = z_->feed(buf_, opts_.ratio_limit, inflated);
    buf_.clear();
    if (r == outcome::ok && fin_ == fin && !z_->complete()) r = outcome::corrupt;
    if (r != outcome::ok) {
      failed_ = true;
      z_.reset();
      out.emplace_back(
          cmd::error_response{r == outcome::too_large ? 413 : 400, {{"content-length", "0"}}, {}});
      out.emplace_back(cmd::stop{});
      return;
    }
    if (fin_ == fin) z_.reset();
    forward(id, fin_, inflated, out);
  }

  void fold(commands& out, size_t from) {
    if (!opts_.enabled) return;
    for (size_t i = from; i < out.size(); ++i) {
      if (auto* r = std::get_if<cmd::response>(&out[i]))
        add_accept_encoding(r->headers);
      else if (auto* h = std::get_if<cmd::response_headers>(&out[i]))
        add_accept_encoding(h->headers);
    }
  }

  decompress::options opts_;
  std::optional<inflater> z_;
  std::string buf_;
  is_fin fin_ = nofin;
  bool reading_ = false;
  bool failed_ = false;
};

class decompress_factory final : public stream_handler_factory {
 public:
  explicit decompress_factory(decompress::options opts) : opts_(opts) {}
  std::unique_ptr<stream_handler> make() const override {
    return std::make_unique<decompress_impl>(opts_);
  }

 private:
  decompress::options opts_;
};

}  // namespace

std::shared_ptr<const stream_handler_factory> decompress_h(decompress::options opts) {
  return std::make_shared<const decompress_factory>(opts);
}

}  // namespace rodeo
