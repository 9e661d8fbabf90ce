// The Req additions through a real listener: uri(opts), filter_cookies, set_resp_cookie's
// attributes, push as a no-op, read_and_match_urlencoded_body and read_body's length, period and
// auto options (Cowboy's cowboy_req semantics).
#include <catch2/catch.hpp>

#include <set>

#include "net_support.hpp"

using namespace net_test;
using namespace std::chrono_literals;

namespace {

std::string get(const std::string& path, const std::string& host, const std::string& extra = "") {
  return "GET " + path + " HTTP/1.1\r\nHost: " + host + "\r\n" + extra + "\r\n";
}

std::string next_text(caf::scoped_actor& probe, std::chrono::milliseconds limit = 5s) {
  std::string s = "<nothing>";
  probe->receive([&](std::string& x) { s = x; }, caf::after(limit) >> [] {});
  return s;
}

std::vector<std::string> set_cookies(const response& r) {
  std::vector<std::string> out;
  for (auto& [n, v] : r.headers)
    if (n == "set-cookie") out.push_back(v);
  return out;
}

// Reports each piece read_body delivers ("data" or "data$" for the last) to the probe, then
// answers with the pieces joined by '|'.
struct reader {
  caf::actor probe;
  rodeo::read_body_opts opts;
  void operator()(rodeo::req& req) const { step(req, std::make_shared<std::string>()); }
  void step(rodeo::req& req, std::shared_ptr<std::string> acc) const {
    req.read_body(opts, [self = *this, acc](rodeo::req& r, std::string data, rodeo::is_fin f) {
      caf::anon_send(self.probe, data + (f == rodeo::fin ? "$" : ""));
      if (!acc->empty()) *acc += "|";
      *acc += data;
      if (f == rodeo::fin)
        r.reply(200, {}, *acc);
      else
        self.step(r, acc);
    });
  }
};

}  // namespace

TEST_CASE("Req: uri(opts) replaces or leaves out parts like cowboy_req:uri/2") {
  server srv;
  srv.start({{"_",
              {{"/p",
                [](rodeo::req& req) {
                  using rodeo::undefined;
                  std::string out = req.uri() + "\n";
                  out += req.uri({.scheme = undefined}) + "\n";
                  out += req.uri({.scheme = undefined, .qs = undefined}) + "\n";
                  out += req.uri({.host = undefined, .qs = undefined}) + "\n";
                  out += req.uri({.host = undefined}) + "\n";
                  out += req.uri({.fragment = "errors"}) + "\n";
                  out += req.uri({.port = 8080}) + "\n";
                  out += req.uri({.port = undefined}) + "\n";
                  out += req.uri({.scheme = "https", .port = 443}) + "\n";
                  out += req.uri({.scheme = "https", .port = 80}) + "\n";
                  out += req.uri({.host = "example.com", .path = "/q", .qs = "a=b"}) + "\n";
                  req.reply(200, {}, out);
                }},
               {"*", [](rodeo::req& req) {
                  req.reply(200, {}, req.uri());
                }}}}});
  client c{srv.port};
  c.send(get("/p?edit=1", "example.org"));
  auto r = c.read_response();
  REQUIRE(r);
  CHECK(r->body ==
        "http://example.org/p?edit=1\n"
        "//example.org/p?edit=1\n"
        "//example.org/p\n"
        "/p\n"
        "/p?edit=1\n"
        "http://example.org/p?edit=1#errors\n"
        "http://example.org:8080/p?edit=1\n"
        "http://example.org/p?edit=1\n"
        "https://example.org/p?edit=1\n"
        "https://example.org:80/p?edit=1\n"
        "http://example.com/q?a=b\n");
  // A port that is not the scheme's default is kept; OPTIONS * has neither path nor query.
  auto port = std::to_string(srv.port);
  c.send(get("/p", "localhost:" + port));
  auto with_port = c.read_response();
  REQUIRE(with_port);
  CHECK(with_port->body.substr(0, with_port->body.find('\n')) == "http://localhost:" + port + "/p");
  c.send("OPTIONS * HTTP/1.1\r\nHost: localhost:" + port + "\r\n\r\n");
  auto star = c.read_response();
  REQUIRE(star);
  CHECK(star->body == "http://localhost:" + port);
}

TEST_CASE("Req: filter_cookies keeps the named cookies, so invalid others are ignored") {
  server srv;
  auto show = [](rodeo::req& req) {
    std::string out;
    for (auto& [n, v] : req.parse_cookies()) out += n + "=" + v + ";";
    req.reply(200, {}, out + " header=" + req.header("cookie", "<none>"));
  };
  srv.start({{"_",
              {{"/all", show},
               {"/filtered",
                [show](rodeo::req& req) {
                  req.filter_cookies({"good", "other"});
                  show(req);
                }},
               {"/before", [](rodeo::req& req) {
                  // A reference taken before filtering still reads the header as received.
                  const std::string* before = req.header("cookie");
                  req.filter_cookies({"other"});
                  req.reply(200, {}, *before + " | " + req.header("cookie", "<none>"));
                }}}}});
  const std::string jar = "-H 'cookie: good=1; b,ad=x; other=2; unused=3'";
  CHECK(run("curl -s -o /dev/null -w '%{http_code}' --max-time 10 " + jar +
            " http://127.0.0.1:" + std::to_string(srv.port) + "/all")
            .out == "400");
  auto r = curl(srv.port, jar, "/filtered");
  CHECK(r.out == "good=1;other=2; header=good=1; other=2");
  CHECK(curl(srv.port, jar, "/before").out == "good=1; b,ad=x; other=2; unused=3 |  other=2");
  // No cookie header: nothing to filter, and none is made up.
  CHECK(curl(srv.port, "", "/filtered").out == " header=<none>");
}

TEST_CASE("Req: set_resp_cookie writes every attribute (cowlib's order and spelling)") {
  server srv;
  caf::scoped_actor probe{srv.node.system()};
  srv.start({{"_",
              {{"/set",
                [](rodeo::req& req) {
                  using ss = rodeo::cookie::same_site;
                  req.set_resp_cookie("plain", "v");
                  req.set_resp_cookie("aged", "v", {.max_age = 3600});
                  req.set_resp_cookie("gone", "", {.max_age = 0});
                  req.set_resp_cookie("dom", "v", {.domain = "example.org"});
                  req.set_resp_cookie("pathed", "v", {.path = "/app"});
                  req.set_resp_cookie("sec", "v", {.secure = true});
                  req.set_resp_cookie("ho", "v", {.http_only = true});
                  req.set_resp_cookie("strict", "v", {.same_site = ss::strict});
                  req.set_resp_cookie("lax", "v", {.same_site = ss::lax});
                  req.set_resp_cookie("none", "v", {.secure = true, .same_site = ss::none});
                  req.set_resp_cookie("dated", "v", {.expires = std::time(nullptr) + 7200});
                  req.set_resp_cookie("plain", "replaced");  // same name: replaces
                  req.reply(204);
                }},
               {"/bad", [p = caf::actor{probe}](rodeo::req& req) {
                  struct attempt {
                    std::string name, value;
                    rodeo::cookie::opts opts;
                  };
                  std::string refused;
                  for (auto& a : std::vector<attempt>{{"a=b", "v", {}},
                                                      {"a", "v;x", {}},
                                                      {"a", "v", {.max_age = -1}},
                                                      {"a", "v", {.domain = "x;y"}},
                                                      {"a", "v", {.path = "/\r\n"}}}) {
                    try {
                      req.set_resp_cookie(a.name, a.value, a.opts);
                    } catch (const std::invalid_argument&) {
                      refused += "x";
                    }
                  }
                  caf::anon_send(p, refused);
                  req.reply(204);
                }}}}});
  client c{srv.port};
  c.send(get("/set", "localhost"));
  auto r = c.read_response();
  REQUIRE(r);
  auto cookies = set_cookies(*r);
  REQUIRE(cookies.size() == 11);
  CHECK(cookies[0] == "plain=replaced");
  CHECK(cookies[1].starts_with("aged=v; Expires="));
  CHECK(cookies[1].ends_with(" GMT; Max-Age=3600"));
  CHECK(cookies[2] == "gone=; Expires=Thu, 01-Jan-1970 00:00:01 GMT; Max-Age=0");
  CHECK(cookies[3] == "dom=v; Domain=example.org");
  CHECK(cookies[4] == "pathed=v; Path=/app");
  CHECK(cookies[5] == "sec=v; Secure");
  CHECK(cookies[6] == "ho=v; HttpOnly");
  CHECK(cookies[7] == "strict=v; SameSite=Strict");
  CHECK(cookies[8] == "lax=v; SameSite=Lax");
  CHECK(cookies[9] == "none=v; SameSite=None; Secure");
  CHECK(cookies[10].starts_with("dated=v; Expires="));
  CHECK(cookies[10].ends_with(" GMT"));
  c.send(get("/bad", "localhost"));
  REQUIRE(c.read_response());
  CHECK(next_text(probe) == "xxxxx");
  // curl's cookie engine takes them: path, HttpOnly and an expiry an hour ahead in its jar.
  auto jar = curl(srv.port, "-c -", "/set");
  CHECK(jar.out.find("#HttpOnly_127.0.0.1\tFALSE\t/\tFALSE\t0\tho\tv") != std::string::npos);
  CHECK(jar.out.find("\t/app\tFALSE\t0\tpathed\tv") != std::string::npos);
  // The expiry curl stored for a cookie (its jar's fifth field).
  auto expiry_of = [&](const std::string& name) -> long long {
    auto at = jar.out.find("\t" + name + "\tv");
    if (at == std::string::npos) return -1;
    auto line_start = jar.out.rfind('\n', at) + 1;
    auto fields = jar.out.substr(line_start, at - line_start);
    return std::stoll(fields.substr(fields.rfind('\t') + 1));
  };
  auto now = static_cast<long long>(std::time(nullptr));
  CHECK(expiry_of("aged") > now + 3500);
  CHECK(expiry_of("aged") < now + 3700);
  CHECK(expiry_of("dated") > now + 7100);
  CHECK(expiry_of("dated") < now + 7300);
  CHECK(jar.out.find("\tgone\t") == std::string::npos);  // Max-Age=0 deletes
}

TEST_CASE("Req: push is a no-op before the response and refused after it") {
  server srv;
  caf::scoped_actor probe{srv.node.system()};
  srv.start({{"_", {{"/page", [p = caf::actor{probe}](rodeo::req& req) {
                       req.push("/style.css", {{"accept", "text/css"}});
                       req.push("/app.js", {}, {.method = "GET", .host = "cdn.example.org"});
                       req.reply(200, {}, "page");
                       try {
                         req.push("/late.css");
                         caf::anon_send(p, std::string{"accepted"});
                       } catch (const std::logic_error&) {
                         caf::anon_send(p, std::string{"refused"});
                       }
                     }}}}});
  client c{srv.port};
  c.send(get("/page", "localhost"));
  auto r = c.read_response();
  REQUIRE(r);
  CHECK(r->status == 200);
  CHECK(r->body == "page");
  CHECK(next_text(probe) == "refused");
  // Nothing else was written: the next request gets its own answer.
  c.send(get("/page", "localhost"));
  auto again = c.read_response();
  REQUIRE(again);
  CHECK(again->body == "page");
}

TEST_CASE("Req: read_and_match_urlencoded_body applies constraints, a failure is 400") {
  server srv;
  srv.start({{"_", {{"/form", [](rodeo::req& req) {
                       req.read_and_match_urlencoded_body(
                           {{"n", {rodeo::constraint::int_()}}, {"lang", {}, rodeo::value{"en"}}},
                           [](rodeo::req& r, rodeo::bindings b) {
                             r.reply(200, {},
                                     std::to_string(b.at("n").as_int() + 1) + " " +
                                         b.at("lang").as_string());
                           });
                     }}}}});
  CHECK(curl(srv.port, "--data 'n=41'", "/form").out == "42 en");
  CHECK(curl(srv.port, "--data 'n=1&lang=fr'", "/form").out == "2 fr");
  auto code = [&](const std::string& data) {
    return run("curl -s -o /dev/null -w '%{http_code}' --max-time 10 --data '" + data +
               "' http://127.0.0.1:" + std::to_string(srv.port) + "/form")
        .out;
  };
  CHECK(code("n=abc") == "400");
  CHECK(code("lang=fr") == "400");
  CHECK(code("n=%zz") == "400");
}

TEST_CASE("Req: read_body auto returns each piece as soon as it arrives") {
  server srv;
  caf::scoped_actor probe{srv.node.system()};
  // A period far longer than the test: only auto can return the first piece early.
  srv.start({{"_",
              {{"/auto", reader{probe, {.length = 1000, .period = 60s, .auto_ = true}}},
               {"/auto0", reader{probe, {.length = 0, .auto_ = true}}}}}});
  for (std::string path : {"/auto", "/auto0"}) {
    client c{srv.port};
    c.send("POST " + path + " HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n\r\nabc");
    CHECK(next_text(probe) == "abc");
    c.send("defg");
    CHECK(next_text(probe) == "defg");
    c.send("hij");
    CHECK(next_text(probe) == "hij$");
    auto r = c.read_response();
    REQUIRE(r);
    CHECK(r->body == "abc|defg|hij");
  }
  // Chunked: the terminating chunk alone ends the body.
  client c{srv.port};
  c.send("POST /auto HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n");
  CHECK(next_text(probe) == "abc");
  c.send("0\r\n\r\n");
  CHECK(next_text(probe) == "$");
  auto r = c.read_response();
  REQUIRE(r);
  CHECK(r->body == "abc|");
}

TEST_CASE("Req: read_body auto asks for 100 Continue and serves a large body in pieces") {
  server srv;
  caf::scoped_actor probe{srv.node.system()};
  srv.start({{"_", {{"/auto", [](rodeo::req& req) {
                       auto total = std::make_shared<size_t>(0);
                       auto pieces = std::make_shared<int>(0);
                       auto step = std::make_shared<std::function<void(rodeo::req&)>>();
                       *step = [=](rodeo::req& r) {
                         r.read_body({.auto_ = true},
                                     [=](rodeo::req& r2, std::string d, rodeo::is_fin f) {
                                       *total += d.size();
                                       ++*pieces;
                                       if (f == rodeo::fin) {
                                         r2.reply(200, {},
                                                  std::to_string(*total) + " " +
                                                      (*pieces > 1 ? "pieces" : "one"));
                                         *step = nullptr;  // break the cycle
                                       } else {
                                         (*step)(r2);
                                       }
                                     });
                       };
                       (*step)(req);
                     }}}}});
  // curl sends expect: 100-continue for a large upload and waits 1 s for the 100 unless it comes.
  auto start = clock::now();
  auto r =
      run("head -c 3000000 /dev/zero | curl -s --max-time 10 -H 'expect: 100-continue' "
          "--data-binary @- http://127.0.0.1:" +
          std::to_string(srv.port) + "/auto");
  CHECK(r.out == "3000000 pieces");
  CHECK(clock::now() - start < 5s);
}

TEST_CASE("Req: read_body length and period: enough bytes, or what arrived when time is up") {
  server srv;
  caf::scoped_actor probe{srv.node.system()};
  srv.start({{"_",
              {{"/len", reader{probe, {.length = 4, .period = 60s}}},
               {"/period", reader{probe, {.length = 1000, .period = 300ms}}},
               {"/zero", [p = caf::actor{probe}](rodeo::req& req) {
                  req.read_body({.length = 0, .period = 60s},
                                [p](rodeo::req& r, std::string d, rodeo::is_fin f) {
                                  caf::anon_send(p, d + (f == rodeo::fin ? "$" : ""));
                                  r.reply(200, {}, "read once");
                                });
                }}}}});
  {
    client c{srv.port};
    c.send("POST /len HTTP/1.1\r\nHost: h\r\nContent-Length: 6\r\n\r\nab");
    CHECK(next_text(probe, 500ms) == "<nothing>");  // 2 < 4 bytes: still waiting
    c.send("cdef");
    auto first = next_text(probe);
    CHECK((first == "abcdef$" || first == "abcd"));
    if (first == "abcd") CHECK(next_text(probe) == "ef$");
    REQUIRE(c.read_response());
  }
  {
    client c{srv.port};
    auto start = clock::now();
    c.send("POST /period HTTP/1.1\r\nHost: h\r\nContent-Length: 6\r\n\r\nabc");
    CHECK(next_text(probe) == "abc");
    CHECK(rodeo_test::in_timeout_window(clock::now() - start, 300ms));
    c.send("def");
    CHECK(next_text(probe) == "def$");
    auto r = c.read_response();
    REQUIRE(r);
    CHECK(r->body == "abc|def");
  }
  {
    // length 0: what is buffered, at once (here nothing yet), as Cowboy.
    client c{srv.port};
    c.send("POST /zero HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\n");
    CHECK(next_text(probe) == "");
    auto r = c.read_response();
    REQUIRE(r);
    CHECK(r->body == "read once");
  }
}

TEST_CASE("Req over HTTP/2 (curl --http2-prior-knowledge): uri, cookies, push, read_body auto") {
  server srv;
  srv.start(
      {{"_",
        {{"/p",
          [](rodeo::req& req) {
            req.reply(200, {},
                      req.version() + " " + req.uri() + " " +
                          req.uri({.scheme = rodeo::undefined, .qs = rodeo::undefined}) + " " +
                          req.uri({.host = rodeo::undefined}));
          }},
         {"/cookies",
          [](rodeo::req& req) {
            req.filter_cookies({"good", "other"});
            std::string out;
            for (auto& [n, v] : req.parse_cookies()) out += n + "=" + v + ";";
            req.set_resp_cookie("sid", "abc", {.max_age = 60, .path = "/", .http_only = true});
            req.set_resp_cookie("lax", "v", {.same_site = rodeo::cookie::same_site::lax});
            req.push("/style.css");  // no push: nothing but the response below
            req.reply(200, {}, out);
          }},
         {"/auto", [](rodeo::req& req) {
            auto total = std::make_shared<size_t>(0);
            auto step = std::make_shared<std::function<void(rodeo::req&)>>();
            *step = [=](rodeo::req& r) {
              r.read_body({.auto_ = true}, [=](rodeo::req& r2, std::string d, rodeo::is_fin f) {
                *total += d.size();
                if (f == rodeo::fin) {
                  r2.reply(200, {}, std::to_string(*total));
                  *step = nullptr;
                } else {
                  (*step)(r2);
                }
              });
            };
            (*step)(req);
          }}}}});
  auto port = std::to_string(srv.port);
  auto h2 = [&](const std::string& args, const std::string& path) {
    return curl(srv.port, "--http2-prior-knowledge " + args, path).out;
  };
  CHECK(h2("", "/p?edit=1") ==
        "HTTP/2 http://127.0.0.1:" + port + "/p?edit=1 //127.0.0.1:" + port + "/p /p?edit=1");
  // Two cookie fields: HTTP/2 joins them (RFC 9113 8.2.3) before filtering.
  auto out = h2("-i -H 'cookie: good=1; b,ad=x' -H 'cookie: other=2'", "/cookies");
  CHECK(out.find("set-cookie: sid=abc; HttpOnly; Expires=") != std::string::npos);
  CHECK(out.find("; Max-Age=60; Path=/\r\n") != std::string::npos);
  CHECK(out.find("set-cookie: lax=v; SameSite=Lax\r\n") != std::string::npos);
  CHECK(out.ends_with("\r\n\r\ngood=1;other=2;"));
  // 3 MB: 45 times HTTP/2's initial window, so it arrives only as auto reads reopen it.
  auto r =
      run("head -c 3000000 /dev/zero | curl -s --max-time 20 --http2-prior-knowledge "
          "--data-binary @- http://127.0.0.1:" +
          port + "/auto");
  CHECK(r.out == "3000000");
}
