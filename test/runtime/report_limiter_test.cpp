// The report limiter alone, on a fake clock: first of a kind whole, then counts and summaries.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "rodeo/report_limiter.hpp"

using namespace std::chrono_literals;

namespace {

struct fixture {
  rodeo::report_limiter lim;
  std::vector<std::string> lines;
  rodeo::report_limiter::clock::time_point t0 = rodeo::report_limiter::clock::now();
  rodeo::report_limiter::write_fn write = [this](std::string_view s) {
    lines.emplace_back(s);
  };

  explicit fixture(rodeo::report_limiter::options o = {}) : lim(o) {}
  void report(const std::string& kind, std::chrono::milliseconds at) {
    lim.report(kind, kind + " #" + std::to_string(at.count()), t0 + at, write);
  }
};

}  // namespace

TEST_CASE("report limiter: the first of a kind is whole, the rest of its window counted") {
  fixture f{{.window = 10s}};
  for (int i = 0; i < 1000; ++i) f.report("boom", std::chrono::milliseconds{i});
  f.report("bang", 5ms);
  REQUIRE(f.lines.size() == 2);
  CHECK(f.lines[0] == "boom #0");
  CHECK(f.lines[1] == "bang #5");
  CHECK(f.lim.suppressed() == 999);
}

TEST_CASE("report limiter: a window that ended is summarised before the next report") {
  fixture f{{.window = 10s}};
  for (int i = 0; i < 5; ++i) f.report("boom", std::chrono::milliseconds{i * 100});
  f.report("boom", 12s);
  REQUIRE(f.lines.size() == 3);
  CHECK(f.lines[1] == "4 more identical reports in the last 12.0 s: boom");
  CHECK(f.lines[2] == "boom #12000");
  CHECK(f.lim.suppressed() == 0);
}

TEST_CASE("report limiter: another kind's report sweeps ended windows") {
  fixture f{{.window = 10s}};
  f.report("boom", 0ms);
  f.report("boom", 1ms);
  f.report("bang", 11s);
  REQUIRE(f.lines.size() == 3);
  CHECK(f.lines[1].starts_with("1 more identical reports in the last 11.0 s: boom"));
  CHECK(f.lines[2] == "bang #11000");
}

TEST_CASE("report limiter: kinds beyond max_kinds are counted together") {
  fixture f{{.window = 10s, .max_kinds = 2}};
  for (char k = 'a'; k < 'f'; ++k) f.report(std::string(1, k), 0ms);
  CHECK(f.lines.size() == 2);
  f.lim.flush(f.write);
  REQUIRE(f.lines.size() == 3);
  CHECK(f.lines[2].starts_with("3 more reports of other kinds in the last"));
}

TEST_CASE("report limiter: flush summarises every counting window once, a zero window writes all") {
  fixture f{{.window = 10s}};
  f.report("a", 0ms);
  f.report("a", 1ms);
  f.report("b", 0ms);
  f.lim.flush(f.write);
  f.lim.flush(f.write);
  CHECK(f.lines.size() == 3);  // a, b, then one summary for a (b counted nothing)
  fixture all{{.window = 0ms}};
  for (int i = 0; i < 3; ++i) all.report("a", 0ms);
  CHECK(all.lines.size() == 3);
}

TEST_CASE(
    "report limiter: the first count of a window says when its summary is due, expire writes it") {
  rodeo::report_limiter lim{{.window = 10s}};
  std::vector<std::string> out;
  auto write = [&](std::string_view line) {
    out.emplace_back(line);
  };
  auto t0 = rodeo::report_limiter::clock::now();
  CHECK_FALSE(lim.report("k", "first", t0, write));  // written whole
  auto due = lim.report("k", "second", t0 + 1s, write);
  REQUIRE(due);
  CHECK(*due == t0 + 10s);
  CHECK_FALSE(lim.report("k", "third", t0 + 2s, write));  // the timer is armed already
  lim.expire(t0 + 9s, write);
  CHECK(out.size() == 1);
  lim.expire(*due, write);
  REQUIRE(out.size() == 2);
  CHECK(out[1].find("2 more identical reports") != std::string::npos);
  CHECK(lim.suppressed() == 0);
}
