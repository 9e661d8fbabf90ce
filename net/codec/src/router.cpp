#include "rodeo/router.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <stdexcept>

#include "rodeo/ascii.hpp"
#include "rodeo/uri.hpp"

namespace rodeo {

namespace detail {

namespace {

using segment = dispatch::segment;

[[noreturn]] void bad_pattern(std::string_view pattern, std::string_view why) {
  throw std::invalid_argument("route pattern \"" + std::string{pattern} +
                              "\": " + std::string{why});
}

// n optional groups give 2^n alternatives: a pattern with more is refused rather than compiled
// for minutes (found by fuzz-router).
constexpr std::size_t max_alternatives = 1024;

// Expands optional "[...]" groups into every alternative, in Cowboy's order: without the group,
// then with it, recursively. "[...]" (the wildcard) is left in place.
void expand(std::string_view full, const std::string& s, char sep, std::vector<std::string>& out) {
  std::size_t i = 0;
  for (; i < s.size(); ++i) {
    if (s[i] == '[') {
      if (s.compare(i, 5, "[...]") == 0) {
        i += 4;
        continue;
      }
      break;
    }
  }
  if (i == s.size()) {
    if (out.size() == max_alternatives)
      bad_pattern(full, "more than 1024 alternatives from optional segments");
    out.push_back(s);
    return;
  }
  bool segment_start = i == 0 || s[i - 1] == sep;
  bool sep_follows = i + 1 < s.size() && s[i + 1] == sep;
  if (!segment_start && !sep_follows) bad_pattern(full, "'[' in the middle of a segment");
  std::size_t depth = 0, j = i + 1;
  for (; j < s.size(); ++j) {
    if (s[j] == '[') {
      ++depth;
    } else if (s[j] == ']') {
      if (depth == 0) break;
      --depth;
    }
  }
  if (j == s.size()) bad_pattern(full, "missing ']'");
  std::string prefix = s.substr(0, i);
  std::string inner = s.substr(i + 1, j - i - 1);
  std::string after = s.substr(j + 1);
  // Cowboy ends the current segment at the bracket, so the alternative without the group keeps
  // a separator between what came before and what comes after.
  expand(full, segment_start ? prefix + after : prefix + sep + after, sep, out);
  expand(full, prefix + inner + after, sep, out);
}

std::vector<segment> tokenize(std::string_view full, std::string_view s, char sep) {
  std::vector<segment> segs;
  std::string acc;
  auto flush = [&] {
    if (!acc.empty()) segs.push_back({segment::kind::literal, std::move(acc)});
    acc.clear();
  };
  std::size_t i = 0;
  while (i < s.size()) {
    char c = s[i];
    if (c == sep) {
      flush();
      ++i;
    } else if (c == ':' && acc.empty()) {
      std::size_t j = i + 1;
      while (j < s.size() && s[j] != sep && s[j] != '[' && s[j] != ']') ++j;
      auto name = s.substr(i + 1, j - i - 1);
      if (name.empty()) bad_pattern(full, "empty binding name");
      if (name == "_")
        segs.push_back({segment::kind::any, {}});
      else
        segs.push_back({segment::kind::bind, std::string{name}});
      i = j;
      if (i < s.size() && s[i] != sep && s.compare(i, 5, "[...]") != 0)
        bad_pattern(full, "unexpected bracket after a binding");
    } else if (s.compare(i, 5, "[...]") == 0) {
      flush();
      segs.push_back({segment::kind::rest, {}});
      i += 5;
    } else if (c == '[' || c == ']') {
      bad_pattern(full, "misplaced bracket");
    } else {
      acc.push_back(c);
      ++i;
    }
  }
  flush();
  return segs;
}

void check_rest_last(std::string_view full, const std::vector<segment>& segs) {
  for (std::size_t k = 0; k + 1 < segs.size(); ++k)
    if (segs[k].type == segment::kind::rest) bad_pattern(full, "'[...]' must end the pattern");
}

// A small vector on the stack for the common case, growing on the heap past N. The inline array
// is not zeroed: T is trivial and nothing past size_ is read.
template <class T, std::size_t N>
class small_vector {
 public:
  void push_back(T x) {
    if (heap_.empty() && size_ < N) {
      inline_[size_++] = x;
      return;
    }
    if (heap_.empty()) heap_.assign(inline_.begin(), inline_.begin() + size_);
    heap_.push_back(x);
    ++size_;
  }
  void pop_back() {
    if (!heap_.empty()) heap_.pop_back();
    --size_;
  }
  void resize_down(std::size_t n) {
    if (!heap_.empty()) heap_.resize(n);
    size_ = n;
  }
  std::size_t size() const { return size_; }
  T& operator[](std::size_t i) { return heap_.empty() ? inline_[i] : heap_[i]; }
  const T& operator[](std::size_t i) const { return heap_.empty() ? inline_[i] : heap_[i]; }

 private:
  std::array<T, N> inline_;
  std::vector<T> heap_;
  std::size_t size_ = 0;
};

using token_list = small_vector<std::string_view, 32>;

struct raw_binding {
  std::string_view name;
  std::string_view text;
};
using raw_bindings = small_vector<raw_binding, 16>;

// Host tokens, last label first ("www.ninenines.eu" -> eu, ninenines, www). A trailing dot is
// allowed; an empty label elsewhere is not.
bool split_host(std::string_view host, token_list& out) {
  if (!host.empty() && host.back() == '.') host.remove_suffix(1);
  if (host.empty()) return true;
  std::size_t end = host.size();
  while (true) {
    auto dot = host.rfind('.', end - 1);
    std::size_t start = dot == std::string_view::npos ? 0 : dot + 1;
    if (start == end) return false;
    out.push_back(host.substr(start, end - start));
    if (dot == std::string_view::npos) return true;
    if (dot == 0) return false;
    end = dot;
  }
}

bool is_plain_segment(std::string_view s) {
  for (char c : s)
    if (c == '%' || !uri::is_pchar(c)) return false;
  return true;
}

// Cowboy's split_path: decoded segments (views into path when nothing needed decoding, else into
// `decoded`, reserved to path's size so it never moves), dot segments removed.
bool split_path(std::string_view path, std::string& decoded, token_list& out) {
  if (path.empty() || path[0] != '/') return false;
  std::size_t i = 1;
  while (i < path.size()) {
    auto slash = path.find('/', i);
    auto end = slash == std::string_view::npos ? path.size() : slash;
    auto raw = path.substr(i, end - i);
    std::string_view seg = raw;
    if (!is_plain_segment(raw)) {
      if (decoded.capacity() < path.size()) decoded.reserve(path.size());
      std::size_t from = decoded.size();
      if (!uri::percent_decode_to(raw, decoded)) return false;
      seg = std::string_view{decoded}.substr(from);
    }
    if (seg == ".") {
    } else if (seg == "..") {
      if (out.size() > 0) out.pop_back();
    } else {
      out.push_back(seg);
    }
    i = end + 1;
  }
  return true;
}

// Cowboy's list_match. On success `rest` is where a trailing wildcard started (or npos).
bool list_match(const token_list& tokens, const std::vector<segment>& segs, raw_bindings& binds,
                bool host, std::size_t& rest) {
  rest = std::string_view::npos;
  std::size_t i = 0;
  for (auto& seg : segs) {
    if (seg.type == segment::kind::rest) {
      rest = i;
      return true;
    }
    if (i == tokens.size()) return false;
    auto tok = tokens[i++];
    switch (seg.type) {
      case segment::kind::any:
        break;
      case segment::kind::literal:
        if (host ? !ascii::iequals(seg.text, tok) : seg.text != tok) return false;
        break;
      case segment::kind::bind: {
        bool seen = false;
        for (std::size_t b = 0; b < binds.size(); ++b) {
          if (binds[b].name == seg.text) {
            if (binds[b].text != tok) return false;
            seen = true;
            break;
          }
        }
        if (!seen) binds.push_back({seg.text, tok});
        break;
      }
      case segment::kind::rest:
        break;
    }
  }
  return i == tokens.size();
}

bool check_constraints(const fields& fs, rodeo::bindings& bs) {
  for (auto& f : fs) {
    if (f.constraints.empty()) continue;
    auto* v = bs.find(f.name);
    if (!v) continue;
    auto r = validate(std::move(*v), f.constraints);
    if (!r) return false;
    *v = std::move(*r);
  }
  return true;
}

std::vector<std::string> to_strings(const token_list& tokens, std::size_t from, bool reversed) {
  std::vector<std::string> out;
  out.reserve(tokens.size() - from);
  if (reversed)
    for (std::size_t k = tokens.size(); k > from; --k) out.emplace_back(tokens[k - 1]);
  else
    for (std::size_t k = from; k < tokens.size(); ++k) out.emplace_back(tokens[k]);
  return out;
}

}  // namespace

dispatch::dispatch(std::vector<host_spec> hosts) {
  for (auto& h : hosts) {
    std::size_t r = rules_.size();
    rules_.push_back({std::move(h.constraints), {}, {}});
    auto& rule = rules_.back();
    for (auto& p : h.paths) {
      std::size_t c = rule.path_constraints.size();
      rule.path_constraints.push_back(std::move(p.constraints));
      if (p.pattern == "_") {
        rule.paths.push_back({compiled_path::kind::any, {}, p.handler, c});
      } else if (p.pattern == "*") {
        rule.paths.push_back({compiled_path::kind::asterisk, {}, p.handler, c});
      } else {
        if (p.pattern.empty() || p.pattern[0] != '/')
          bad_pattern(p.pattern, "a path must begin with '/'");
        std::vector<std::string> alts;
        expand(p.pattern, p.pattern.substr(1), '/', alts);
        for (auto& a : alts) {
          auto segs = tokenize(p.pattern, a, '/');
          check_rest_last(p.pattern, segs);
          rule.paths.push_back({compiled_path::kind::segments, std::move(segs), p.handler, c});
        }
      }
    }
    if (h.pattern == "_") {
      hosts_.push_back({true, {}, r});
      continue;
    }
    std::vector<std::string> alts;
    expand(h.pattern, h.pattern, '.', alts);
    for (auto& a : alts) {
      auto segs = tokenize(h.pattern, a, '.');
      std::reverse(segs.begin(), segs.end());
      check_rest_last(h.pattern, segs);
      hosts_.push_back({false, std::move(segs), r});
    }
  }
}

dispatch::result dispatch::match(std::string_view host, std::string_view path) const {
  result res;
  token_list host_tokens;
  bool host_split = false;
  token_list path_tokens;
  std::string decoded;
  bool path_split = false;
  raw_bindings raw;

  for (auto& h : hosts_) {
    const rule& rl = rules_[h.rule];
    rodeo::bindings host_bindings;
    std::optional<std::vector<std::string>> host_info;
    raw.resize_down(0);
    if (!h.any) {
      if (!host_split) {
        if (!split_host(host, host_tokens)) {
          res.status = route_status::bad_request;
          return res;
        }
        host_split = true;
      }
      std::size_t rest;
      if (!list_match(host_tokens, h.segments, raw, true, rest)) continue;
      for (std::size_t b = 0; b < raw.size(); ++b)
        host_bindings.set(raw[b].name, value{raw[b].text});
      if (!check_constraints(rl.constraints, host_bindings)) continue;
      if (rest != std::string_view::npos) host_info = to_strings(host_tokens, rest, true);
    }
    // The first host that matches decides: its paths are searched and nothing after it.
    const std::size_t host_raw = raw.size();
    for (auto& p : rl.paths) {
      std::optional<std::vector<std::string>> path_info;
      raw.resize_down(host_raw);
      rodeo::bindings bs = host_bindings;
      switch (p.type) {
        case compiled_path::kind::any:
          break;
        case compiled_path::kind::asterisk:
          if (path != "*") continue;
          break;
        case compiled_path::kind::segments: {
          if (path == "*") continue;
          if (!path_split) {
            if (!split_path(path, decoded, path_tokens)) {
              res.status = route_status::bad_request;
              return res;
            }
            path_split = true;
          }
          std::size_t rest;
          if (!list_match(path_tokens, p.segments, raw, false, rest)) continue;
          for (std::size_t b = host_raw; b < raw.size(); ++b)
            bs.set(raw[b].name, value{raw[b].text});
          if (!check_constraints(rl.path_constraints[p.constraints], bs)) continue;
          if (rest != std::string_view::npos) path_info = to_strings(path_tokens, rest, false);
          break;
        }
      }
      res.status = route_status::ok;
      res.handler = p.handler;
      res.bindings = std::move(bs);
      res.host_info = std::move(host_info);
      res.path_info = std::move(path_info);
      return res;
    }
    res.status = route_status::no_path;
    return res;
  }
  res.status = route_status::no_host;
  return res;
}

}  // namespace detail

}  // namespace rodeo
