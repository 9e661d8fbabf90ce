#include "rodeo/negotiation.hpp"

#include <algorithm>

#include "rodeo/ascii.hpp"

namespace rodeo::negotiation {
namespace {

bool same_params(http_header::params a, http_header::params b) {
  auto by_name = [](const http_header::param& x, const http_header::param& y) {
    return x.name < y.name || (x.name == y.name && x.value < y.value);
  };
  std::sort(a.begin(), a.end(), by_name);
  std::sort(b.begin(), b.end(), by_name);
  return a == b;
}

int specificity(const http_header::media_range& r) {
  if (r.type == "*") return 0;
  if (r.subtype == "*") return 1;
  return 2 + static_cast<int>(r.params.size());
}

template <class Items>
Items by_quality(Items items) {
  std::stable_sort(items.begin(), items.end(),
                   [](const auto& a, const auto& b) { return a.quality > b.quality; });
  std::erase_if(items, [](const auto& i) { return i.quality == 0; });
  return items;
}

}  // namespace

std::optional<media_type> media_type::parse(std::string_view text) {
  media_type m;
  auto t = http_header::trim_ows(text);
  if (t == "*") return media_type{"*", "", {}, true};  // content_types_accepted's catch-all
  // "; *" (any parameters) is not content-type syntax: take it off before parsing the rest.
  if (t.ends_with("*") && t.find(';') != std::string_view::npos) {
    auto semi = t.rfind(';');
    if (http_header::trim_ows(t.substr(semi + 1)) == "*") {
      m.any_params = true;
      t = http_header::trim_ows(t.substr(0, semi));
    }
  }
  auto parsed = http_header::parse_content_type(t);
  if (!parsed) return std::nullopt;
  m.type = std::move(parsed->type);
  m.subtype = std::move(parsed->subtype);
  m.params = std::move(parsed->params);
  return m;
}

std::string media_type::to_string() const {
  std::string out = type + "/" + subtype;
  for (auto& p : params) out.append(";").append(p.name).append("=").append(p.value);
  return out;
}

std::vector<http_header::media_range> prioritize(std::vector<http_header::media_range> accept) {
  std::stable_sort(accept.begin(), accept.end(), [](const auto& a, const auto& b) {
    if (a.quality != b.quality) return a.quality > b.quality;
    return specificity(a) > specificity(b);
  });
  std::erase_if(accept, [](const auto& r) { return r.quality == 0; });
  return accept;
}

std::optional<media_choice> choose_media_type(
    const std::vector<http_header::media_range>& prioritized,
    const std::vector<media_type>& provided,
    const std::function<const std::vector<std::string>*()>& charsets) {
  for (auto& range : prioritized) {
    for (std::size_t i = 0; i < provided.size(); ++i) {
      auto& p = provided[i];
      bool type_ok = range.type == "*" ||
                     (range.type == p.type && (range.subtype == "*" || range.subtype == p.subtype));
      if (!type_ok) continue;
      if (p.any_params) {
        // The client's parameters are taken; a text charset among them must be one we provide.
        media_choice c{i, {p.type, p.subtype, range.params, false}, std::nullopt};
        auto cs = std::find_if(range.params.begin(), range.params.end(),
                               [](auto& x) { return x.name == "charset"; });
        if (range.type == "text" && cs != range.params.end()) {
          auto* list = charsets ? charsets() : nullptr;
          if (list) {
            bool ok = std::any_of(list->begin(), list->end(),
                                  [&](auto& x) { return ascii::iequals(x, cs->value); });
            if (!ok) continue;
            c.charset = cs->value;
            c.chosen.params.erase(cs - range.params.begin() + c.chosen.params.begin());
          }
        }
        return c;
      }
      if (!same_params(p.params, range.params)) continue;
      media_choice c{i, p, std::nullopt};
      if (p.type == "text") {
        auto& ps = c.chosen.params;
        auto cs = std::find_if(ps.begin(), ps.end(), [](auto& x) { return x.name == "charset"; });
        if (cs != ps.end()) {
          c.charset = cs->value;
          ps.erase(cs);
        }
      }
      return c;
    }
  }
  return std::nullopt;
}

std::optional<std::string> choose_language(std::vector<http_header::quality_item> accept,
                                           const std::vector<std::string>& provided) {
  for (auto& range : by_quality(std::move(accept))) {
    for (auto& tag : provided) {
      if (range.value == "*" || ascii::iequals(range.value, tag)) return tag;
      if (tag.size() > range.value.size() && tag[range.value.size()] == '-' &&
          ascii::iequals(range.value, std::string_view{tag}.substr(0, range.value.size())))
        return tag;
    }
  }
  return std::nullopt;
}

std::optional<std::string> choose_charset(std::vector<http_header::quality_item> accept,
                                          const std::vector<std::string>& provided) {
  for (auto& c : by_quality(std::move(accept)))
    for (auto& p : provided)
      if (c.value == "*" || ascii::iequals(c.value, p)) return p;
  return std::nullopt;
}

bool matches_content_type(const http_header::media_type& request, const media_type& accepted) {
  if (accepted.type == "*" && accepted.subtype.empty()) return true;
  if (request.type != accepted.type || request.subtype != accepted.subtype) return false;
  if (accepted.any_params) return true;
  auto params = request.params;
  // The boundary of a multipart body is never part of the match (Cowboy's rule).
  if (request.type == "multipart")
    std::erase_if(params, [](auto& p) { return p.name == "boundary"; });
  return same_params(params, accepted.params);
}

}  // namespace rodeo::negotiation
