#pragma once
// application/x-www-form-urlencoded (cow_qs) and Cowboy's match_qs.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "rodeo/constraints.hpp"

namespace rodeo::qs {

// One key; value nullopt is Cowboy's `true`: the key appeared without '='.
struct pair {
  std::string name;
  std::optional<std::string> value;
  friend bool operator==(const pair&, const pair&) = default;
};
using vals = std::vector<pair>;

// Parses a query string or urlencoded body; keys keep their order, repeats included. '+' is a
// space. nullopt on a bad escape, an empty key before '=' ("=b"), or more than max_keys keys.
std::optional<vals> parse(std::string_view qs, std::size_t max_keys = 100);
// Builds one (cow_qs:qs): keys without value are written bare.
std::string build(const vals& qs);

// Form decoding: '+' -> ' ', %XX decoded, any other byte kept. nullopt on a bad escape.
std::optional<std::string> urldecode(std::string_view in);
bool urldecode_to(std::string_view in, std::string& out);
// Form encoding: [A-Za-z0-9._-] kept, ' ' -> '+', everything else %XX (uppercase).
std::string urlencode(std::string_view in);
void urlencode_to(std::string_view in, std::string& out);

// Why match failed; Cowboy turns both into a 400.
struct match_error {
  enum class kind { missing, invalid } what;
  std::string field;   // the failing field's name
  std::string reason;  // the constraint's reason for `invalid`
};

// Cowboy's match_qs: a value for every field (default when absent, else error `missing`),
// constraints applied; keys not asked for are ignored; a key without '=' is `true`; a repeated
// key becomes a list (in order) whose elements each pass the constraints.
struct match_result {
  rodeo::bindings values;
  std::optional<match_error> error;
  explicit operator bool() const { return !error; }
};
match_result match(const vals& qs, const fields& spec);

}  // namespace rodeo::qs
