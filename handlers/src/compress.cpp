// Cowboy's cowboy_compress_h: gzip response bodies for clients that accept it.
#include <zlib.h>

#include <caf/all.hpp>

#include <cstring>
#include <optional>
#include <string>

#include "rodeo/http_header.hpp"
#include "rodeo/stream_handler.hpp"

namespace rodeo {
namespace {

bool accepts_gzip(const rodeo::request& req) {
  auto* ae = req.headers.find("accept-encoding");
  if (!ae) return false;
  auto parsed = http_header::parse_accept_encoding(*ae);
  if (!parsed) return false;
  std::optional<int> gzip, any;
  for (auto& q : *parsed) {
    if (q.value == "gzip" || q.value == "x-gzip")
      gzip = q.quality;
    else if (q.value == "*")
      any = q.quality;
  }
  return gzip ? *gzip > 0 : (any && *any > 0);
}

void add_vary(rodeo::headers& hs) {
  if (auto* v = hs.find("vary")) {
    if (v->find("accept-encoding") == std::string::npos && *v != "*")
      v->append(", accept-encoding");
  } else {
    hs.set("vary", "accept-encoding");
  }
}

// A gzip stream (RFC 1952) over zlib.
class gzip_stream {
 public:
  gzip_stream() {
    std::memset(&z_, 0, sizeof z_);
    ok_ = deflateInit2(&z_, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) ==
          Z_OK;
  }
  ~gzip_stream() {
    if (ok_) deflateEnd(&z_);
  }
  gzip_stream(const gzip_stream&) = delete;
  gzip_stream& operator=(const gzip_stream&) = delete;
  bool ok() const { return ok_; }

  // Z_SYNC_FLUSH makes every piece decodable on arrival (streaming); Z_FINISH ends the stream.
  std::string deflate(std::string_view in, int flush) {
    std::string out;
    z_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
    z_.avail_in = static_cast<uInt>(in.size());
    char buf[16384];
    for (;;) {
      z_.next_out = reinterpret_cast<Bytef*>(buf);
      z_.avail_out = sizeof buf;
      int rc = ::deflate(&z_, flush);
      out.append(buf, sizeof buf - z_.avail_out);
      if (rc == Z_STREAM_END || (z_.avail_out != 0 && z_.avail_in == 0)) break;
      if (rc != Z_OK && rc != Z_BUF_ERROR) break;
    }
    return out;
  }

 private:
  z_stream z_;
  bool ok_ = false;
};

class compress_impl final : public stream_handler {
 public:
  explicit compress_impl(size_t threshold) : threshold_(threshold) {}

  void init(uint64_t id, stream_context& ctx, commands& out) override {
    enabled_ = accepts_gzip(*ctx.req);
    auto from = out.size();
    stream_handler::init(id, ctx, out);
    filter(out, from);
  }
  void data(uint64_t id, is_fin fin, std::string& bytes, commands& out) override {
    auto from = out.size();
    stream_handler::data(id, fin, bytes, out);
    filter(out, from);
  }
  void info(uint64_t id, caf::message& msg, commands& out) override {
    auto from = out.size();
    stream_handler::info(id, msg, out);
    filter(out, from);
  }

 private:
  void filter(commands& out, size_t from) {
    if (!enabled_ && !gz_) return;
    for (size_t i = from; i < out.size(); ++i) {
      auto& c = out[i];
      if (auto* r = std::get_if<cmd::response>(&c)) {
        compress_response(*r);
      } else if (auto* h = std::get_if<cmd::response_headers>(&c)) {
        start_stream(*h);
      } else if (auto* d = std::get_if<cmd::data>(&c); d && gz_) {
        d->bytes = gz_->deflate(d->bytes, d->fin == fin ? Z_FINISH : Z_SYNC_FLUSH);
        if (d->fin == fin) gz_.reset();
      } else if (std::holds_alternative<cmd::sendfile>(c) && gz_) {
        // File ranges bypass the process: they cannot be deflated on the way.
        c = cmd::internal_error{"a file range in a gzip-compressed stream (set content-length)"};
      } else if ((std::holds_alternative<cmd::trailers>(c) ||
                  std::holds_alternative<cmd::stop>(c)) &&
                 gz_) {
        // The body ends without a fin data command: close the gzip stream first.
        auto tail = gz_->deflate({}, Z_FINISH);
        gz_.reset();
        out.insert(out.begin() + static_cast<std::ptrdiff_t>(i),
                   cmd::data{nofin, std::move(tail), {}});
        ++i;
      }
    }
  }

  static bool compressible(int status, const rodeo::headers& hs) {
    return status >= 200 && status != 204 && status != 206 && status != 304 &&
           !hs.contains("content-encoding");
  }

  void compress_response(cmd::response& r) {
    if (!enabled_ || !compressible(r.status, r.headers)) return;
    add_vary(r.headers);
    if (r.body.size() < threshold_) return;
    gzip_stream gz;
    if (!gz.ok()) return;
    r.body = gz.deflate(r.body, Z_FINISH);
    r.headers.set("content-encoding", "gzip");
    r.headers.erase("content-length");
  }

  void start_stream(cmd::response_headers& h) {
    if (!enabled_ || !compressible(h.status, h.headers) || h.headers.contains("content-length"))
      return;
    gz_.emplace();
    if (!gz_->ok()) {
      gz_.reset();
      return;
    }
    add_vary(h.headers);
    h.headers.set("content-encoding", "gzip");
  }

  size_t threshold_;
  bool enabled_ = false;
  std::optional<gzip_stream> gz_;
};

class compress_factory final : public stream_handler_factory {
 public:
  explicit compress_factory(size_t threshold) : threshold_(threshold) {}
  std::unique_ptr<stream_handler> make() const override {
    return std::make_unique<compress_impl>(threshold_);
  }

 private:
  size_t threshold_;
};

}  // namespace

std::shared_ptr<const stream_handler_factory> compress_h(size_t threshold) {
  return std::make_shared<const compress_factory>(threshold);
}

}  // namespace rodeo
