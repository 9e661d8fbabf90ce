#include "rodeo/multipart.hpp"

#include <random>

#include "percent.hpp"
#include "rodeo/ascii.hpp"
#include "rodeo/http_header.hpp"

namespace rodeo::multipart {

namespace {

bool is_bchar(char c) {
  if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return true;
  switch (c) {
    case '\'':
    case '(':
    case ')':
    case '+':
    case '_':
    case ',':
    case '-':
    case '.':
    case '/':
    case ':':
    case '=':
    case '?':
    case ' ':
      return true;
    default:
      return false;
  }
}

std::string_view trim(std::string_view s) {
  return http_header::trim_ows(s);
}

// RFC 8187 ext-value: charset "'" [ language ] "'" value-chars, decoded to UTF-8.
std::optional<std::string> decode_ext_value(std::string_view v) {
  auto q1 = v.find('\'');
  if (q1 == std::string_view::npos) return std::nullopt;
  auto q2 = v.find('\'', q1 + 1);
  if (q2 == std::string_view::npos) return std::nullopt;
  auto charset = v.substr(0, q1);
  bool latin1 = ascii::iequals(charset, "iso-8859-1");
  if (!latin1 && !ascii::iequals(charset, "utf-8")) return std::nullopt;
  std::string out;
  auto chars = v.substr(q2 + 1);
  for (std::size_t i = 0; i < chars.size(); ++i) {
    unsigned char b;
    if (chars[i] == '%') {
      if (i + 2 >= chars.size()) return std::nullopt;
      int hi = detail::hex_value(static_cast<unsigned char>(chars[i + 1]));
      int lo = detail::hex_value(static_cast<unsigned char>(chars[i + 2]));
      if (hi < 0 || lo < 0) return std::nullopt;
      b = static_cast<unsigned char>(hi * 16 + lo);
      i += 2;
    } else if (ascii::is_tchar(chars[i])) {
      b = static_cast<unsigned char>(chars[i]);
    } else {
      return std::nullopt;
    }
    if (latin1 && b >= 0x80) {
      out.push_back(static_cast<char>(0xc0 | b >> 6));
      out.push_back(static_cast<char>(0x80 | (b & 0x3f)));
    } else {
      out.push_back(static_cast<char>(b));
    }
  }
  return out;
}

void write_headers(const headers& hs, std::string& out) {
  for (auto& h : hs) {
    out += h.name;
    out += ": ";
    out += h.value;
    out += "\r\n";
  }
  out += "\r\n";
}

}  // namespace

const std::string* find(const headers& hs, std::string_view name) {
  for (auto& h : hs)
    if (h.name == name) return &h.value;
  return nullptr;
}

bool is_valid_boundary(std::string_view b) {
  if (b.empty() || b.size() > 70 || b.back() == ' ') return false;
  for (char c : b)
    if (!is_bchar(c)) return false;
  return true;
}

std::optional<std::string> boundary_of(std::string_view content_type) {
  auto m = http_header::parse_content_type(content_type);
  if (!m || m->type != "multipart") return std::nullopt;
  auto b = m->param("boundary");
  if (!b || !is_valid_boundary(*b)) return std::nullopt;
  return *b;
}

parser::parser(std::string boundary, limits l) : limits_(l) {
  if (!is_valid_boundary(boundary)) {
    state_ = state::failed;
    error_ = "invalid boundary";
    return;
  }
  delimiter_ = "\r\n--" + boundary;
  // The first delimiter may open the body without a CRLF before it: pretend there was one.
  buf_ = "\r\n";
}

void parser::compact() {
  if (pos_ == 0) return;
  buf_.erase(0, pos_);
  pos_ = 0;
}

void parser::feed(std::string_view bytes) {
  if (state_ == state::done || state_ == state::failed) return;
  compact();
  buf_.append(bytes);
}

void parser::finish() {
  eof_ = true;
}

event parser::fail(std::string reason) {
  state_ = state::failed;
  error_ = std::move(reason);
  data_ = {};
  return event::error;
}

// Where data stops being safe to hand out: the longest tail of buf_ that could be the start of
// a delimiter is kept back until more bytes arrive.
std::size_t parser::hold_back(std::size_t from) const {
  const std::size_t n = buf_.size();
  std::size_t start = n > from + delimiter_.size() - 1 ? n - (delimiter_.size() - 1) : from;
  for (std::size_t s = start; s < n; ++s)
    if (buf_[s] == '\r' && buf_.compare(s, n - s, delimiter_, 0, n - s) == 0) return s;
  return n;
}

event parser::next() {
  data_ = {};
  while (true) {
    switch (state_) {
      case state::failed:
        return event::error;
      case state::done:
        return event::done;
      case state::preamble: {
        auto k = buf_.find(delimiter_, pos_);
        if (k == std::string::npos) {
          pos_ = hold_back(pos_);
          if (eof_) return fail("no multipart delimiter found");
          return event::need_more;
        }
        pos_ = k + delimiter_.size();
        state_ = state::after_delimiter;
        header_size_ = 0;
        break;
      }
      case state::after_delimiter: {
        // "--" closes the body; otherwise transport padding then CRLF opens a part.
        if (buf_.size() - pos_ < 2) {
          if (eof_) return fail("truncated after a delimiter");
          return event::need_more;
        }
        if (buf_.compare(pos_, 2, "--") == 0) {
          state_ = state::done;
          buf_.clear();
          pos_ = 0;
          return event::done;
        }
        while (pos_ < buf_.size() && (buf_[pos_] == ' ' || buf_[pos_] == '\t')) {
          ++pos_;
          if (++header_size_ > limits_.max_header_size) return fail("part headers too large");
        }
        if (buf_.size() - pos_ < 2) {
          if (eof_) return fail("truncated after a delimiter");
          return event::need_more;
        }
        if (buf_.compare(pos_, 2, "\r\n") != 0) return fail("bad delimiter line");
        pos_ += 2;
        headers_.clear();
        state_ = state::header_block;
        break;
      }
      case state::header_block: {
        auto k = buf_.find("\r\n", pos_);
        if (k == std::string::npos) {
          if (header_size_ + (buf_.size() - pos_) > limits_.max_header_size)
            return fail("part headers too large");
          if (eof_) return fail("truncated part headers");
          return event::need_more;
        }
        std::string_view line{buf_.data() + pos_, k - pos_};
        header_size_ += line.size() + 2;
        if (header_size_ > limits_.max_header_size) return fail("part headers too large");
        pos_ = k + 2;
        if (line.empty()) {
          state_ = state::body;
          return event::part;
        }
        if (line.find('\0') != std::string_view::npos) return fail("NUL in a part header");
        if (line[0] == ' ' || line[0] == '\t') {
          // obs-fold: MIME headers may be folded; unfold into one space.
          if (headers_.empty()) return fail("folded line without a header");
          auto more = trim(line);
          auto& v = headers_.back().value;
          if (!more.empty()) {
            if (!v.empty()) v += ' ';
            v += more;
          }
          break;
        }
        auto colon = line.find(':');
        if (colon == std::string_view::npos) return fail("part header without ':'");
        auto name = line.substr(0, colon);
        if (!ascii::is_token(name)) return fail("bad part header name");
        if (headers_.size() == limits_.max_headers) return fail("too many part headers");
        headers_.push_back({ascii::to_lower(name), std::string{trim(line.substr(colon + 1))}});
        break;
      }
      case state::body: {
        auto k = buf_.find(delimiter_, pos_);
        if (k == pos_) {
          pos_ += delimiter_.size();
          state_ = state::after_delimiter;
          header_size_ = 0;
          return event::part_end;
        }
        std::size_t end = k != std::string::npos ? k : hold_back(pos_);
        if (end > pos_) {
          data_ = std::string_view{buf_.data() + pos_, end - pos_};
          pos_ = end;
          return event::data;
        }
        if (eof_) return fail("truncated part body");
        return event::need_more;
      }
    }
  }
}

const std::string* content_disposition::param(std::string_view name) const {
  for (auto& [n, v] : params)
    if (n == name) return &v;
  return nullptr;
}

std::optional<content_disposition> parse_content_disposition(std::string_view value) {
  auto v = trim(value);
  std::size_t i = 0;
  while (i < v.size() && ascii::is_tchar(v[i])) ++i;
  if (i == 0) return std::nullopt;
  content_disposition cd;
  cd.type = ascii::to_lower(v.substr(0, i));
  std::optional<std::string> ext_filename;
  while (true) {
    while (i < v.size() && (v[i] == ' ' || v[i] == '\t')) ++i;
    if (i == v.size()) break;
    if (v[i] != ';') return std::nullopt;
    ++i;
    while (i < v.size() && (v[i] == ' ' || v[i] == '\t')) ++i;
    if (i == v.size()) break;
    std::size_t start = i;
    while (i < v.size() && ascii::is_tchar(v[i])) ++i;
    if (i == start) return std::nullopt;
    auto name = ascii::to_lower(v.substr(start, i - start));
    while (i < v.size() && (v[i] == ' ' || v[i] == '\t')) ++i;
    if (i == v.size() || v[i] != '=') return std::nullopt;
    ++i;
    while (i < v.size() && (v[i] == ' ' || v[i] == '\t')) ++i;
    std::string pv;
    if (i < v.size() && v[i] == '"') {
      ++i;
      bool closed = false;
      while (i < v.size()) {
        char c = v[i++];
        if (c == '"') {
          closed = true;
          break;
        }
        if (c == '\\') {
          if (i == v.size()) return std::nullopt;
          c = v[i++];
        }
        if (c == '\r' || c == '\n' || c == '\0') return std::nullopt;
        pv.push_back(c);
      }
      if (!closed) return std::nullopt;
    } else {
      std::size_t vstart = i;
      // ext-value carries '%' and '\'' which are tchars already.
      while (i < v.size() && ascii::is_tchar(v[i])) ++i;
      if (i == vstart) return std::nullopt;
      pv.assign(v.substr(vstart, i - vstart));
    }
    if (name == "filename*") {
      if (auto decoded = decode_ext_value(pv)) ext_filename = std::move(decoded);
      continue;
    }
    cd.params.emplace_back(std::move(name), std::move(pv));
  }
  if (ext_filename) {
    bool replaced = false;
    for (auto& [n, pv] : cd.params)
      if (n == "filename") {
        pv = *ext_filename;
        replaced = true;
      }
    if (!replaced) cd.params.emplace_back("filename", std::move(*ext_filename));
  }
  return cd;
}

std::optional<form_data> parse_form_data(const headers& part_headers) {
  auto cd_value = find(part_headers, "content-disposition");
  if (!cd_value) return std::nullopt;
  auto cd = parse_content_disposition(*cd_value);
  if (!cd || cd->type != "form-data") return std::nullopt;
  auto name = cd->param("name");
  if (!name) return std::nullopt;
  form_data fd;
  fd.name = *name;
  if (auto filename = cd->param("filename")) {
    fd.filename = *filename;
    auto ct = find(part_headers, "content-type");
    fd.content_type = ct ? *ct : "text/plain";
  }
  return fd;
}

std::string make_boundary() {
  static constexpr char alphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  thread_local std::mt19937_64 rng{std::random_device{}()};
  std::uniform_int_distribution<std::size_t> pick(0, sizeof(alphabet) - 2);
  std::string b(48, '\0');
  for (auto& c : b) c = alphabet[pick(rng)];
  return b;
}

std::string first_part(std::string_view boundary, const headers& hs) {
  std::string out = "--";
  out += boundary;
  out += "\r\n";
  write_headers(hs, out);
  return out;
}

std::string part(std::string_view boundary, const headers& hs) {
  std::string out = "\r\n--";
  out += boundary;
  out += "\r\n";
  write_headers(hs, out);
  return out;
}

std::string close(std::string_view boundary) {
  std::string out = "\r\n--";
  out += boundary;
  out += "--\r\n";
  return out;
}

}  // namespace rodeo::multipart
