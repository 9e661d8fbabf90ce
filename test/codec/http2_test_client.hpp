#pragma once
// The client half of the HTTP/2 machine tests: nghttp2's own client session wired to an
// http2_machine in memory (bytes are pumped both ways until both are quiet), an events recorder,
// and a raw frame builder for hand-made hostile frames.
#include <nghttp2/nghttp2.h>

#include <cstring>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "rodeo/http2_machine.hpp"

namespace h2_test {

/// What the machine told the application.
struct recorder : rodeo::http2_events {
  struct stream_log {
    rodeo::request req;
    std::string protocol;
    std::string body;
    bool fin = false;
    rodeo::headers trailers;
    bool closed = false;
    rodeo::http2_error error = rodeo::http2_error::no_error;
  };
  std::map<int32_t, stream_log> streams;
  std::function<void(int32_t, const rodeo::request&)> on_req;

  void on_request(int32_t id, rodeo::request req, std::string_view protocol) override {
    streams[id].req = std::move(req);
    streams[id].protocol = protocol;
    if (on_req) on_req(id, streams[id].req);
  }
  void on_data(int32_t id, std::string_view data, rodeo::is_fin f) override {
    streams[id].body.append(data);
    if (f == rodeo::fin) streams[id].fin = true;
  }
  void on_trailers(int32_t id, rodeo::headers t) override { streams[id].trailers = std::move(t); }
  void on_stream_closed(int32_t id, rodeo::http2_error e) override {
    streams[id].closed = true;
    streams[id].error = e;
  }
};

/// An nghttp2 client session and what it received per stream.
class client {
 public:
  struct response {
    std::vector<std::pair<std::string, std::string>> headers;  // every HEADERS frame, in order
    std::string body;
    bool closed = false;
    uint32_t error = 0;
    const std::string* header(const std::string& name) const {
      for (auto& [n, v] : headers)
        if (n == name) return &v;
      return nullptr;
    }
  };
  std::map<int32_t, response> responses;
  std::vector<std::pair<uint8_t, uint32_t>> frames;  // every frame received: type, stream id
  uint32_t goaway_error = 0xffffffff;
  int32_t goaway_last_stream = -1;
  int goaways = 0;
  std::string goaway_debug;
  std::string bytes_out;  // what the client sent and the pump has not delivered yet

  explicit client(bool auto_window = true) {
    nghttp2_session_callbacks* cbs;
    nghttp2_session_callbacks_new(&cbs);
    nghttp2_session_callbacks_set_on_header_callback(
        cbs, [](nghttp2_session*, const nghttp2_frame* f, const uint8_t* n, size_t nl,
                const uint8_t* v, size_t vl, uint8_t, void* p) {
          static_cast<client*>(p)->responses[f->hd.stream_id].headers.emplace_back(
              std::string(reinterpret_cast<const char*>(n), nl),
              std::string(reinterpret_cast<const char*>(v), vl));
          return 0;
        });
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(
        cbs, [](nghttp2_session*, uint8_t, int32_t id, const uint8_t* d, size_t len, void* p) {
          static_cast<client*>(p)->responses[id].body.append(reinterpret_cast<const char*>(d), len);
          return 0;
        });
    nghttp2_session_callbacks_set_on_stream_close_callback(
        cbs, [](nghttp2_session*, int32_t id, uint32_t code, void* p) {
          auto& r = static_cast<client*>(p)->responses[id];
          r.closed = true;
          r.error = code;
          return 0;
        });
    nghttp2_session_callbacks_set_on_frame_recv_callback(
        cbs, [](nghttp2_session*, const nghttp2_frame* f, void* p) {
          auto* c = static_cast<client*>(p);
          c->frames.emplace_back(f->hd.type, f->hd.stream_id);
          if (f->hd.type == NGHTTP2_GOAWAY) {
            ++c->goaways;
            c->goaway_error = f->goaway.error_code;
            c->goaway_last_stream = f->goaway.last_stream_id;
            c->goaway_debug.assign(reinterpret_cast<const char*>(f->goaway.opaque_data),
                                   f->goaway.opaque_data_len);
          }
          return 0;
        });
    nghttp2_option* opt;
    nghttp2_option_new(&opt);
    if (!auto_window) nghttp2_option_set_no_auto_window_update(opt, 1);
    nghttp2_session_client_new2(&session, cbs, this, opt);
    nghttp2_option_del(opt);
    nghttp2_session_callbacks_del(cbs);
    nghttp2_submit_settings(session, NGHTTP2_FLAG_NONE, nullptr, 0);
  }
  ~client() { nghttp2_session_del(session); }

  /// Submits a request; `body` is sent as DATA when given.
  int32_t request(std::vector<std::pair<std::string, std::string>> fields,
                  const std::string* body = nullptr) {
    std::vector<nghttp2_nv> nva;
    for (auto& [n, v] : fields)
      nva.push_back({reinterpret_cast<uint8_t*>(n.data()), reinterpret_cast<uint8_t*>(v.data()),
                     n.size(), v.size(), NGHTTP2_NV_FLAG_NONE});
    if (!body)
      return nghttp2_submit_request(session, nullptr, nva.data(), nva.size(), nullptr, nullptr);
    upload_ = *body;
    upload_at_ = 0;
    nghttp2_data_provider prd{};
    prd.read_callback = [](nghttp2_session*, int32_t, uint8_t* buf, size_t len, uint32_t* flags,
                           nghttp2_data_source*, void* p) -> ssize_t {
      auto* c = static_cast<client*>(p);
      size_t n = std::min(len, c->upload_.size() - c->upload_at_);
      std::memcpy(buf, c->upload_.data() + c->upload_at_, n);
      c->upload_at_ += n;
      if (c->upload_at_ == c->upload_.size()) *flags |= NGHTTP2_DATA_FLAG_EOF;
      return static_cast<ssize_t>(n);
    };
    return nghttp2_submit_request(session, nullptr, nva.data(), nva.size(), &prd, nullptr);
  }
  static std::vector<std::pair<std::string, std::string>> get(std::string path,
                                                              std::string method = "GET") {
    return {
        {":method", method}, {":scheme", "https"}, {":authority", "example.com"}, {":path", path}};
  }

  /// Moves bytes both ways until neither side has anything to send (bounded).
  void pump(rodeo::http2_machine& m) {
    for (int i = 0; i < 10000; ++i) {
      const uint8_t* data;
      ssize_t n;
      while ((n = nghttp2_session_mem_send(session, &data)) > 0)
        bytes_out.append(reinterpret_cast<const char*>(data), static_cast<size_t>(n));
      std::string in;
      m.send(in);
      if (bytes_out.empty() && in.empty()) return;
      if (!bytes_out.empty()) {
        std::string out;
        out.swap(bytes_out);
        m.recv(out);
      }
      if (!in.empty())
        nghttp2_session_mem_recv(session, reinterpret_cast<const uint8_t*>(in.data()), in.size());
    }
  }

  nghttp2_session* session;

 private:
  std::string upload_;
  size_t upload_at_ = 0;
};

/// A raw frame: 9-byte header and payload (RFC 9113 4.1).
inline std::string frame(uint8_t type, uint8_t flags, uint32_t stream_id,
                         std::string_view payload) {
  std::string f;
  auto len = static_cast<uint32_t>(payload.size());
  f += static_cast<char>(len >> 16);
  f += static_cast<char>(len >> 8);
  f += static_cast<char>(len);
  f += static_cast<char>(type);
  f += static_cast<char>(flags);
  f += static_cast<char>((stream_id >> 24) & 0x7f);
  f += static_cast<char>(stream_id >> 16);
  f += static_cast<char>(stream_id >> 8);
  f += static_cast<char>(stream_id);
  f += payload;
  return f;
}

/// Reads what the server sent when the test wrote raw frames (so no client session knows the
/// streams): each frame's type, flags, stream and payload; HEADERS decoded with nghttp2's HPACK
/// inflater; RST_STREAM and GOAWAY codes.
struct raw_reader {
  struct raw_frame {
    uint8_t type, flags;
    uint32_t stream;
    std::string payload;
  };
  std::vector<raw_frame> frames;
  std::map<uint32_t, std::vector<std::pair<std::string, std::string>>> headers;
  std::map<uint32_t, uint32_t> resets;
  nghttp2_hd_inflater* inflater;

  raw_reader() { nghttp2_hd_inflate_new(&inflater); }
  ~raw_reader() { nghttp2_hd_inflate_del(inflater); }

  static uint32_t u32(const std::string& s, size_t at) {
    auto b = [&](size_t i) {
      return static_cast<uint32_t>(static_cast<uint8_t>(s[at + i]));
    };
    return b(0) << 24 | b(1) << 16 | b(2) << 8 | b(3);
  }
  /// Parses `bytes` (whole frames) from the server.
  void read(const std::string& bytes) {
    size_t at = 0;
    while (at + 9 <= bytes.size()) {
      size_t len = u32(bytes, at) >> 8;
      raw_frame f{static_cast<uint8_t>(bytes[at + 3]), static_cast<uint8_t>(bytes[at + 4]),
                  u32(bytes, at + 5) & 0x7fffffff, bytes.substr(at + 9, len)};
      at += 9 + len;
      if (f.type == NGHTTP2_HEADERS) inflate(f.stream, f.payload);
      if (f.type == NGHTTP2_RST_STREAM) resets[f.stream] = u32(f.payload, 0);
      frames.push_back(std::move(f));
    }
  }
  const std::string* header(uint32_t stream, const std::string& name) const {
    auto it = headers.find(stream);
    if (it == headers.end()) return nullptr;
    for (auto& [n, v] : it->second)
      if (n == name) return &v;
    return nullptr;
  }

 private:
  void inflate(uint32_t stream, const std::string& block) {
    auto* in = reinterpret_cast<const uint8_t*>(block.data());
    size_t left = block.size();
    for (;;) {
      nghttp2_nv nv;
      int flags = 0;
      auto n = nghttp2_hd_inflate_hd2(inflater, &nv, &flags, in, left, 1);
      if (n < 0) return;
      in += n;
      left -= static_cast<size_t>(n);
      if (flags & NGHTTP2_HD_INFLATE_EMIT)
        headers[stream].emplace_back(std::string(reinterpret_cast<char*>(nv.name), nv.namelen),
                                     std::string(reinterpret_cast<char*>(nv.value), nv.valuelen));
      if (flags & NGHTTP2_HD_INFLATE_FINAL) {
        nghttp2_hd_inflate_end_headers(inflater);
        return;
      }
      if (n == 0 && left == 0) return;
    }
  }
};

inline const std::string preface =
    std::string("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n") + frame(4, 0, 0, "");

}  // namespace h2_test
