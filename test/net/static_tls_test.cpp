// Static files over TLS (start_tls), where sendfile cannot be used: the transport's bounded
// chunked reads with backpressure, checked with curl -k: a file far larger than the socket
// buffers (whole, and read slowly), byte ranges, HEAD, a conditional GET, a client leaving
// mid-file; each over HTTP/1.1 and HTTP/2 (ALPN h2).
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

#include "net_support.hpp"
#include "rodeo/tls_self_signed.hpp"
#include "tls_support.hpp"

using namespace std::chrono_literals;
using net_test::eventually;
using tls_test::run;
namespace fs = std::filesystem;

namespace {

constexpr size_t big_size = 8 << 20;

std::string pattern(size_t n) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; ++i) s[i] = static_cast<char>('a' + (i * 7 + i / 251) % 26);
  return s;
}

struct tls_static {
  tls_test::temp_dir dir;
  rodeo::node node;
  uint16_t port = 0;

  tls_static() {
    fs::create_directories(dir.path / "www");
    std::ofstream(dir.path / "www" / "big.bin", std::ios::binary) << pattern(big_size);
    std::ofstream(dir.path / "www" / "digits.txt") << "0123456789";
    rodeo::protocol_options proto;
    proto.env.dispatch = std::make_shared<const rodeo::dispatch>(rodeo::compile(rodeo::route_list{
        {"_", {{"/static/[...]", rodeo::static_dir((dir.path / "www").string())}}}}));
    rodeo::tls_options tls;
    tls.certificate = rodeo::make_self_signed_certificate({"127.0.0.1", "localhost"});
    auto info =
        rodeo::start_tls(node, "tls", {.ip = "127.0.0.1", .port = 0}, tls, std::move(proto));
    if (!info) throw std::runtime_error("start_tls: " + caf::to_string(info.error()));
    port = info->port;
  }
  std::string url(const std::string& path) const {
    return "'https://127.0.0.1:" + std::to_string(port) + path + "'";
  }
  rodeo_test::run_result curl(const std::string& args, const std::string& path) const {
    return run("curl -sk --max-time 30 " + args + " " + url(path));
  }
};

}  // namespace

TEST_CASE("static over TLS: a file larger than the socket buffers, whole and read slowly") {
  tls_static s;
  // HTTP/2 (ALPN h2, curl's choice) and HTTP/1.1.
  for (std::string version : {"--http2", "--http1.1"}) {
    INFO(version);
    auto whole = s.curl(version, "/static/big.bin");
    CHECK(whole.out.size() == big_size);
    CHECK(whole.out == pattern(big_size));
    // At 4 MB/s curl keeps the server waiting on a full socket for about two seconds.
    auto slow = s.curl(version + " --limit-rate 4M", "/static/big.bin");
    CHECK(slow.out.size() == big_size);
    CHECK(slow.out == pattern(big_size));
    // Both files on one connection: the connection is reusable after the big one.
    auto both = run("curl -sk " + version +
                    " --max-time 30 -o /dev/null -w '%{size_download} %{num_connects}\\n' " +
                    s.url("/static/big.bin") + " -o /dev/null " + s.url("/static/digits.txt"));
    CHECK(both.out == std::to_string(big_size) + " 1\n10 0\n");
  }
}

TEST_CASE("static over TLS: ranges, multipart/byteranges, HEAD and a conditional GET") {
  tls_static s;
  for (std::string v : {"--http2 ", "--http1.1 "}) {
    INFO(v);
    CHECK(s.curl(v + "-r 3-5", "/static/digits.txt").out == "345");
    auto far = s.curl(v + "-r 5000000-5000009", "/static/big.bin");
    CHECK(far.out == pattern(big_size).substr(5000000, 10));
    auto tail = s.curl(v + "-r -70000", "/static/big.bin");  // more than one 64 KiB read
    CHECK(tail.out == pattern(big_size).substr(big_size - 70000));
    auto multi = s.curl(v + "-i -r 0-0,-1", "/static/digits.txt").out;
    CHECK(multi.find(" 206") != std::string::npos);
    CHECK(multi.find("multipart/byteranges; boundary=") != std::string::npos);
    CHECK(multi.find("content-range: bytes 0-0/10\r\n\r\n0\r\n") != std::string::npos);
    CHECK(multi.find("content-range: bytes 9-9/10\r\n\r\n9\r\n") != std::string::npos);
    auto head = s.curl(v + "-I", "/static/big.bin").out;
    CHECK(head.starts_with(v == "--http2 " ? "HTTP/2 200" : "HTTP/1.1 200"));
    CHECK(head.find("content-length: " + std::to_string(big_size) + "\r\n") != std::string::npos);
    CHECK(head.find("accept-ranges: bytes") != std::string::npos);
    auto etag_at = head.find("etag: ");
    REQUIRE(etag_at != std::string::npos);
    auto etag = head.substr(etag_at + 6, head.find("\r\n", etag_at) - etag_at - 6);
    auto cond = s.curl(v + "-o /dev/null -w '%{http_code}' -H 'if-none-match: " + etag + "'",
                       "/static/big.bin");
    CHECK(cond.out == "304");
    CHECK(s.curl(v + "-o /dev/null -w '%{http_code}' -r 99999999-", "/static/big.bin").out ==
          "416");
  }
}

TEST_CASE("static over TLS: a client leaving mid-file does not disturb the server") {
  tls_static s;
  for (int i = 0; i < 3; ++i) {
    // 100 KB/s for 1 s: curl gives up a small part into the 8 MiB file.
    auto cut = run(std::string{"curl -sk "} + (i % 2 ? "--http1.1" : "--http2") +
                   " --limit-rate 100K --max-time 1 -o /dev/null -w '%{size_download}' " +
                   s.url("/static/big.bin"));
    CHECK(std::stoul(cut.out.empty() ? "0" : cut.out) < big_size);
  }
  CHECK(eventually([&] { return rodeo::connection_count(s.node, "tls") == 0; }, 10s));
  CHECK(s.curl("", "/static/digits.txt").out == "0123456789");
}
