#pragma once
// Parsing a Prometheus scrape with the official client's parser (prom_parse.py, run by Debian's
// /usr/bin/python3): one "family NAME TYPE" / "sample NAME LABELS VALUE" line each.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "shell.hpp"

namespace rodeo_test {

/// The parser's lines for `text`; status 0 when it accepted the text.
inline run_result prom_parse(const std::string& text) {
  char path[] = "/tmp/rodeo-prom-XXXXXX";
  int fd = ::mkstemp(path);
  if (fd < 0) return {};
  if (::write(fd, text.data(), text.size()) != static_cast<ssize_t>(text.size())) {
    ::close(fd);
    return {};
  }
  ::close(fd);
  auto r =
      run("/usr/bin/python3 " RODEO_SOURCE_DIR "/test/support/prom_parse.py < " + std::string{path},
          30);
  ::unlink(path);
  return r;
}

/// True when the parsed output holds `line` as a whole line.
inline bool has_line(const std::string& parsed, const std::string& line) {
  return ("\n" + parsed).find("\n" + line + "\n") != std::string::npos;
}

}  // namespace rodeo_test
