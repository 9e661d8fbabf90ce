// The HTTP/1.1 response serializer: byte-exact heads, framing headers, chunked framing.
#include <catch2/catch.hpp>

#include <string>

#include "rodeo/http1_response.hpp"

using namespace rodeo::http1;

TEST_CASE("http1_response: status line with the standard reason, or none for an unknown status") {
  std::string s;
  append_status_line(s, 404);
  CHECK(s == "HTTP/1.1 404 Not Found\r\n");
  s.clear();
  append_status_line(s, 299);
  CHECK(s == "HTTP/1.1 299 \r\n");
}

TEST_CASE("http1_response: interim heads keep every header as given") {
  CHECK(informational_head(100, {}) == "HTTP/1.1 100 Continue\r\n\r\n");
  CHECK(informational_head(101, {{"connection", "upgrade"}, {"upgrade", "websocket"}}) ==
        "HTTP/1.1 101 Switching Protocols\r\nconnection: upgrade\r\nupgrade: websocket\r\n\r\n");
  CHECK(informational_head(103, {{"link", "</a.css>; rel=preload"}}) ==
        "HTTP/1.1 103 Early Hints\r\nlink: </a.css>; rel=preload\r\n\r\n");
}

TEST_CASE("http1_response: a final head replaces the handler's framing headers with the framing") {
  rodeo::headers hs{{"content-type", "text/plain"},
                    {"content-length", "999"},
                    {"transfer-encoding", "gzip"},
                    {"connection", "upgrade"},
                    {"date", "yesterday"},
                    {"server", "other"},
                    {"x-a", "1"}};
  auto d = "Thu, 03 Dec 2026 09:00:00 GMT";
  CHECK(response_head(200, hs, d, {.content_length = 12}) ==
        "HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\nx-a: 1\r\n"
        "date: Thu, 03 Dec 2026 09:00:00 GMT\r\nserver: Rodeo\r\ncontent-length: 12\r\n\r\n");
  CHECK(response_head(200, {}, d, {.connection = framing::connection::close, .chunked = true}) ==
        "HTTP/1.1 200 OK\r\ndate: Thu, 03 Dec 2026 09:00:00 GMT\r\nserver: Rodeo\r\n"
        "connection: close\r\ntransfer-encoding: chunked\r\n\r\n");
  CHECK(response_head(204, {}, d, {.connection = framing::connection::keep_alive}) ==
        "HTTP/1.1 204 No Content\r\ndate: Thu, 03 Dec 2026 09:00:00 GMT\r\nserver: Rodeo\r\n"
        "connection: keep-alive\r\n\r\n");
  // A length wins over chunked: a body of known size is never chunked.
  CHECK(response_head(200, {}, d, {.content_length = 0, .chunked = true}).find("chunked") ==
        std::string::npos);
}

TEST_CASE("http1_response: framing headers and bodiless statuses") {
  for (auto n : {"content-length", "transfer-encoding", "connection", "date", "server"})
    CHECK(is_framing_header(n));
  CHECK_FALSE(is_framing_header("content-type"));
  CHECK_FALSE(is_framing_header("Content-Length"));  // names are lowercase by contract
  CHECK(no_body_status(101));
  CHECK(no_body_status(204));
  CHECK(no_body_status(304));
  CHECK_FALSE(no_body_status(200));
  CHECK_FALSE(no_body_status(404));
}

TEST_CASE("http1_response: chunked framing (RFC 9112 7.1)") {
  CHECK(chunk_size_line(1) == "1\r\n");
  CHECK(chunk_size_line(255) == "ff\r\n");
  CHECK(chunk_size_line(65536) == "10000\r\n");
  CHECK(std::string{chunk_size_line(3)} + "abc" + std::string{chunk_end_last} ==
        "3\r\nabc\r\n0\r\n\r\n");
  CHECK(last_chunk == "0\r\n\r\n");
  CHECK(last_chunk_with_trailers({}) == "0\r\n\r\n");
  CHECK(last_chunk_with_trailers({{"server-timing", "db;dur=5"}, {"etag", "\"x\""}}) ==
        "0\r\nserver-timing: db;dur=5\r\netag: \"x\"\r\n\r\n");
}
