// The access log: metrics_h's record formatted as a Common/Combined Log Format or JSON line.
#include "rodeo/access_log.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <caf/all.hpp>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <system_error>
#include <utility>

#include "rodeo/http_header.hpp"
#include "rodeo/ws_utf8.hpp"

namespace rodeo::access_log {
namespace {

constexpr char hex[] = "0123456789ABCDEF";

// nginx's escaping for its text formats: the line stays one line, quotes stay balanced.
void append_text(std::string& out, std::string_view s) {
  if (s.empty()) {
    out += '-';
    return;
  }
  for (unsigned char c : s) {
    if (c == '"' || c == '\\' || c < 0x20 || c > 0x7e) {
      out += "\\x";
      out += hex[c >> 4];
      out += hex[c & 15];
    } else {
      out += static_cast<char>(c);
    }
  }
}

void append_json(std::string& out, std::string_view s) {
  const bool utf8 = ws::valid_utf8(s);
  out += '"';
  for (unsigned char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20 || c == 0x7f || (c > 0x7f && !utf8)) {
          out += "\\u00";
          out += hex[c >> 4];
          out += hex[c & 15];
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  out += '"';
}

std::string_view header(const metrics::record& r, std::string_view name) {
  if (!r.req) return {};
  auto* v = r.req->headers.find(name);
  return v ? std::string_view{*v} : std::string_view{};
}

// The Basic user name, as Apache's %u (the credentials are never logged otherwise).
std::string user(const metrics::record& r) {
  auto h = header(r, "authorization");
  if (h.empty()) return {};
  auto a = http_header::parse_authorization(h);
  return a && a->scheme == "basic" ? a->username : std::string{};
}

std::tm utc(std::chrono::system_clock::time_point t) {
  auto tt = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  return tm;
}

void common(std::string& out, const metrics::record& r) {
  append_text(out, r.req ? std::string_view{r.req->peer.ip} : std::string_view{});
  out += " - ";
  append_text(out, user(r));
  char date[40];
  auto tm = utc(r.wall_time);
  std::strftime(date, sizeof date, " [%d/%b/%Y:%H:%M:%S +0000] \"", &tm);
  out += date;
  if (r.req && !r.req->method.empty()) {
    append_text(out, r.req->method);
    out += ' ';
    append_text(out, r.req->path);
    if (!r.req->qs.empty()) {
      out += '?';
      append_text(out, r.req->qs);
    }
    out += ' ';
    append_text(out, r.req->version);
  } else {
    out += '-';
  }
  out += "\" ";
  if (r.resp_status > 0)
    out += std::to_string(r.resp_status);
  else
    out += '-';
  out += ' ';
  if (r.resp_body_length > 0)
    out += std::to_string(r.resp_body_length);
  else
    out += '-';
}

void json(std::string& out, const metrics::record& r) {
  char date[40];
  auto tm = utc(r.wall_time);
  auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(r.wall_time.time_since_epoch()) % 1000;
  std::strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%S", &tm);
  char frac[8];
  std::snprintf(frac, sizeof frac, ".%03dZ", static_cast<int>(ms.count()));
  out += "{\"time\":\"";
  out += date;
  out += frac;
  out += "\",\"listener\":";
  append_json(out, r.ref);
  out += ",\"stream\":" + std::to_string(r.streamid);
  if (r.req) {
    out += ",\"remote\":";
    append_json(out, r.req->peer.ip);
    out += ",\"remote_port\":" + std::to_string(r.req->peer.port);
    if (!r.req->method.empty()) {
      out += ",\"method\":";
      append_json(out, r.req->method);
      out += ",\"host\":";
      append_json(out, r.req->host);
      out += ",\"path\":";
      append_json(out, r.req->path);
      out += ",\"qs\":";
      append_json(out, r.req->qs);
      out += ",\"version\":";
      append_json(out, r.req->version);
    }
  }
  if (auto u = user(r); !u.empty()) {
    out += ",\"user\":";
    append_json(out, u);
  }
  out += ",\"status\":";
  out += r.resp_status > 0 ? std::to_string(r.resp_status) : std::string{"null"};
  out += ",\"bytes\":" + std::to_string(r.resp_body_length);
  out += ",\"req_bytes\":" + std::to_string(r.req_body_length);
  if (r.req_start && r.req_end) {
    auto us = std::chrono::duration_cast<std::chrono::microseconds>(*r.req_end - *r.req_start);
    out += ",\"duration_us\":" + std::to_string(us.count());
  }
  if (auto v = header(r, "referer"); !v.empty()) {
    out += ",\"referer\":";
    append_json(out, v);
  }
  if (auto v = header(r, "user-agent"); !v.empty()) {
    out += ",\"user_agent\":";
    append_json(out, v);
  }
  if (r.early_error) out += ",\"early_error\":true";
  if (r.reason) {
    out += ",\"reason\":";
    append_json(out, caf::to_string(r.reason));
  }
  if (!r.user_data.empty()) {
    out += ",\"user_data\":{";
    bool first = true;
    for (auto& [k, v] : r.user_data) {
      if (!first) out += ',';
      first = false;
      append_json(out, k);
      out += ':';
      append_json(out, v);
    }
    out += '}';
  }
  out += '}';
}

// The log file, shared by every connection's callback; closed with the last one.
class log_file {
 public:
  explicit log_file(const std::string& path) {
    if (path == "-") {
      fd_ = STDOUT_FILENO;
      return;
    }
    fd_ = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (fd_ < 0) throw std::system_error(errno, std::generic_category(), "access log " + path);
    owned_ = true;
  }
  ~log_file() {
    if (owned_) ::close(fd_);
  }
  log_file(const log_file&) = delete;
  log_file& operator=(const log_file&) = delete;

  void write(std::string_view line) const {
    while (!line.empty()) {
      auto n = ::write(fd_, line.data(), line.size());
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return;  // a full disk or a closed pipe loses the line, not the request
      line.remove_prefix(static_cast<size_t>(n));
    }
  }

 private:
  int fd_ = -1;
  bool owned_ = false;
};

}  // namespace

std::string format_line(const metrics::record& r, format f) {
  std::string out;
  out.reserve(256);
  if (f == format::json) {
    json(out, r);
    return out;
  }
  common(out, r);
  if (f == format::combined) {
    out += " \"";
    append_text(out, header(r, "referer"));
    out += "\" \"";
    append_text(out, header(r, "user-agent"));
    out += '"';
  }
  return out;
}

metrics::callback callback(options opts) {
  if (opts.sink)
    return [f = opts.format, sink = std::move(opts.sink)](const metrics::record& r) {
      sink(format_line(r, f));
    };
  auto file = std::make_shared<const log_file>(opts.path);
  return [f = opts.format, file](const metrics::record& r) {
    auto line = format_line(r, f);
    line += '\n';
    file->write(line);
  };
}

}  // namespace rodeo::access_log

namespace rodeo {

std::shared_ptr<const stream_handler_factory> access_log_h(access_log::options opts) {
  metrics::options m;
  m.callback = access_log::callback(std::move(opts));
  m.resp_headers_filter = [](const rodeo::headers&) {
    return rodeo::headers{};
  };
  return metrics_h(std::move(m));
}

}  // namespace rodeo
