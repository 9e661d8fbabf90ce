// The output queue: order, inline prefixes, shared payloads, partial writes at every boundary,
// would_block, errors, dropping unstarted items. A scripted transport decides how much each
// write takes, so every split point is reached deterministically.
#include <catch2/catch.hpp>

#include <deque>
#include <memory>
#include <string>

#include "rodeo/output_queue.hpp"

using rodeo::io_result;
using rodeo::io_status;

namespace {

// Takes at most `budget` bytes per write; a budget of 0 is would_block, -1 an error.
struct scripted_transport final : rodeo::transport {
  std::deque<long> budgets;
  std::string written;
  size_t writes = 0;

  io_result read(std::span<char>) override { return {io_status::would_block}; }
  io_result write(std::span<const iovec> bufs) override {
    ++writes;
    long budget = budgets.empty() ? 1 << 30 : budgets.front();
    if (!budgets.empty()) budgets.pop_front();
    if (budget < 0) return {io_status::error, 0, EPIPE};
    if (budget == 0) return {io_status::would_block};
    size_t took = 0;
    for (auto& b : bufs) {
      size_t n = std::min(b.iov_len, static_cast<size_t>(budget) - took);
      written.append(static_cast<const char*>(b.iov_base), n);
      took += n;
      if (took == static_cast<size_t>(budget)) break;
    }
    return {io_status::ok, took};
  }
  void shutdown_write() override {}
  void close() override {}
  void abort() override {}
  bool is_open() const noexcept override { return true; }
  void rearm_read() noexcept override {}
  bool hangup() const noexcept override { return false; }
  const rodeo::address& peer() const noexcept override { return addr; }
  const rodeo::address& sock() const noexcept override { return addr; }
  bool secure() const noexcept override { return false; }
  rodeo::address addr;
};

}  // namespace

TEST_CASE("output_queue: items are written in order, prefix before payload, shared untouched") {
  rodeo::output_queue q;
  auto shared = std::make_shared<const std::string>("SHARED");
  q.push("head;");
  q.push("\x81\x03", std::string{"abc"});
  q.push("P", shared);
  q.push({}, shared);
  q.push(std::string{});  // nothing to write: ignored
  CHECK(q.bytes() == 5 + 5 + 7 + 6);
  scripted_transport t;
  CHECK(q.flush(t) == io_status::ok);
  CHECK(t.written ==
        "head;\x81\x03"
        "abcPSHAREDSHARED");
  CHECK(q.empty());
  CHECK(q.bytes() == 0);
  CHECK(*shared == "SHARED");
}

TEST_CASE("output_queue: a partial write at any offset resumes exactly where it stopped") {
  const std::string all =
      "ab"
      "cde"
      "XY"
      "fgh"
      "ij";
  for (long step = 1; step <= static_cast<long>(all.size()); ++step) {
    rodeo::output_queue q;
    q.push("ab", std::string{"cde"});
    q.push("XY", std::make_shared<const std::string>("fgh"));
    q.push(std::string{"ij"});
    scripted_transport t;
    for (size_t i = 0; i < all.size(); ++i) t.budgets.push_back(step);
    CHECK(q.flush(t) == io_status::ok);
    CHECK(t.written == all);
  }
}

TEST_CASE("output_queue: would_block keeps the rest, error is reported") {
  rodeo::output_queue q;
  q.push(std::string{"0123456789"});
  scripted_transport t;
  t.budgets = {4, 0};
  CHECK(q.flush(t) == io_status::would_block);
  CHECK(q.bytes() == 6);
  CHECK_FALSE(q.empty());
  CHECK(q.flush(t) == io_status::ok);
  CHECK(t.written == "0123456789");
  q.push(std::string{"x"});
  t.budgets = {-1};
  CHECK(q.flush(t) == io_status::error);
  CHECK(q.bytes() == 1);
}

TEST_CASE("output_queue: drop_unstarted keeps a started item whole and drops the others") {
  rodeo::output_queue q;
  q.push(std::string{"started"});
  q.push(std::string{"next"});
  q.push("\x82\x01", std::string{"z"});
  scripted_transport t;
  t.budgets = {3, 0};
  CHECK(q.flush(t) == io_status::would_block);
  CHECK(q.drop_unstarted() == 4 + 3);
  CHECK(q.bytes() == 4);
  CHECK(q.flush(t) == io_status::ok);
  CHECK(t.written == "started");
  rodeo::output_queue fresh;
  fresh.push(std::string{"a"});
  CHECK(fresh.drop_unstarted() == 1);
  CHECK(fresh.empty());
}

TEST_CASE("output_queue: a prefix longer than a frame header is refused") {
  rodeo::output_queue q;
  CHECK_THROWS_AS(q.push(std::string(rodeo::output_queue::max_prefix + 1, 'h'), std::string{"p"}),
                  std::length_error);
  CHECK(q.empty());
}

TEST_CASE("output_queue: many small items go out in few gathering writes, and moves keep them") {
  rodeo::output_queue q;
  std::string expect;
  for (int i = 0; i < 1000; ++i) {
    q.push(std::to_string(i) + ",");
    expect += std::to_string(i) + ",";
  }
  rodeo::output_queue moved = std::move(q);
  scripted_transport t;
  CHECK(moved.flush(t) == io_status::ok);
  CHECK(t.written == expect);
  CHECK(t.writes <= 1000 / 64 + 1);  // at most 128 buffers per write
}
