#include "rodeo/mimetypes.hpp"

#include <catch2/catch.hpp>

TEST_CASE("mimetypes::web: common types by extension, case-insensitive") {
  using rodeo::mimetypes::web;
  CHECK(web("index.html") == "text/html");
  CHECK(web("/a/b/style.CSS") == "text/css");
  CHECK(web("app.js") == "text/javascript");
  CHECK(web("logo.svg") == "image/svg+xml");
  CHECK(web("font.woff2") == "font/woff2");
  CHECK(web("archive.tar.gz") == "application/gzip");
  CHECK(web("noext") == "application/octet-stream");
  CHECK(web("dir.d/noext") == "application/octet-stream");
  CHECK(web("trailing.") == "application/octet-stream");
  CHECK(web("x.unknown") == "application/octet-stream");
}
