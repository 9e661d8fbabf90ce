#pragma once
// Running a real client (curl, openssl, python3, node) from a test: its exit code and stdout.
#include <sys/wait.h>

#include <cstdio>
#include <string>

namespace rodeo_test {

struct run_result {
  int status = -1;  // the exit code; -1 when it did not exit by itself
  std::string out;
};

/// Runs `cmd` through the shell with a hard time limit (coreutils timeout) and captures its stdout.
inline run_result run(const std::string& cmd, int seconds = 60) {
  run_result r;
  std::string full = "timeout -k 5 " + std::to_string(seconds) + " " + cmd;
  FILE* p = ::popen(full.c_str(), "r");
  if (!p) return r;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
  int st = ::pclose(p);
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return r;
}

}  // namespace rodeo_test
