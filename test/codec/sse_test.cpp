#include <catch2/catch.hpp>

#include <stdexcept>
#include <string>

#include "rodeo/sse.hpp"

using rodeo::sse::encode;
using rodeo::sse::event;

namespace {
event data_event(std::string data) {
  event e;
  e.data = std::move(data);
  return e;
}
}  // namespace

TEST_CASE("sse: an empty event is a blank line") {
  CHECK(encode(event{}) == "\n");
}

TEST_CASE("sse: data is split into one data line per line") {
  CHECK(encode(data_event("test")) == "data: test\n\n");
  CHECK(encode(data_event("test\ntest\ntest")) == "data: test\ndata: test\ndata: test\n\n");
  // A trailing newline makes a last empty data line, as cowlib does.
  CHECK(encode(data_event("test\ntest\n")) == "data: test\ndata: test\ndata: \n\n");
  CHECK(encode(data_event("")) == "data: \n\n");
}

TEST_CASE("sse: CRLF and lone CR end data lines too (WHATWG line terminators)") {
  CHECK(encode(data_event("a\r\nb\rc\nd")) == "data: a\ndata: b\ndata: c\ndata: d\n\n");
  CHECK(encode(data_event("a\r\n\r\nb")) == "data: a\ndata: \ndata: b\n\n");
}

TEST_CASE("sse: fields come in cowlib's order: comment, id, event, data, retry") {
  event e;
  e.comment = "hello\nworld";
  e.id = "42";
  e.event = "update";
  e.data = "x";
  e.retry = 5000;
  CHECK(encode(e) == ": hello\n: world\nid: 42\nevent: update\ndata: x\nretry: 5000\n\n");
}

TEST_CASE("sse: several events concatenate") {
  event a;
  a.event = "test";
  a.data = "test";
  event b;
  b.id = "test";
  CHECK(encode(std::vector<event>{a, b}) == "event: test\ndata: test\n\nid: test\n\n");
}

TEST_CASE("sse: line breaks in id or event, NUL in id, negative retry are rejected") {
  auto bad = [](auto mutate) {
    event e;
    mutate(e);
    std::string out = "kept";
    bool ok = rodeo::sse::encode_to(e, out);
    CHECK(out == "kept");
    CHECK_THROWS_AS(encode(e), std::invalid_argument);
    return !ok;
  };
  CHECK(bad([](event& e) { e.id = "a\nb"; }));
  CHECK(bad([](event& e) { e.id = "a\rb"; }));
  CHECK(bad([](event& e) { e.id = std::string("a\0b", 3); }));
  CHECK(bad([](event& e) { e.event = "a\nb"; }));
  CHECK(bad([](event& e) { e.retry = -1; }));
}

TEST_CASE("sse: encoded data never carries a line break outside the framing") {
  for (std::string d : {"\n", "\r", "\r\n", "x\n\ry", "\n\n\n"}) {
    auto out = encode(data_event(d));
    CHECK(out.find('\r') == std::string::npos);
    CHECK(out.substr(out.size() - 2) == "\n\n");
    CHECK(out.find("\n\n") == out.size() - 2);
  }
}
