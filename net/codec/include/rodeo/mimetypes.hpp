#pragma once
// The media type of a file from its extension (cow_mimetypes:web/1): a built-in table of the web's
// common types. Pure.
#include <string_view>

namespace rodeo::mimetypes {

/// "text/html" for "index.html" (case-insensitive extension); "application/octet-stream" when
/// the extension is unknown or missing.
std::string_view web(std::string_view path);

}  // namespace rodeo::mimetypes
