// Header parsing, with cases from cow_http_hd's tests and the RFCs' examples.
#include <catch2/catch.hpp>

#include <random>
#include <string>

#include "rodeo/http_header.hpp"

using namespace rodeo::http_header;
using strings = std::vector<std::string>;
using qitems = std::vector<quality_item>;

TEST_CASE("http_header: field name/value validity") {
  CHECK(is_valid_name("x-custom"));
  CHECK_FALSE(is_valid_name("x custom"));
  CHECK_FALSE(is_valid_name("x:"));
  CHECK(is_valid_value("text/html; charset=utf-8"));
  CHECK(is_valid_value(""));
  CHECK(is_valid_value("caf\xc3\xa9"));  // obs-text is allowed
  CHECK_FALSE(is_valid_value("a\r\nb"));
  CHECK_FALSE(is_valid_value("a\r\n b"));  // obs-fold
  CHECK_FALSE(is_valid_value(std::string_view{"a\0b", 3}));
  CHECK_FALSE(is_valid_value(" a"));
  CHECK_FALSE(is_valid_value("a\t"));
}

TEST_CASE("http_header: content-type lowercases type, subtype, names and charset") {
  auto m = parse_content_type("text/plain");
  REQUIRE(m);
  CHECK(m->type == "text");
  CHECK(m->subtype == "plain");
  CHECK(m->params.empty());
  auto u = parse_content_type("Text/HTML;Charset=\"UTF-8\"");
  REQUIRE(u);
  CHECK(u->type == "text");
  CHECK(u->subtype == "html");
  CHECK(u->params == params{{"charset", "utf-8"}});
  auto mp = parse_content_type("multipart/form-data; boundary=\"MultipartIsUgly\"");
  REQUIRE(mp);
  CHECK(*mp->param("boundary") == "MultipartIsUgly");
  CHECK(parse_content_type("application/x-www-form-urlencoded ; a=b ;c=\"d\\\"e\"")->params ==
        params{{"a", "b"}, {"c", "d\"e"}});
  CHECK(parse_content_type("text/plain;")->params.empty());
}

TEST_CASE("http_header: content-type rejects malformed values") {
  CHECK_FALSE(parse_content_type(""));
  CHECK_FALSE(parse_content_type("text"));
  CHECK_FALSE(parse_content_type("text/"));
  CHECK_FALSE(parse_content_type("/plain"));
  CHECK_FALSE(parse_content_type("text/plain; charset"));
  CHECK_FALSE(parse_content_type("text/plain; charset=\"utf-8"));
  CHECK_FALSE(parse_content_type("text/plain x"));
  CHECK_FALSE(parse_content_type("text/plain, text/html"));
}

TEST_CASE("http_header: accept gives media ranges with params, q and ext, sorted by q") {
  auto a = parse_accept(
      "text/*;q=0.3, text/html;q=0.7, text/html;level=1, "
      "text/html;level=2;q=0.4, */*;q=0.5");
  REQUIRE(a);
  REQUIRE(a->size() == 5);
  CHECK((*a)[0].type == "text");
  CHECK((*a)[0].subtype == "html");
  CHECK((*a)[0].params == params{{"level", "1"}});
  CHECK((*a)[0].quality == 1000);
  CHECK((*a)[1].quality == 700);
  CHECK((*a)[2].type == "*");
  CHECK((*a)[2].quality == 500);
  CHECK((*a)[3].params == params{{"level", "2"}});
  CHECK((*a)[3].quality == 400);
  CHECK((*a)[4].subtype == "*");
  CHECK((*a)[4].quality == 300);
  auto ext = parse_accept("text/html;q=0.5;ext=1;flag, Audio/Basic");
  REQUIRE(ext);
  CHECK((*ext)[0].type == "audio");
  CHECK((*ext)[1].ext == params{{"ext", "1"}, {"flag", ""}});
  CHECK(parse_accept("")->empty());
  CHECK(parse_accept("text/html;q=1.000")->front().quality == 1000);
  CHECK(parse_accept("text/html;Q=0.001")->front().quality == 1);
}

TEST_CASE("http_header: accept rejects bad ranges and q-values") {
  CHECK_FALSE(parse_accept("text"));
  CHECK_FALSE(parse_accept("*/html"));
  CHECK_FALSE(parse_accept("text/html;q=2"));
  CHECK_FALSE(parse_accept("text/html;q=1.5"));
  CHECK_FALSE(parse_accept("text/html;q=0.1234"));
  CHECK_FALSE(parse_accept("text/html;q="));
  CHECK_FALSE(parse_accept("text/html;level"));
  CHECK_FALSE(parse_accept("text/html text/plain"));
}

TEST_CASE("http_header: accept-charset, accept-encoding, accept-language with q-values") {
  CHECK(parse_accept_charset("iso-8859-5, unicode-1-1;q=0.8") ==
        qitems{{"iso-8859-5", 1000}, {"unicode-1-1", 800}});
  CHECK(parse_accept_charset("UTF-8, *;q=0") == qitems{{"utf-8", 1000}, {"*", 0}});
  CHECK_FALSE(parse_accept_charset(""));
  CHECK(parse_accept_encoding("compress, gzip") == qitems{{"compress", 1000}, {"gzip", 1000}});
  CHECK(parse_accept_encoding("") == qitems{});
  CHECK(parse_accept_encoding("*") == qitems{{"*", 1000}});
  CHECK(parse_accept_encoding("compress;q=0.5, gzip;q=1.0") ==
        qitems{{"compress", 500}, {"gzip", 1000}});
  CHECK(parse_accept_encoding("gzip;q=1.0, identity; q=0.5, *;q=0") ==
        qitems{{"gzip", 1000}, {"identity", 500}, {"*", 0}});
  CHECK(parse_accept_language("da, en-gb;q=0.8, en;q=0.7") ==
        qitems{{"da", 1000}, {"en-gb", 800}, {"en", 700}});
  CHECK(parse_accept_language("zh-Hant-CN-x-private1-private2") ==
        qitems{{"zh-hant-cn-x-private1-private2", 1000}});
  CHECK(parse_accept_language("*;q=0.1") == qitems{{"*", 100}});
  CHECK_FALSE(parse_accept_language(""));
  CHECK_FALSE(parse_accept_language("toolongtag"));
  CHECK_FALSE(parse_accept_language("1en"));
  CHECK_FALSE(parse_accept_encoding("gzip;level=1"));
}

TEST_CASE("http_header: content-length is strict digits") {
  CHECK(parse_content_length("0") == 0u);
  CHECK(parse_content_length("1234567890") == 1234567890u);
  CHECK(parse_content_length(" 12 ") == 12u);
  CHECK(parse_content_length("18446744073709551615") == UINT64_MAX);
  CHECK_FALSE(parse_content_length("18446744073709551616"));
  CHECK_FALSE(parse_content_length(""));
  CHECK_FALSE(parse_content_length("-1"));
  CHECK_FALSE(parse_content_length("+1"));
  CHECK_FALSE(parse_content_length("1 2"));
  CHECK_FALSE(parse_content_length("12, 12"));
  CHECK_FALSE(parse_content_length("0x10"));
}

TEST_CASE("http_header: connection, transfer-encoding and upgrade are lowercase lists") {
  CHECK(parse_connection("close") == strings{"close"});
  CHECK(parse_connection("Keep-Alive, Upgrade") == strings{"keep-alive", "upgrade"});
  CHECK(parse_connection(" , ,close,, ") == strings{"close"});
  CHECK_FALSE(parse_connection(""));
  CHECK_FALSE(parse_connection(", ,"));
  CHECK_FALSE(parse_connection("a b"));
  CHECK(parse_transfer_encoding("chunked") == strings{"chunked"});
  CHECK(parse_transfer_encoding("gzip, Chunked") == strings{"gzip", "chunked"});
  CHECK_FALSE(parse_transfer_encoding(""));
  CHECK_FALSE(parse_transfer_encoding("chunked;x=1"));
  CHECK(parse_upgrade("websocket") == strings{"websocket"});
  CHECK(parse_upgrade("HTTP/2.0, SHTTP/1.3, IRC/6.9, RTA/x11") ==
        strings{"http/2.0", "shttp/1.3", "irc/6.9", "rta/x11"});
  CHECK_FALSE(parse_upgrade(""));
  CHECK_FALSE(parse_upgrade("h2c/"));
}

TEST_CASE("http_header: te gives trailers and weighted codings") {
  auto t = parse_te("trailers, deflate;q=0.5");
  REQUIRE(t);
  CHECK(t->trailers);
  CHECK(t->codings == qitems{{"deflate", 500}});
  auto e = parse_te("");
  REQUIRE(e);
  CHECK_FALSE(e->trailers);
  CHECK(e->codings.empty());
  CHECK(parse_te("Trailers")->trailers);
  CHECK_FALSE(parse_te("deflate;q=x"));
}

TEST_CASE("http_header: expect accepts 100-continue only") {
  CHECK(parse_expect("100-continue") == true);
  CHECK(parse_expect("100-Continue") == true);
  CHECK_FALSE(parse_expect("200-ok"));
  CHECK_FALSE(parse_expect(""));
}

TEST_CASE("http_header: if-match / if-none-match parse '*' and strong or weak etags") {
  auto any = parse_if_match("*");
  REQUIRE(any);
  CHECK(any->any);
  auto l = parse_if_none_match("\"xyzzy\", W/\"r2d2xxxx\", \"c3piozzzz\", \"\"");
  REQUIRE(l);
  CHECK_FALSE(l->any);
  CHECK(l->tags ==
        std::vector<etag>{{false, "xyzzy"}, {true, "r2d2xxxx"}, {false, "c3piozzzz"}, {false, ""}});
  CHECK(parse_etag("W/\"1\"") == etag{true, "1"});
  CHECK_FALSE(parse_if_match(""));
  CHECK_FALSE(parse_if_match("xyzzy"));
  CHECK_FALSE(parse_if_match("\"xyzzy"));
  CHECK_FALSE(parse_if_match("w/\"a\""));
  CHECK_FALSE(parse_if_match("\"a b\""));
  CHECK_FALSE(parse_if_match("*, \"a\""));
}

TEST_CASE("http_header: dates for if-modified-since accept the three forms") {
  CHECK(parse_date("Sun, 06 Nov 1994 08:49:37 GMT") == 784111777);
  CHECK(parse_date("Sunday, 06-Nov-94 08:49:37 GMT") == 784111777);
  CHECK(parse_date("Sun Nov  6 08:49:37 1994") == 784111777);
  CHECK_FALSE(parse_date("yesterday"));
}

TEST_CASE("http_header: range parses byte ranges, suffixes and other units") {
  auto r = parse_range("bytes=0-499, 500-999, -500, 9500-, 0-0,-1");
  REQUIRE(r);
  CHECK(r->unit == "bytes");
  CHECK(r->ranges == std::vector<byte_range>{{0, 499},
                                             {500, 999},
                                             {std::nullopt, 500},
                                             {9500, std::nullopt},
                                             {0, 0},
                                             {std::nullopt, 1}});
  auto other = parse_range("pages=1-2,5");
  REQUIRE(other);
  CHECK(other->unit == "pages");
  CHECK(other->other == "1-2,5");
  CHECK(parse_range("Bytes=1-2")->unit == "bytes");
  CHECK_FALSE(parse_range("bytes="));
  CHECK_FALSE(parse_range("bytes=-"));
  CHECK_FALSE(parse_range("bytes=5-1"));
  CHECK_FALSE(parse_range("bytes=1-2-3"));
  CHECK_FALSE(parse_range("bytes=a-b"));
  CHECK_FALSE(parse_range("bytes 1-2"));
  CHECK_FALSE(parse_range("bytes=99999999999999999999-"));
}

TEST_CASE("http_header: authorization basic, bearer and other schemes") {
  auto b = parse_authorization("Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
  REQUIRE(b);
  CHECK(b->scheme == "basic");
  CHECK(b->username == "Aladdin");
  CHECK(b->password == "open sesame");
  auto colon = parse_authorization("basic dXNlcjpwYTpzcw==");  // user:pa:ss
  CHECK(colon->password == "pa:ss");
  auto t = parse_authorization("Bearer mF_9.B5f-4.1JqM");
  REQUIRE(t);
  CHECK(t->scheme == "bearer");
  CHECK(t->token == "mF_9.B5f-4.1JqM");
  auto d = parse_authorization("Digest username=\"Mufasa\", realm=\"x\"");
  REQUIRE(d);
  CHECK(d->scheme == "digest");
  CHECK(d->token == "username=\"Mufasa\", realm=\"x\"");
  CHECK_FALSE(parse_authorization("Basic"));
  CHECK_FALSE(parse_authorization("Basic !!!"));
  CHECK_FALSE(parse_authorization("Basic dXNlcg=="));  // no ':'
  CHECK_FALSE(parse_authorization("Bearer a b"));
  CHECK_FALSE(parse_authorization(""));
}

TEST_CASE("http_header: sec-websocket-key must be base64 of 16 bytes") {
  CHECK(parse_sec_websocket_key("dGhlIHNhbXBsZSBub25jZQ==") == "dGhlIHNhbXBsZSBub25jZQ==");
  CHECK_FALSE(parse_sec_websocket_key("dGhlIHNhbXBsZSBub25jZQ"));
  CHECK_FALSE(parse_sec_websocket_key("dGhlIHNhbXBsZSBub25jZQ=!"));
  CHECK_FALSE(parse_sec_websocket_key("dGhlIHNhbXBsZSBub25jZXg="));  // 17 bytes
  CHECK_FALSE(parse_sec_websocket_key(""));
}

TEST_CASE("http_header: sec-websocket-version is 0-255 without leading zeros") {
  CHECK(parse_sec_websocket_version("13") == 13);
  CHECK(parse_sec_websocket_version("0") == 0);
  CHECK(parse_sec_websocket_version("255") == 255);
  CHECK_FALSE(parse_sec_websocket_version("256"));
  CHECK_FALSE(parse_sec_websocket_version("013"));
  CHECK_FALSE(parse_sec_websocket_version("13, 8"));
  CHECK_FALSE(parse_sec_websocket_version(""));
}

TEST_CASE("http_header: sec-websocket-protocol keeps case") {
  CHECK(parse_sec_websocket_protocol("chat, SuperChat") == strings{"chat", "SuperChat"});
  CHECK_FALSE(parse_sec_websocket_protocol(""));
  CHECK_FALSE(parse_sec_websocket_protocol("a b"));
}

TEST_CASE("http_header: sec-websocket-extensions with parameters") {
  auto e = parse_sec_websocket_extensions(
      "permessage-deflate; client_max_window_bits; server_max_window_bits=10, "
      "permessage-deflate; server_max_window_bits=\"12\", foo");
  REQUIRE(e);
  REQUIRE(e->size() == 3);
  CHECK((*e)[0].name == "permessage-deflate");
  CHECK((*e)[0].params == std::vector<extension_param>{{"client_max_window_bits", std::nullopt},
                                                       {"server_max_window_bits", "10"}});
  CHECK((*e)[1].params == std::vector<extension_param>{{"server_max_window_bits", "12"}});
  CHECK((*e)[2].name == "foo");
  CHECK((*e)[2].params.empty());
  CHECK_FALSE(parse_sec_websocket_extensions(""));
  CHECK_FALSE(parse_sec_websocket_extensions("a;"));
  CHECK_FALSE(parse_sec_websocket_extensions("a; b=\"c"));
  CHECK_FALSE(parse_sec_websocket_extensions("a b"));
}

TEST_CASE("http_header: host gives a lowercase name and an optional port") {
  auto h = parse_host("Example.ORG:8080");
  REQUIRE(h);
  CHECK(h->name == "example.org");
  CHECK(h->port == 8080);
  CHECK(parse_host("localhost")->port == std::nullopt);
  auto v6 = parse_host("[2001:DB8::1]:443");
  REQUIRE(v6);
  CHECK(v6->name == "[2001:db8::1]");
  CHECK(v6->port == 443);
  CHECK(parse_host("")->name.empty());
  CHECK_FALSE(parse_host("a b"));
  CHECK_FALSE(parse_host("h:99999"));
  CHECK_FALSE(parse_host("[::1"));
  CHECK_FALSE(parse_host("user@h"));
}

TEST_CASE("http_header: base64 round trips and rejects non-canonical input") {
  CHECK(base64_encode("") == "");
  CHECK(base64_encode("f") == "Zg==");
  CHECK(base64_encode("fo") == "Zm8=");
  CHECK(base64_encode("foo") == "Zm9v");
  CHECK(base64_encode("foobar") == "Zm9vYmFy");
  CHECK(base64_decode("Zm9vYg==") == "foob");
  CHECK_FALSE(base64_decode("Zm9"));
  CHECK_FALSE(base64_decode("Zh=="));  // non-zero padding bits
  CHECK_FALSE(base64_decode("Z==="));
  CHECK_FALSE(base64_decode("Zm=v"));
  std::mt19937 rng{1};
  for (int i = 0; i < 1000; ++i) {
    std::string s(rng() % 30, '\0');
    for (auto& c : s) c = static_cast<char>(rng() % 256);
    CHECK(base64_decode(base64_encode(s)) == s);
  }
}

TEST_CASE("http_header: parsers take arbitrary bytes without crashing") {
  std::mt19937 rng{13};
  static constexpr char chars[] = "a/*;=q0.1,\" \t\\W-:[]\0\xff";
  for (int i = 0; i < 20000; ++i) {
    std::string s(rng() % 24, '\0');
    for (auto& c : s) c = chars[rng() % (sizeof chars - 1)];
    (void)parse_content_type(s);
    if (auto a = parse_accept(s))
      for (auto& r : *a) CHECK((r.quality >= 0 && r.quality <= 1000));
    (void)parse_accept_language(s);
    (void)parse_te(s);
    (void)parse_if_none_match(s);
    (void)parse_range(s);
    (void)parse_authorization(s);
    (void)parse_sec_websocket_extensions(s);
    (void)parse_host(s);
    (void)base64_decode(s);
  }
}

TEST_CASE("http_header: HTTP2-Settings is unpadded base64url of whole settings") {
  // SETTINGS_MAX_CONCURRENT_STREAMS (3) = 100, SETTINGS_INITIAL_WINDOW_SIZE (4) = 65535 (curl's).
  auto s = parse_http2_settings("AAMAAABkAAQAAP__");
  REQUIRE(s);
  CHECK(*s == std::string("\0\3\0\0\0\x64\0\4\0\0\xff\xff", 12));
  CHECK(parse_http2_settings("")->empty());
  CHECK_FALSE(parse_http2_settings("AAMAAABkAAQAAP//"));  // base64, not base64url
  CHECK_FALSE(parse_http2_settings("AAMAAABkAAQAAP__=="));
  CHECK_FALSE(parse_http2_settings("AAMAAABk_w"));  // not a multiple of 6 bytes
}
