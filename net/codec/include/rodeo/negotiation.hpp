#pragma once
// Content negotiation as cowboy_rest does it (RFC 9110 §12): the media type, language and charset
// a resource provides that the client prefers. Pure: header values in, choices out.
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "rodeo/http_header.hpp"

namespace rodeo::negotiation {

/// A media type a resource provides or accepts: "text/html", "text/html; charset=utf-8", or with
/// `any_params` ("text/html; *" in Cowboy's terms: {<<"text">>, <<"html">>, '*'}) any parameters.
struct media_type {
  std::string type;
  std::string subtype;
  http_header::params params;
  bool any_params = false;
  /// "type/subtype[; name=value]..." (and "; *" for any_params). nullopt when invalid.
  static std::optional<media_type> parse(std::string_view text);
  /// "type/subtype;name=value" as Cowboy writes content-type (no "; *").
  std::string to_string() const;
};

/// accept's media ranges in the order they are tried: by q-value, then the more specific first
/// (a type over type/*, type/* over */*, more parameters over fewer); q=0 ranges are dropped.
std::vector<http_header::media_range> prioritize(std::vector<http_header::media_range> accept);

struct media_choice {
  std::size_t index = 0;               // into `provided`
  media_type chosen;                   // what goes into content-type
  std::optional<std::string> charset;  // chosen through the media type's charset parameter
};

/// The first provided type matching the client's preference, nullopt when none does (406).
/// `charsets` gives the resource's charsets (nullptr when it has none), asked only when a text
/// range with a charset parameter meets a provided type with any parameters.
std::optional<media_choice> choose_media_type(
    const std::vector<http_header::media_range>& prioritized,
    const std::vector<media_type>& provided,
    const std::function<const std::vector<std::string>*()>& charsets);

/// The provided language the client prefers (RFC 4647 basic filtering: a range matches a tag
/// equal to it or starting with it and "-"; "*" matches any), nullopt when none (406).
std::optional<std::string> choose_language(std::vector<http_header::quality_item> accept,
                                           const std::vector<std::string>& provided);

/// The provided charset the client prefers ("*" matches any; q=0 refuses), nullopt when none.
std::optional<std::string> choose_charset(std::vector<http_header::quality_item> accept,
                                          const std::vector<std::string>& provided);

/// content_types_accepted: whether a request's content-type matches an accepted type (exact type
/// and subtype, parameters equal in any order unless any_params). A "*" entry matches anything.
bool matches_content_type(const http_header::media_type& request, const media_type& accepted);

}  // namespace rodeo::negotiation
