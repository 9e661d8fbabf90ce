#include <catch2/catch.hpp>

#include <random>
#include <string>

#include "rodeo/uri.hpp"

using namespace rodeo::uri;
using strings = std::vector<std::string>;

TEST_CASE("uri: percent_decode decodes %XX in any case and keeps '+'") {
  CHECK(percent_decode("%20") == " ");
  CHECK(percent_decode("+") == "+");
  CHECK(percent_decode("%00") == std::string(1, '\0'));
  CHECK(percent_decode("%fF") == "\xff");
  CHECK(percent_decode("123") == "123");
  CHECK(percent_decode("") == "");
  CHECK(percent_decode("!$&'()*+,:;=@-._~") == "!$&'()*+,:;=@-._~");
}

TEST_CASE("uri: percent_decode rejects bad escapes and bytes that must be encoded") {
  CHECK_FALSE(percent_decode("%i5"));
  CHECK_FALSE(percent_decode("%5"));
  CHECK_FALSE(percent_decode("%"));
  CHECK_FALSE(percent_decode("a%2"));
  CHECK_FALSE(percent_decode("a b"));
  CHECK_FALSE(percent_decode("a/b"));
  CHECK_FALSE(percent_decode("a?b"));
  CHECK_FALSE(percent_decode("\xd0\xbf"));
  CHECK_FALSE(percent_decode(std::string_view{"a\0b", 3}));
}

TEST_CASE("uri: percent_encode keeps path-segment characters and encodes the rest uppercase") {
  CHECK(percent_encode(std::string_view{"\xff\0", 2}) == "%FF%00");
  CHECK(percent_encode("\xff ") == "%FF%20");
  CHECK(percent_encode("+") == "+");
  CHECK(percent_encode("aBc123") == "aBc123");
  CHECK(percent_encode("!$&'()*+,:;=@-._~") == "!$&'()*+,:;=@-._~");
  CHECK(percent_encode("a/b?c#d%") == "a%2Fb%3Fc%23d%25");
}

TEST_CASE("uri: percent_encode then percent_decode is the identity on random bytes") {
  std::mt19937 rng{42};
  for (int i = 0; i < 2000; ++i) {
    std::string s(rng() % 40, '\0');
    for (auto& c : s) c = static_cast<char>(rng() % 256);
    auto back = percent_decode(percent_encode(s));
    REQUIRE(back);
    CHECK(*back == s);
  }
}

TEST_CASE("uri: split_path follows Cowboy (trailing slash, empty segments, decoding, dots)") {
  CHECK(split_path("/") == strings{});
  CHECK(split_path("/users") == strings{"users"});
  CHECK(split_path("/users/") == strings{"users"});
  CHECK(split_path("/extend//cowboy") == strings{"extend", "", "cowboy"});
  CHECK(split_path("/users/42/friends") == strings{"users", "42", "friends"});
  CHECK(split_path("/users/a+b/c%21d") == strings{"users", "a+b", "c!d"});
  CHECK(split_path("/a%2Fb") == strings{"a/b"});
  CHECK(split_path("/a/b/c/./../../g") == strings{"a", "g"});
  CHECK(split_path("/../a") == strings{"a"});
  CHECK_FALSE(split_path(""));
  CHECK_FALSE(split_path("users"));
  CHECK_FALSE(split_path("/a/%zz"));
}

TEST_CASE("uri: remove_dot_segments (RFC 3986 §5.2.4 on segments)") {
  strings a{"a", "b", "c", ".", "..", "..", "g"};
  remove_dot_segments(a);
  CHECK(a == strings{"a", "g"});
  strings b{"mid", "content=5", "..", "6"};
  remove_dot_segments(b);
  CHECK(b == strings{"mid", "6"});
  strings c{"..", "a"};
  remove_dot_segments(c);
  CHECK(c == strings{"a"});
}

TEST_CASE("uri: parse_authority accepts reg-names, IPv4, IPv6 literals and ports") {
  auto a = parse_authority("example.org:8080");
  REQUIRE(a);
  CHECK(a->host == "example.org");
  CHECK(a->port == 8080);
  CHECK(parse_authority("127.0.0.1")->host == "127.0.0.1");
  CHECK_FALSE(parse_authority("127.0.0.1")->port);
  auto v6 = parse_authority("[::1]:443");
  REQUIRE(v6);
  CHECK(v6->host == "[::1]");
  CHECK(v6->port == 443);
  CHECK(parse_authority("[2001:db8::7]")->host == "[2001:db8::7]");
  CHECK(parse_authority("[::ffff:192.0.2.1]"));
  CHECK(parse_authority("[1:2:3:4:5:6:7:8]"));
  CHECK(parse_authority("[v1.fe80::a+en1]"));
  CHECK(parse_authority("example.org:")->port == std::nullopt);
  CHECK(parse_authority("ex%41mple.org"));
  CHECK(parse_authority("h:65535")->port == 65535);
}

TEST_CASE("uri: parse_authority rejects malformed hosts and ports") {
  CHECK_FALSE(parse_authority(""));
  CHECK(parse_authority("", true));
  CHECK_FALSE(parse_authority("h:65536"));
  CHECK_FALSE(parse_authority("h:8a"));
  CHECK_FALSE(parse_authority("h:-1"));
  CHECK_FALSE(parse_authority("a b"));
  CHECK_FALSE(parse_authority("user@host"));
  CHECK_FALSE(parse_authority("[::1"));
  CHECK_FALSE(parse_authority("[::1]x"));
  CHECK_FALSE(parse_authority("[1:2:3:4:5:6:7:8:9]"));
  CHECK_FALSE(parse_authority("[1::2::3]"));
  CHECK_FALSE(parse_authority("[12345::]"));
  CHECK_FALSE(parse_authority("[:1]"));
  CHECK_FALSE(parse_authority("[1:]"));
  CHECK_FALSE(parse_authority("[::256.0.0.1]"));
  CHECK_FALSE(parse_authority("ex%4mple"));
  CHECK_FALSE(parse_authority("h:1:2"));
}

TEST_CASE("uri: origin-form request-target splits path and query") {
  auto t = parse_request_target("GET", "/where?q=now&x");
  REQUIRE(t);
  CHECK(t->form == target_form::origin);
  CHECK(t->path == "/where");
  CHECK(t->query == "q=now&x");
  CHECK(t->has_query);
  auto bare = parse_request_target("GET", "/");
  CHECK(bare->path == "/");
  CHECK_FALSE(bare->has_query);
  auto empty_q = parse_request_target("GET", "/a?");
  CHECK(empty_q->has_query);
  CHECK(empty_q->query.empty());
  CHECK(parse_request_target("GET", "/a?b?c/d")->query == "b?c/d");
}

TEST_CASE("uri: request-targets accept what browsers send unencoded in queries") {
  auto t = parse_request_target("GET", "/search?filter[name]=a|b&x={1}&y=^`");
  REQUIRE(t);
  CHECK(t->query == "filter[name]=a|b&x={1}&y=^`");
  // Escapes are left to the decoders.
  CHECK(parse_request_target("GET", "/100%")->path == "/100%");
}

TEST_CASE("uri: absolute-form request-target gives scheme, host, port, path") {
  auto t = parse_request_target("GET", "http://www.example.org:8080/pub/WWW/TheProject.html?x=1");
  REQUIRE(t);
  CHECK(t->form == target_form::absolute);
  CHECK(t->scheme == "http");
  CHECK(t->authority == "www.example.org:8080");
  CHECK(t->host == "www.example.org");
  CHECK(t->port == 8080);
  CHECK(t->path == "/pub/WWW/TheProject.html");
  CHECK(t->query == "x=1");
  auto no_path = parse_request_target("GET", "https://[::1]");
  REQUIRE(no_path);
  CHECK(no_path->path == "/");
  CHECK(no_path->host == "[::1]");
  CHECK(parse_request_target("GET", "http://h?q")->path == "/");
}

TEST_CASE("uri: authority-form only for CONNECT, asterisk-form only for OPTIONS") {
  auto c = parse_request_target("CONNECT", "server.example.com:80");
  REQUIRE(c);
  CHECK(c->form == target_form::authority);
  CHECK(c->host == "server.example.com");
  CHECK(c->port == 80);
  CHECK_FALSE(parse_request_target("CONNECT", "server.example.com"));
  CHECK_FALSE(parse_request_target("CONNECT", "/path"));
  CHECK_FALSE(parse_request_target("GET", "server.example.com:80"));
  auto s = parse_request_target("OPTIONS", "*");
  REQUIRE(s);
  CHECK(s->form == target_form::asterisk);
  CHECK(s->path == "*");
  CHECK_FALSE(parse_request_target("GET", "*"));
}

TEST_CASE("uri: request-targets with fragments, spaces, controls or userinfo are rejected") {
  CHECK_FALSE(parse_request_target("GET", ""));
  CHECK_FALSE(parse_request_target("GET", "/a#frag"));
  CHECK_FALSE(parse_request_target("GET", "/a b"));
  CHECK_FALSE(parse_request_target("GET", "/a\x01"));
  CHECK_FALSE(parse_request_target("GET", "/a\xc3\xa9"));
  CHECK_FALSE(parse_request_target("GET", "http://user@host/"));
  CHECK_FALSE(parse_request_target("GET", "http:/host/"));
  CHECK_FALSE(parse_request_target("GET", "1http://host/"));
  CHECK_FALSE(parse_request_target("GET", "http:///path"));
  CHECK_FALSE(parse_request_target("GET", "http://host/a b"));
}

TEST_CASE("uri: parsers take arbitrary bytes without crashing") {
  std::mt19937 rng{7};
  static constexpr char chars[] = "/%?#:[]@.*a1F \x80\0";
  for (int i = 0; i < 20000; ++i) {
    std::string s(rng() % 24, '\0');
    for (auto& c : s) c = chars[rng() % (sizeof chars - 1)];
    (void)percent_decode(s);
    (void)split_path(s);
    (void)parse_authority(s, rng() % 2);
    auto t = parse_request_target(rng() % 2 ? "GET" : "CONNECT", s);
    if (t && t->form == target_form::origin) CHECK(t->path.substr(0, 1) == "/");
  }
}

TEST_CASE("uri: compose follows cowboy_req:uri/2 (parts left out, default ports dropped)") {
  parts p{.scheme = "http",
          .host = "example.org",
          .port = 80,
          .path = "/path/to/res",
          .qs = "edit=1",
          .request_scheme = "http"};
  CHECK(compose(p) == "http://example.org/path/to/res?edit=1");
  auto relative = p;
  relative.scheme.reset();
  CHECK(compose(relative) == "//example.org/path/to/res?edit=1");
  relative.qs.reset();
  CHECK(compose(relative) == "//example.org/path/to/res");
  auto path_only = p;
  path_only.host.reset();
  path_only.qs.reset();
  CHECK(compose(path_only) == "/path/to/res");
  auto empty_host = p;
  empty_host.host = "";
  CHECK(compose(empty_host) == "/path/to/res?edit=1");
  auto fragment = p;
  fragment.fragment = "errors";
  CHECK(compose(fragment) == "http://example.org/path/to/res?edit=1#errors");
  fragment.fragment = "";
  fragment.qs = "";
  CHECK(compose(fragment) == "http://example.org/path/to/res");
  auto port = p;
  port.port = 8080;
  CHECK(compose(port) == "http://example.org:8080/path/to/res?edit=1");
  port.port.reset();
  CHECK(compose(port) == "http://example.org/path/to/res?edit=1");
  // The default port is the given scheme's, else the request's.
  auto https = p;
  https.scheme = "https";
  https.port = 443;
  CHECK(compose(https) == "https://example.org/path/to/res?edit=1");
  https.port = 80;
  CHECK(compose(https) == "https://example.org:80/path/to/res?edit=1");
  https.scheme.reset();
  https.request_scheme = "https";
  https.port = 443;
  CHECK(compose(https) == "//example.org/path/to/res?edit=1");
  auto other = p;
  other.scheme = "ftp";
  CHECK(compose(other) == "ftp://example.org:80/path/to/res?edit=1");
  auto asterisk = p;
  asterisk.path = "*";
  CHECK(compose(asterisk) == "http://example.org");
  auto no_path = p;
  no_path.path.reset();
  CHECK(compose(no_path) == "http://example.org?edit=1");
}
