#pragma once
// Static files, as Cowboy's cowboy_static: a REST handler serving one file or a directory's files
// with mimetypes, etag and last-modified, conditional requests, byte ranges (multipart/byteranges
// included), HEAD and OPTIONS, all through the REST flow.
//
//   {"/", rodeo::static_file("/var/www/index.html")},
//   {"/static/[...]", rodeo::static_dir("/var/www/assets")},   // the rest of the path: a file
//
// Files are sent from the descriptor, never read whole into memory. A directory route refuses
// what could leave the directory: a decoded segment with "/", "\" or NUL, or "..", is a 400;
// a symlink resolving outside the directory is a 403 (Cowboy follows it: set
// follow_symlinks_outside to do the same). Directories and unreadable files are 403, missing
// files 404.
#include <cstdint>
#include <ctime>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "rodeo/handler.hpp"
#include "rodeo/http_header.hpp"

namespace rodeo {

struct static_options {
  /// The file's media type; default rodeo::mimetypes::web (by extension).
  std::function<std::string(std::string_view path)> mimetypes;
  /// The etag: default a strong tag of size and modification time; etag_off sends none.
  std::function<std::optional<http_header::etag>(std::string_view path, std::uint64_t size,
                                                 std::time_t mtime)>
      etag;
  bool etag_off = false;
  /// Added to text types as "; charset=" (cowboy_static's charset option).
  std::optional<std::string> charset;
  /// Serve symlinks that resolve outside the directory (Cowboy's behaviour); default: 403.
  bool follow_symlinks_outside = false;
};

/// One file at a fixed path.
handler_ref static_file(std::string path, static_options opts = {});
/// Files under `dir`, by the route's path_info ("/static/[...]").
handler_ref static_dir(std::string dir, static_options opts = {});

}  // namespace rodeo
