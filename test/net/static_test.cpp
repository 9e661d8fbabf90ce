// Static files through a real listener (the cases of Cowboy's static_handler_SUITE): dir and file
// routes, mimetypes, etag/last-modified and conditional requests, ranges, HEAD, traversal
// attempts, symlinks, a file larger than the socket buffers and a client leaving mid-file.
#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "net_support.hpp"
#include "rodeo/http_date.hpp"

using namespace net_test;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

constexpr size_t big_size = 8 << 20;  // well over loopback socket buffers

std::string pattern(size_t n) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; ++i) s[i] = static_cast<char>('a' + (i * 7 + i / 251) % 26);
  return s;
}

void write_file(const fs::path& p, const std::string& content) {
  std::ofstream out(p, std::ios::binary);
  out << content;
}

struct fixture {
  fs::path base;
  fs::path root;
  server srv;

  fixture() {
    char tmpl[] = "/tmp/rodeo-static-XXXXXX";
    base = ::mkdtemp(tmpl);
    root = base / "www";
    fs::create_directories(root / "sub" / "deeper");
    write_file(root / "index.html", "<h1>hi</h1>");
    write_file(root / "style.css", "body{}");
    write_file(root / "notes.unknownext", "x");
    write_file(root / "digits.txt", "0123456789");
    write_file(root / "sub" / "deeper" / "a.json", "{}");
    write_file(root / "big.bin", pattern(big_size));
    write_file(base / "secret.txt", "secret");
    fs::create_symlink(base / "secret.txt", root / "escape.txt");
    fs::create_symlink(root / "digits.txt", root / "inside.txt");
    rodeo::static_options custom;
    custom.etag = [](std::string_view, std::uint64_t size, std::time_t) {
      return std::optional{rodeo::http_header::etag{true, "size" + std::to_string(size)}};
    };
    custom.mimetypes = [](std::string_view) {
      return std::string{"text/x-custom"};
    };
    custom.charset = "utf-8";
    rodeo::static_options no_etag;
    no_etag.etag_off = true;
    rodeo::static_options follow;
    follow.follow_symlinks_outside = true;
    srv.start({{"_",
                {{"/static/[...]", rodeo::static_dir(root.string())},
                 {"/custom/[...]", rodeo::static_dir(root.string(), custom)},
                 {"/noetag/[...]", rodeo::static_dir(root.string(), no_etag)},
                 {"/follow/[...]", rodeo::static_dir(root.string() + "/", follow)},
                 {"/index", rodeo::static_file((root / "index.html").string())},
                 {"/missing-file", rodeo::static_file((root / "nope.html").string())},
                 {"/dir-as-file", rodeo::static_file(root.string())}}}});
  }
  ~fixture() {
    std::error_code ec;
    fs::remove_all(base, ec);
  }

  response request(const std::string& method, const std::string& target,
                   const std::string& headers = "") {
    client c{srv.port};
    c.send(method + " " + target + " HTTP/1.1\r\nhost: localhost\r\n" + headers + "\r\n");
    auto r = c.read_response(method == "HEAD", 20s);
    REQUIRE(r);
    return *r;
  }
  response get(const std::string& target, const std::string& headers = "") {
    return request("GET", target, headers);
  }
};

}  // namespace

TEST_CASE_METHOD(fixture, "static: files of a directory with their media types") {
  auto index = get("/static/index.html");
  CHECK(index.status == 200);
  CHECK(index.body == "<h1>hi</h1>");
  CHECK(index.header_or("content-type") == "text/html");
  CHECK(index.header_or("accept-ranges") == "bytes");
  CHECK(get("/static/style.css").header_or("content-type") == "text/css");
  CHECK(get("/static/notes.unknownext").header_or("content-type") == "application/octet-stream");
  CHECK(get("/static/sub/deeper/a.json").header_or("content-type") == "application/json");
  CHECK(get("/static/sub/./deeper/a.json").status == 200);
  CHECK(get("/index").body == "<h1>hi</h1>");
  auto custom = get("/custom/index.html");
  CHECK(custom.header_or("content-type") == "text/x-custom; charset=utf-8");
  CHECK(custom.header_or("etag") == "W/\"size11\"");
}

TEST_CASE_METHOD(fixture, "static: missing 404, directories 403, bad segments 400") {
  CHECK(get("/static/nope.html").status == 404);
  CHECK(get("/static/sub/nope/x").status == 404);
  CHECK(get("/missing-file").status == 404);
  CHECK(get("/static/sub").status == 403);
  CHECK(get("/static/").status == 403);
  CHECK(get("/dir-as-file").status == 403);
  CHECK(get("/static/sub%2fdeeper%2fa.json").status == 400);
  CHECK(get("/static/sub%5cdeeper").status == 400);
  CHECK(get("/static/a%00b").status == 400);
  // Dot segments are removed before routing: nothing escapes the route's prefix.
  CHECK(get("/static/../secret.txt").status == 404);
  CHECK(get("/static/%2e%2e/secret.txt").status == 404);
  CHECK(get("/static/sub/%2e%2e/%2e%2e/secret.txt").status == 404);
  CHECK(get("/static/sub/%2E%2E/index.html").status == 200);
}

TEST_CASE_METHOD(fixture, "static: symlinks out of the directory are refused unless allowed") {
  CHECK(get("/static/escape.txt").status == 403);
  CHECK(get("/static/inside.txt").body == "0123456789");
  auto out = get("/follow/escape.txt");
  CHECK(out.status == 200);
  CHECK(out.body == "secret");
}

TEST_CASE_METHOD(fixture, "static: an unreadable file is 403") {
  ::chmod((root / "digits.txt").c_str(), 0);
  if (::geteuid() == 0) {
    WARN("running as root: every file is readable, the 403 cannot be provoked");
    CHECK(get("/static/digits.txt").status == 200);
  } else {
    CHECK(get("/static/digits.txt").status == 403);
  }
}

TEST_CASE_METHOD(fixture, "static: etag, last-modified and conditional GETs") {
  auto first = get("/static/digits.txt");
  auto etag = first.header_or("etag");
  auto lm = first.header_or("last-modified");
  CHECK(etag.starts_with("\"a-"));
  struct stat st {};
  ::stat((root / "digits.txt").c_str(), &st);
  CHECK(lm == rodeo::http_date::format(st.st_mtime));
  auto nm = get("/static/digits.txt", "if-none-match: " + etag + "\r\n");
  CHECK(nm.status == 304);
  CHECK(nm.header_or("etag") == etag);
  CHECK(get("/static/digits.txt", "if-modified-since: " + lm + "\r\n").status == 304);
  CHECK(get("/static/digits.txt", "if-match: \"other\"\r\n").status == 412);
  CHECK(
      get("/static/digits.txt", "if-unmodified-since: Sun, 06 Nov 1994 08:49:37 GMT\r\n").status ==
      412);
  CHECK_FALSE(get("/noetag/digits.txt").header("etag"));
  CHECK(get("/noetag/digits.txt").header("last-modified"));
  // Rewriting the file changes its tag.
  write_file(root / "digits.txt", "01234567890");
  CHECK(get("/static/digits.txt", "if-none-match: " + etag + "\r\n").status == 200);
  // A date in the future is ignored; curl -z sends the file's own date: 304.
  CHECK(get("/static/index.html", "if-modified-since: Sun, 06 Nov 2044 08:49:37 GMT\r\n").status ==
        200);
  auto index_lm = get("/static/index.html").header_or("last-modified");
  auto r =
      curl(srv.port, "-o /dev/null -w '%{http_code}' -z '" + index_lm + "'", "/static/index.html");
  CHECK(r.out == "304");
}

TEST_CASE_METHOD(fixture, "static: byte ranges, multipart/byteranges, If-Range, HEAD") {
  auto one = get("/static/digits.txt", "range: bytes=2-4\r\n");
  CHECK(one.status == 206);
  CHECK(one.body == "234");
  CHECK(one.header_or("content-range") == "bytes 2-4/10");
  CHECK(get("/static/digits.txt", "range: bytes=-3\r\n").body == "789");
  CHECK(get("/static/digits.txt", "range: bytes=7-\r\n").body == "789");
  auto multi = get("/static/digits.txt", "range: bytes=0-0,-1\r\n");
  CHECK(multi.status == 206);
  CHECK(multi.header_or("content-type").starts_with("multipart/byteranges; boundary="));
  CHECK(multi.body.find("content-type: text/plain\r\ncontent-range: bytes 0-0/10\r\n\r\n0\r\n") !=
        std::string::npos);
  CHECK(multi.body.find("content-range: bytes 9-9/10\r\n\r\n9\r\n--") != std::string::npos);
  auto unsat = get("/static/digits.txt", "range: bytes=10-\r\n");
  CHECK(unsat.status == 416);
  CHECK(unsat.header_or("content-range") == "bytes */10");
  auto etag = get("/static/digits.txt").header_or("etag");
  CHECK(get("/static/digits.txt", "range: bytes=0-1\r\nif-range: " + etag + "\r\n").status == 206);
  CHECK(get("/static/digits.txt", "range: bytes=0-1\r\nif-range: \"stale\"\r\n").status == 200);
  auto head = request("HEAD", "/static/digits.txt");
  CHECK(head.status == 200);
  CHECK(head.header_or("content-length") == "10");
  CHECK(head.body.empty());
  auto options = request("OPTIONS", "/static/digits.txt");
  CHECK(options.header_or("allow") == "GET, HEAD, OPTIONS");
  CHECK(request("POST", "/static/digits.txt").status == 405);
  // curl's range and a range of the big file at an offset past the first chunks.
  CHECK(curl(srv.port, "-r 3-5", "/static/digits.txt").out == "345");
  auto far = get("/static/big.bin", "range: bytes=5000000-5000009\r\n");
  CHECK(far.body == pattern(big_size).substr(5000000, 10));
}

TEST_CASE_METHOD(fixture, "static: a file larger than the socket buffers, read slowly") {
  client c{srv.port, 16 * 1024};
  c.send("GET /static/big.bin HTTP/1.1\r\nhost: localhost\r\n\r\n");
  auto head = c.read_head();
  REQUIRE(head.status == 200);
  CHECK(head.header_or("content-length") == std::to_string(big_size));
  std::this_thread::sleep_for(200ms);  // let the server fill the buffers and wait on them
  auto& buf = c.buffered();
  auto end = clock::now() + 60s;
  while (buf.size() < big_size && c.fill(end)) {
  }
  CHECK(buf.size() == big_size);
  CHECK(buf == pattern(big_size));
  // The connection is reusable afterwards.
  buf.clear();
  c.send("GET /static/digits.txt HTTP/1.1\r\nhost: localhost\r\n\r\n");
  auto next = c.read_response();
  REQUIRE(next);
  CHECK(next->body == "0123456789");
  // curl gets the same bytes.
  auto r = curl(srv.port, "", "/static/big.bin");
  CHECK(r.out.size() == big_size);
}

TEST_CASE_METHOD(fixture, "static: a client leaving mid-file does not disturb the server") {
  for (int i = 0; i < 3; ++i) {
    client c{srv.port, 16 * 1024};
    c.send("GET /static/big.bin HTTP/1.1\r\nhost: localhost\r\n\r\n");
    REQUIRE(c.read_head().status == 200);
    c.fill(1s);
    c.close();
  }
  CHECK(eventually([&] { return rodeo::connection_count(srv.node, "test") == 0; }, 10s));
  CHECK(get("/static/digits.txt").body == "0123456789");
}
