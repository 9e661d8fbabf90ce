// REST handlers through a real listener: every callback's status, content negotiation, the
// conditional-request matrix, ranges and the accept/delete paths (the cases of Cowboy's
// rest_handler_SUITE), with raw sockets and curl.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>
#include <map>

#include "net_support.hpp"
#include "rodeo/http_date.hpp"
#include "rodeo/rest.hpp"

using namespace net_test;
using namespace std::chrono_literals;
namespace rest = rodeo::rest;

namespace {

const std::time_t modified = 784111777;  // Sun, 06 Nov 1994 08:49:37 GMT
std::string file_path;                   // a 100 KiB file of digits for file-body ranges

caf::actor doubler;  // answers 2 * x

struct switched_h : rodeo::handler {
  rodeo::handler_result init(rodeo::req& req) override {
    req.reply(200, {}, "switched");
    return rodeo::ok();
  }
};

// A resource whose every answer comes from the query string (?exists=0&etag=v1...).
struct resource : rodeo::rest_handler {
  std::map<std::string, std::string> q;
  bool has(const std::string& k) const { return q.count(k) > 0; }
  const std::string& at(const std::string& k) { return q[k]; }
  static std::vector<std::string> split(const std::string& s) {
    std::vector<std::string> out;
    size_t at = 0;
    while (at <= s.size()) {
      auto c = s.find(',', at);
      if (c == std::string::npos) c = s.size();
      out.push_back(s.substr(at, c - at));
      at = c + 1;
    }
    return out;
  }
  // ?stop=callback answers 299 and stops there; ?switch=callback switches handler.
  template <class T>
  result<T> maybe(rodeo::req& req, const char* name, result<T> normal) {
    if (has("stop") && q["stop"] == name) {
      req.reply(299, {}, "stopped in " + std::string{name});
      return rodeo::stop();
    }
    if (has("switch") && q["switch"] == name)
      return rest::switch_handler(std::make_shared<switched_h>());
    return normal;
  }

  result<bool> service_available(rodeo::req& req) override {
    for (auto& [k, v] : req.parse_qs()) q[k] = v.value_or("");
    return maybe<bool>(req, "service_available", !has("unavailable"));
  }
  result<methods> known_methods(rodeo::req& req) override {
    if (has("known")) return split(at("known"));
    return rest_handler::known_methods(req);
  }
  result<bool> uri_too_long(rodeo::req&) override { return has("too_long"); }
  result<methods> allowed_methods(rodeo::req& req) override {
    if (has("allowed")) return split(at("allowed"));
    return maybe<methods>(req, "allowed_methods",
                          methods{"GET", "HEAD", "OPTIONS", "PUT", "POST", "PATCH", "DELETE"});
  }
  result<bool> malformed_request(rodeo::req&) override { return has("malformed"); }
  result<rest::authorization> is_authorized(rodeo::req& req) override {
    if (has("auth") && !req.header("authorization"))
      return rest::authorization::unauthorized("Basic realm=\"test\"");
    return true;
  }
  result<bool> forbidden(rodeo::req& req) override {
    return maybe<bool>(req, "forbidden", has("forbidden"));
  }
  result<std::optional<rest::retry_after>> rate_limited(rodeo::req&) override {
    if (has("rate"))
      return std::optional<rest::retry_after>{std::chrono::seconds{std::stoi(at("rate"))}};
    if (has("rate_date")) return std::optional<rest::retry_after>{std::time_t{modified}};
    return std::optional<rest::retry_after>{};
  }
  result<bool> valid_content_headers(rodeo::req&) override { return !has("bad_content_headers"); }
  result<bool> valid_entity_length(rodeo::req&) override { return !has("too_large"); }
  result<bool> options(rodeo::req& req) override {
    if (has("options")) {
      req.set_resp_header("x-options", "custom");
      return true;
    }
    return rest_handler::options(req);
  }
  result<std::vector<rest::provided>> content_types_provided(rodeo::req& req) override {
    if (has("no_types")) return std::vector<rest::provided>{};
    if (has("file"))
      return {{"text/plain", [](rodeo::req&) -> result<rest::body> {
                 return *rest::open_file(file_path);
               }}};
    return maybe<std::vector<rest::provided>>(
        req, "content_types_provided",
        {{"text/plain",
          [](rodeo::req&) -> result<rest::body> {
            return "Hello world!";
          }},
         {"application/json",
          [](rodeo::req&) -> result<rest::body> {
            return R"({"hello":"world"})";
          }},
         {"text/html; *", [](rodeo::req&) -> result<rest::body> {
            return "<p>Hello world!</p>";
          }}});
  }
  result<std::optional<std::vector<std::string>>> languages_provided(rodeo::req&) override {
    if (!has("languages")) return std::optional<std::vector<std::string>>{};
    return std::optional{has("languages") && at("languages").empty() ? std::vector<std::string>{}
                                                                     : split(at("languages"))};
  }
  result<std::optional<std::vector<std::string>>> charsets_provided(rodeo::req&) override {
    if (!has("charsets")) return std::optional<std::vector<std::string>>{};
    return std::optional{at("charsets").empty() ? std::vector<std::string>{}
                                                : split(at("charsets"))};
  }
  result<std::optional<std::vector<rest::range_unit>>> ranges_provided(rodeo::req&) override {
    if (!has("ranges")) return std::optional<std::vector<rest::range_unit>>{};
    if (at("ranges") == "none") return std::optional{std::vector<rest::range_unit>{}};
    std::vector<rest::range_unit> units{{"bytes", {}}};
    // A unit with its own callback: "items=..." answered as one part.
    units.push_back({"items",
                     [](rodeo::req&, const rodeo::http_header::range& r)
                         -> result<std::vector<rest::range_part>> {
                       return std::vector<rest::range_part>{{{}, r.other + "/10", "items!"}};
                     }});
    return std::optional{std::move(units)};
  }
  result<bool> range_satisfiable(rodeo::req&, const rodeo::http_header::range&) override {
    return !has("unsatisfiable");
  }
  methods variances(rodeo::req&) override { return has("vary") ? methods{at("vary")} : methods{}; }
  result<bool> resource_exists(rodeo::req& r) override {
    if (!has("exists_later")) return !has("missing");
    r.self()->request(doubler, 5s, 21).then([this, &r](int x) { resume(r, x == 42); });
    return rest::later;
  }
  std::optional<rodeo::http_header::etag> generate_etag(rodeo::req&) override {
    if (has("etag")) return rodeo::http_header::etag{false, at("etag")};
    if (has("weak_etag")) return rodeo::http_header::etag{true, at("weak_etag")};
    return std::nullopt;
  }
  std::optional<std::time_t> last_modified(rodeo::req&) override {
    if (has("lm")) return modified;
    return std::nullopt;
  }
  std::optional<std::variant<std::time_t, std::string>> expires(rodeo::req&) override {
    if (has("expires")) return std::variant<std::time_t, std::string>{std::string{"0"}};
    return std::nullopt;
  }
  result<bool> previously_existed(rodeo::req&) override { return has("existed"); }
  result<std::optional<std::string>> moved_permanently(rodeo::req&) override {
    if (has("moved")) return std::optional<std::string>{"/new"};
    return std::optional<std::string>{};
  }
  result<std::optional<std::string>> moved_temporarily(rodeo::req&) override {
    if (has("moved_temp")) return std::optional<std::string>{"/temp"};
    return std::optional<std::string>{};
  }
  result<bool> allow_missing_post(rodeo::req&) override { return !has("no_missing_post"); }
  result<bool> is_conflict(rodeo::req&) override { return has("conflict"); }
  result<std::vector<rest::accepted_type>> content_types_accepted(rodeo::req&) override {
    return {{"application/json",
             [this](rodeo::req&) -> result<rest::accept_answer> {
               return rest::read_body(
                   [this](rodeo::req& r, std::string body) -> result<rest::accepted> {
                     if (body == "bad") return false;
                     if (has("created")) return rest::accepted::created("/items/42");
                     if (has("respond_body")) r.set_resp_body("stored " + body);
                     return true;
                   },
                   1000);
             }},
            {"text/plain", [this](rodeo::req& r) -> result<rest::accept_answer> {
               r.set_resp_header("location", "/text/1");
               if (!has("later")) return true;
               // Ask another actor, answer when it replied.
               r.self()->request(doubler, 5s, 21).then([this, &r](int x) {
                 r.set_resp_header("x-answer", std::to_string(x));
                 resume(r, true);
               });
               return rest::accepted::later();
             }}};
  }
  result<bool> delete_resource(rodeo::req& r) override {
    if (!has("delete_later")) return !has("delete_fails");
    r.self()->request(doubler, 5s, 1).then([this, &r](int) { resume(r, !has("delete_fails")); });
    return rest::later;
  }
  result<bool> delete_completed(rodeo::req&) override { return !has("delete_async"); }
  result<bool> multiple_choices(rodeo::req&) override { return has("choices"); }
};

struct default_resource : rodeo::rest_handler {};

struct fixture {
  server srv;
  fixture() {
    if (file_path.empty()) {
      char tmpl[] = "/tmp/rodeo-rest-XXXXXX";
      int fd = ::mkstemp(tmpl);
      std::string digits;
      for (int i = 0; i < 100 * 1024; ++i) digits += static_cast<char>('0' + i % 10);
      REQUIRE(::write(fd, digits.data(), digits.size()) == static_cast<ssize_t>(digits.size()));
      ::close(fd);
      file_path = tmpl;
    }
    doubler = rodeo::spawn(srv.node.system(), [](caf::event_based_actor*) -> caf::behavior {
      return {[](int x) {
        return 2 * x;
      }};
    });
    srv.start({{"_",
                {{"/r", rodeo::handler_of<resource>()},
                 {"/default", rodeo::handler_of<default_resource>()}}}});
  }
  ~fixture() { caf::anon_send_exit(doubler, caf::exit_reason::user_shutdown); }
  response request(const std::string& method, const std::string& target,
                   const std::string& headers = "", const std::string& body = "") {
    client c{srv.port};
    std::string msg = method + " " + target + " HTTP/1.1\r\nhost: localhost\r\n" + headers;
    if (!body.empty() || method == "PUT" || method == "POST" || method == "PATCH")
      msg += "content-length: " + std::to_string(body.size()) + "\r\n";
    c.send(msg + "\r\n" + body);
    auto r = c.read_response(method == "HEAD");
    REQUIRE(r);
    return *r;
  }
};

}  // namespace

TEST_CASE_METHOD(fixture, "rest: the start diagram's statuses") {
  CHECK(request("GET", "/r?unavailable").status == 503);
  CHECK(request("GET", "/r?known=GET", "", "").status == 200);
  CHECK(request("DELETE", "/r?known=GET").status == 501);
  CHECK(request("BREW", "/r").status == 501);
  CHECK(request("GET", "/r?too_long").status == 414);
  auto na = request("POST", "/r?allowed=GET,HEAD");
  CHECK(na.status == 405);
  CHECK(na.header_or("allow") == "GET, HEAD");
  CHECK(request("GET", "/r?malformed").status == 400);
  auto un = request("GET", "/r?auth");
  CHECK(un.status == 401);
  CHECK(un.header_or("www-authenticate") == "Basic realm=\"test\"");
  CHECK(request("GET", "/r?auth", "authorization: Basic ZGVtbzpkZW1v\r\n").status == 200);
  CHECK(request("GET", "/r?forbidden").status == 403);
  auto rl = request("GET", "/r?rate=30");
  CHECK(rl.status == 429);
  CHECK(rl.header_or("retry-after") == "30");
  CHECK(request("GET", "/r?rate_date").header_or("retry-after") == "Sun, 06 Nov 1994 08:49:37 GMT");
  CHECK(
      request("PUT", "/r?bad_content_headers", "content-type: application/json\r\n", "{}").status ==
      501);
  CHECK(request("PUT", "/r?too_large", "content-type: application/json\r\n", "{}").status == 413);
}

TEST_CASE_METHOD(fixture, "rest: OPTIONS answers allow, or what options() set") {
  auto o = request("OPTIONS", "/r");
  CHECK(o.status == 200);
  CHECK(o.header_or("allow") == "GET, HEAD, OPTIONS, PUT, POST, PATCH, DELETE");
  auto custom = request("OPTIONS", "/r?options");
  CHECK(custom.status == 200);
  CHECK(custom.header_or("x-options") == "custom");
  CHECK_FALSE(custom.header("allow"));
  CHECK(request("OPTIONS", "/default").header_or("allow") == "GET, HEAD, OPTIONS");
}

TEST_CASE_METHOD(fixture, "rest: content negotiation of media types") {
  auto plain = request("GET", "/r");
  CHECK(plain.status == 200);
  CHECK(plain.header_or("content-type") == "text/plain");
  CHECK(plain.body == "Hello world!");
  CHECK(plain.header_or("vary") == "accept");
  auto json = request("GET", "/r", "accept: text/plain;q=0.5, application/json\r\n");
  CHECK(json.header_or("content-type") == "application/json");
  CHECK(json.body == R"({"hello":"world"})");
  CHECK(request("GET", "/r", "accept: application/*\r\n").header_or("content-type") ==
        "application/json");
  CHECK(request("GET", "/r", "accept: */*\r\n").header_or("content-type") == "text/plain");
  auto html = request("GET", "/r", "accept: text/html;level=1\r\n");
  CHECK(html.header_or("content-type") == "text/html;level=1");
  CHECK(request("GET", "/r", "accept: image/png\r\n").status == 406);
  CHECK(request("GET", "/r", "accept: text/plain;q=0\r\n").status == 406);
  CHECK(request("GET", "/r", "accept: bad header\r\n").status == 400);
  CHECK(request("GET", "/r?no_types").status == 406);
  // The default content_types_provided is text/html through to_html, which was not given.
  CHECK(request("GET", "/default").status == 500);
}

TEST_CASE_METHOD(fixture, "rest: languages and charsets") {
  auto l = request("GET", "/r?languages=en,fr-ca", "accept-language: fr, en;q=0.5\r\n");
  CHECK(l.status == 200);
  CHECK(l.header_or("content-language") == "fr-ca");
  CHECK(l.header_or("vary") == "accept, accept-language");
  CHECK(request("GET", "/r?languages=en,fr").header_or("content-language") == "en");
  CHECK(request("GET", "/r?languages=en", "accept-language: de\r\n").status == 406);
  CHECK(request("GET", "/r?languages=").status == 406);
  auto c = request("GET", "/r?charsets=utf-8,iso-8859-1", "accept-charset: iso-8859-1\r\n");
  CHECK(c.header_or("content-type") == "text/plain; charset=iso-8859-1");
  CHECK(c.header_or("vary") == "accept, accept-charset");
  CHECK(request("GET", "/r?charsets=utf-8").header_or("content-type") ==
        "text/plain; charset=utf-8");
  CHECK(request("GET", "/r?charsets=utf-8", "accept-charset: koi8-r\r\n").status == 406);
  CHECK(request("GET", "/r?charsets=").status == 406);
  // A JSON body gets no charset parameter (text types only).
  CHECK(request("GET", "/r?charsets=utf-8", "accept: application/json\r\n")
            .header_or("content-type") == "application/json");
  // The charset named in accept, against a type that takes any parameters.
  CHECK(request("GET", "/r?charsets=utf-8", "accept: text/html;charset=utf-8\r\n")
            .header_or("content-type") == "text/html; charset=utf-8");
  CHECK(request("GET", "/r?vary=x-user").header_or("vary") == "accept, x-user");
}

TEST_CASE_METHOD(fixture, "rest: validators on GET and HEAD") {
  auto g = request("GET", "/r?etag=v1&lm&expires");
  CHECK(g.header_or("etag") == "\"v1\"");
  CHECK(g.header_or("last-modified") == "Sun, 06 Nov 1994 08:49:37 GMT");
  CHECK(g.header_or("expires") == "0");
  auto h = request("HEAD", "/r?weak_etag=v1");
  CHECK(h.status == 200);
  CHECK(h.header_or("etag") == "W/\"v1\"");
  CHECK(h.header_or("content-length") == "12");
  CHECK(h.body.empty());
}

TEST_CASE_METHOD(fixture, "rest: the conditional-request matrix") {
  const std::string lm = "Sun, 06 Nov 1994 08:49:37 GMT";
  const std::string earlier = "Sun, 06 Nov 1994 08:49:36 GMT";
  auto nm = request("GET", "/r?etag=v1&expires", "if-none-match: \"v1\"\r\n");
  CHECK(nm.status == 304);
  CHECK(nm.header_or("etag") == "\"v1\"");
  CHECK(nm.header_or("expires") == "0");
  CHECK_FALSE(nm.header("content-type"));
  CHECK(request("GET", "/r?etag=v1", "if-none-match: W/\"v1\"\r\n").status == 304);
  CHECK(request("GET", "/r?etag=v1", "if-none-match: \"v2\"\r\n").status == 200);
  CHECK(request("GET", "/r?etag=v1", "if-none-match: *\r\n").status == 304);
  CHECK(request("PUT", "/r?etag=v1", "if-none-match: *\r\ncontent-type: text/plain\r\n").status ==
        412);
  CHECK(request("PUT", "/r?missing", "if-none-match: *\r\ncontent-type: text/plain\r\n").status ==
        201);
  CHECK(request("GET", "/r?etag=v1", "if-match: \"v1\"\r\n").status == 200);
  CHECK(request("GET", "/r?etag=v1", "if-match: \"v0\", \"v1\"\r\n").status == 200);
  CHECK(request("GET", "/r?etag=v1", "if-match: \"v2\"\r\n").status == 412);
  CHECK(request("GET", "/r?weak_etag=v1", "if-match: W/\"v1\"\r\n").status == 412);
  CHECK(request("GET", "/r", "if-match: *\r\n").status == 200);
  CHECK(request("PUT", "/r?missing", "if-match: *\r\ncontent-type: text/plain\r\n").status == 412);
  CHECK(request("GET", "/r?lm", "if-unmodified-since: " + lm + "\r\n").status == 200);
  CHECK(request("GET", "/r?lm", "if-unmodified-since: " + earlier + "\r\n").status == 412);
  CHECK(request("GET", "/r?lm&etag=v1",
                "if-match: \"v1\"\r\nif-unmodified-since: " + earlier + "\r\n")
            .status == 200);
  CHECK(request("GET", "/r?lm", "if-modified-since: " + lm + "\r\n").status == 304);
  CHECK(request("GET", "/r?lm", "if-modified-since: " + earlier + "\r\n").status == 200);
  CHECK(request("GET", "/r?lm", "if-modified-since: garbage\r\n").status == 200);
  CHECK(
      request("GET", "/r?lm&etag=v1", "if-none-match: \"v2\"\r\nif-modified-since: " + lm + "\r\n")
          .status == 200);
  CHECK(request("DELETE", "/r?etag=v1", "if-match: \"v2\"\r\n").status == 412);
  CHECK(request("DELETE", "/r?etag=v1", "if-match: \"v1\"\r\n").status == 204);
}

TEST_CASE_METHOD(fixture, "rest: missing resources: 404, 410, 301, 307, POST creation") {
  CHECK(request("GET", "/r?missing").status == 404);
  CHECK(request("GET", "/r?missing&existed").status == 410);
  auto perm = request("GET", "/r?missing&existed&moved");
  CHECK(perm.status == 301);
  CHECK(perm.header_or("location") == "/new");
  auto temp = request("GET", "/r?missing&existed&moved_temp");
  CHECK(temp.status == 307);
  CHECK(temp.header_or("location") == "/temp");
  CHECK(request("PUT", "/r?missing&moved", "content-type: text/plain\r\n").status == 301);
  auto post = request("POST", "/r?missing&created", "content-type: application/json\r\n", "{}");
  CHECK(post.status == 201);
  CHECK(post.header_or("location") == "/items/42");
  CHECK(request("POST", "/r?missing&no_missing_post", "content-type: application/json\r\n", "{}")
            .status == 404);
  CHECK(request("POST", "/r?missing&existed&no_missing_post", "content-type: application/json\r\n",
                "{}")
            .status == 410);
}

TEST_CASE_METHOD(fixture, "rest: PUT, POST and PATCH through content_types_accepted") {
  CHECK(request("PUT", "/r", "content-type: application/json\r\n", "{}").status == 204);
  CHECK(request("PUT", "/r?missing", "content-type: application/json\r\n", "{}").status == 201);
  CHECK(request("PUT", "/r?conflict", "content-type: application/json\r\n", "{}").status == 409);
  CHECK(request("PUT", "/r", "content-type: image/png\r\n", "x").status == 415);
  CHECK(request("PUT", "/r", "", "x").status == 415);
  CHECK(request("PUT", "/r", "content-type: application/json\r\n", "bad").status == 400);
  auto stored =
      request("PATCH", "/r?respond_body", "content-type: application/json\r\n", "{\"a\":1}");
  CHECK(stored.status == 200);
  CHECK(stored.body == "stored {\"a\":1}");
  CHECK(request("POST", "/r?created", "content-type: application/json\r\n", "{}").status == 303);
  CHECK(request("POST", "/r?missing", "content-type: text/plain\r\n", "x").status == 201);
  CHECK(request("PUT", "/r", "content-type: application/json\r\n", std::string(1001, 'x')).status ==
        413);
  // curl, chunked: the flow reads the whole body before the accept callback's continuation.
  auto r = curl(srv.port,
                "-o /dev/null -w '%{http_code}' -X PUT -H 'content-type: application/json' "
                "-H 'transfer-encoding: chunked' --data-binary '{\"x\":1}'",
                "/r?respond_body");
  CHECK(r.out == "200");
}

TEST_CASE_METHOD(fixture, "rest: callbacks may answer later, after asking an actor") {
  auto r = request("PUT", "/r?later", "content-type: text/plain\r\n", "x");
  CHECK(r.status == 204);
  CHECK(r.header_or("x-answer") == "42");
  CHECK(request("GET", "/r?exists_later&etag=v1").status == 200);
  CHECK(request("GET", "/r?exists_later&etag=v1", "if-none-match: \"v1\"\r\n").status == 304);
  CHECK(request("DELETE", "/r?delete_later").status == 204);
  CHECK(request("DELETE", "/r?delete_later&delete_fails").status == 500);
  auto created = request("POST", "/r?later&missing", "content-type: text/plain\r\n", "x");
  CHECK(created.status == 201);
  CHECK(created.header_or("location") == "/text/1");
}

TEST_CASE_METHOD(fixture, "rest: DELETE and multiple choices") {
  CHECK(request("DELETE", "/r").status == 204);
  CHECK(request("DELETE", "/r?delete_fails").status == 500);
  CHECK(request("DELETE", "/r?delete_async").status == 202);
  CHECK(request("DELETE", "/r?missing").status == 404);
  auto choices = request("GET", "/r?choices");
  CHECK(choices.status == 300);
  CHECK(choices.body == "Hello world!");
}

TEST_CASE_METHOD(fixture, "rest: stop and switch_handler from a callback") {
  auto s = request("GET", "/r?stop=forbidden");
  CHECK(s.status == 299);
  CHECK(s.body == "stopped in forbidden");
  CHECK(request("GET", "/r?stop=content_types_provided").status == 299);
  auto sw = request("GET", "/r?switch=allowed_methods");
  CHECK(sw.status == 200);
  CHECK(sw.body == "switched");
}

TEST_CASE_METHOD(fixture, "rest: byte ranges of a string body") {
  auto whole = request("GET", "/r?ranges");
  CHECK(whole.header_or("accept-ranges") == "bytes, items");
  CHECK(request("GET", "/r?ranges=none").header_or("accept-ranges") == "none");
  auto one = request("GET", "/r?ranges", "range: bytes=0-4\r\n");
  CHECK(one.status == 206);
  CHECK(one.header_or("content-range") == "bytes 0-4/12");
  CHECK(one.body == "Hello");
  auto suffix = request("GET", "/r?ranges", "range: bytes=-6\r\n");
  CHECK(suffix.body == "world!");
  auto multi = request("GET", "/r?ranges", "range: bytes=0-0, 6-\r\n");
  CHECK(multi.status == 206);
  auto ct = multi.header_or("content-type");
  REQUIRE(ct.starts_with("multipart/byteranges; boundary="));
  auto b = ct.substr(ct.find('=') + 1);
  CHECK(multi.body ==
        "--" + b + "\r\ncontent-type: text/plain\r\ncontent-range: bytes 0-0/12\r\n\r\nH" +
            "\r\n--" + b + "\r\ncontent-type: text/plain\r\ncontent-range: bytes 6-11/12" +
            "\r\n\r\nworld!\r\n--" + b + "--\r\n");
  auto bad = request("GET", "/r?ranges", "range: bytes=20-\r\n");
  CHECK(bad.status == 416);
  CHECK(bad.header_or("content-range") == "bytes */12");
  CHECK(request("GET", "/r?ranges", "range: bytes=x\r\n").status == 416);
  CHECK(request("GET", "/r?ranges&unsatisfiable", "range: bytes=0-1\r\n").status == 416);
  // Without ranges_provided a range request is answered whole.
  CHECK(request("GET", "/r", "range: bytes=0-1\r\n").status == 200);
  // An unknown unit is answered whole; a unit with a callback gets its parts.
  CHECK(request("GET", "/r?ranges", "range: pages=1-2\r\n").status == 200);
  auto items = request("GET", "/r?ranges", "range: items=1-2\r\n");
  CHECK(items.status == 206);
  CHECK(items.header_or("content-range") == "items 1-2/10");
  CHECK(items.body == "items!");
}

TEST_CASE_METHOD(fixture, "rest: If-Range decides between the range and the whole body") {
  CHECK(request("GET", "/r?ranges&etag=v1", "range: bytes=0-4\r\nif-range: \"v1\"\r\n").status ==
        206);
  CHECK(request("GET", "/r?ranges&etag=v1", "range: bytes=0-4\r\nif-range: \"v2\"\r\n").status ==
        200);
  CHECK(request("GET", "/r?ranges&weak_etag=v1", "range: bytes=0-4\r\nif-range: W/\"v1\"\r\n")
            .status == 200);
  CHECK(request("GET", "/r?ranges&lm",
                "range: bytes=0-4\r\nif-range: Sun, 06 Nov 1994 08:49:37 GMT\r\n")
            .status == 206);
  CHECK(request("GET", "/r?ranges&lm",
                "range: bytes=0-4\r\nif-range: Sun, 06 Nov 1994 08:49:38 GMT\r\n")
            .status == 200);
}

TEST_CASE_METHOD(fixture, "rest: file bodies stream whole, in one range or in several") {
  std::string digits;
  for (int i = 0; i < 100 * 1024; ++i) digits += static_cast<char>('0' + i % 10);
  auto whole = request("GET", "/r?file");
  CHECK(whole.status == 200);
  CHECK(whole.header_or("content-length") == std::to_string(digits.size()));
  CHECK(whole.body == digits);
  auto head = request("HEAD", "/r?file");
  CHECK(head.header_or("content-length") == std::to_string(digits.size()));
  auto one = request("GET", "/r?file&ranges", "range: bytes=70000-70009\r\n");
  CHECK(one.status == 206);
  CHECK(one.body == digits.substr(70000, 10));
  auto multi = request("GET", "/r?file&ranges", "range: bytes=1-2,-3\r\n");
  CHECK(multi.status == 206);
  CHECK(multi.body.find("\r\n\r\n12\r\n") != std::string::npos);
  CHECK(multi.body.find("content-range: bytes 102397-102399/102400\r\n\r\n789\r\n") !=
        std::string::npos);
  // curl agrees on a range of the file.
  auto r = curl(srv.port, "-r 100-109", "/r?file&ranges");
  CHECK(r.out == digits.substr(100, 10));
}
