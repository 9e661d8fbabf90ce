// Cowboy's routing, checked against the examples of Cowboy's guide ("Routing", "Constraints")
// and cowboy_router's own tests.
#include <catch2/catch.hpp>

#include <stdexcept>
#include <string>

#include "rodeo/router.hpp"

using rodeo::constraint;
using rodeo::route_status;
using rodeo::value;

namespace {

using routes = rodeo::routes<std::string>;
using strings = std::vector<std::string>;

std::string handler_of(const rodeo::router<std::string>& r, std::string_view host,
                       std::string_view path) {
  auto m = r.match(host, path);
  return m ? *m.handler : std::string{"<none>"};
}

}  // namespace

TEST_CASE("router: '_' host and '_' path match anything") {
  auto r = rodeo::compile(routes{{"_", {{"_", "any"}}}});
  CHECK(handler_of(r, "example.org", "/") == "any");
  CHECK(handler_of(r, "", "/a/b/c") == "any");
  // '_' matches before the path is even split, like Cowboy.
  CHECK(handler_of(r, "x", "not-a-path") == "any");
}

TEST_CASE("router: literal host and path segments, first match wins") {
  auto r = rodeo::compile(routes{
      {"cowboy.example.org", {{"/", "root"}, {"/path/to/resource", "resource"}}},
      {"_", {{"/path/to/resource", "other-host"}, {"/path/to/resource", "never"}}},
  });
  CHECK(handler_of(r, "cowboy.example.org", "/") == "root");
  CHECK(handler_of(r, "cowboy.example.org", "/path/to/resource") == "resource");
  CHECK(handler_of(r, "ninenines.eu", "/path/to/resource") == "other-host");
}

TEST_CASE("router: a matched host with no matching path is a 404, no host is a 400") {
  auto r = rodeo::compile(routes{{"ninenines.eu", {{"/", "root"}}}, {"_", {{"/x", "x"}}}});
  auto m = r.match("ninenines.eu", "/x");
  CHECK(m.status == route_status::no_path);
  CHECK(m.http_status() == 404);
  CHECK_FALSE(m);
  auto only = rodeo::compile(routes{{"ninenines.eu", {{"/", "root"}}}});
  auto n = only.match("example.org", "/");
  CHECK(n.status == route_status::no_host);
  CHECK(n.http_status() == 400);
}

TEST_CASE("router: a match names its rule's path pattern (a bounded metrics label)") {
  auto r = rodeo::compile(routes{{"[www.]example.org", {{"/users/:id", "user"}}},
                                 {"_", {{"/users/:id", "other"}, {"/files/[...]", "files"}}}});
  auto m = r.match("www.example.org", "/users/42");
  REQUIRE(m);
  REQUIRE(m.pattern);
  CHECK(*m.pattern == "/users/:id");
  CHECK(*m.handler == "user");
  auto f = r.match("x", "/files/a/b");
  REQUIRE(f.pattern);
  CHECK(*f.pattern == "/files/[...]");
  CHECK(r.match("x", "/nope").pattern == nullptr);
}

TEST_CASE("router: a trailing slash in the pattern or the request is ignored") {
  auto r = rodeo::compile(routes{{"_", {{"/path/to/resource/", "res"}, {"/a", "a"}}}});
  CHECK(handler_of(r, "h", "/path/to/resource") == "res");
  CHECK(handler_of(r, "h", "/path/to/resource/") == "res");
  CHECK(handler_of(r, "h", "/a/") == "a");
  // Only one: "/a//" has an empty segment.
  CHECK(r.match("h", "/a//").status == route_status::no_path);
}

TEST_CASE("router: empty path segments are kept (/extend//cowboy)") {
  auto r = rodeo::compile(routes{{"_", {{"/extend/:empty/cowboy", "e"}}}});
  auto m = r.match("h", "/extend//cowboy");
  REQUIRE(m);
  CHECK(m.bindings.at("empty") == value{""});
}

TEST_CASE("router: host trailing dot and leading dot in patterns are ignored") {
  auto r = rodeo::compile(routes{{"cowboy.example.org.", {{"_", "a"}}}});
  CHECK(handler_of(r, "cowboy.example.org", "/") == "a");
  CHECK(handler_of(r, "cowboy.example.org.", "/") == "a");
  auto r2 = rodeo::compile(routes{{".cowboy.example.org", {{"_", "b"}}}});
  CHECK(handler_of(r2, "cowboy.example.org", "/") == "b");
}

TEST_CASE("router: :name binds a host or path segment") {
  auto r = rodeo::compile(routes{{":subdomain.example.org", {{"/hats/:name/prices", "prices"}}}});
  auto m = r.match("cowboy.example.org", "/hats/wild_cowboy_legendary/prices");
  REQUIRE(m);
  CHECK(*m.handler == "prices");
  CHECK(m.bindings.size() == 2);
  CHECK(m.bindings.at("subdomain") == value{"cowboy"});
  CHECK(m.bindings.at("name") == value{"wild_cowboy_legendary"});
  CHECK_FALSE(m.host_info);
  CHECK_FALSE(m.path_info);
  CHECK(r.match("a.b.example.org", "/hats/x/prices").status == route_status::no_host);
}

TEST_CASE("router: :_ matches a segment without binding it") {
  auto r = rodeo::compile(routes{{"ninenines.:_", {{"/hats/:_", "h"}}}});
  auto m = r.match("ninenines.eu", "/hats/blue");
  REQUIRE(m);
  CHECK(m.bindings.empty());
  CHECK(r.match("ninenines.eu", "/hats").status == route_status::no_path);
  CHECK(r.match("example.eu", "/hats/blue").status == route_status::no_host);
}

TEST_CASE("router: the same binding twice must match the same value") {
  auto hosts = rodeo::compile(routes{{":same.:same", {{"_", "m"}}}});
  auto m = hosts.match("eu.eu", "/");
  REQUIRE(m);
  CHECK(m.bindings.at("same") == value{"eu"});
  CHECK(hosts.match("ninenines.eu", "/").status == route_status::no_host);

  auto across = rodeo::compile(routes{{":user.ninenines.eu", {{"/path/:user", "m"}}}});
  CHECK(across.match("essen.ninenines.eu", "/path/essen"));
  CHECK(across.match("essen.ninenines.eu", "/path/essen/"));
  CHECK(across.match("essen.ninenines.eu", "/path/notessen").status == route_status::no_path);

  auto paths = rodeo::compile(routes{{"_", {{"/:same/:same", "m"}}}});
  CHECK(paths.match("h", "/path/path").bindings.at("same") == value{"path"});
  CHECK(paths.match("h", "/path/to").status == route_status::no_path);
}

TEST_CASE("router: optional segments in brackets, nested") {
  auto r = rodeo::compile(routes{{"_", {{"/hats/[page/[:number]]", "hats"}}}});
  CHECK(r.match("h", "/hats"));
  CHECK(r.match("h", "/hats/page"));
  auto m = r.match("h", "/hats/page/3");
  REQUIRE(m);
  CHECK(m.bindings.at("number") == value{"3"});
  CHECK(r.match("h", "/hats/3").status == route_status::no_path);
  CHECK(r.match("h", "/hats/page/3/4").status == route_status::no_path);
}

TEST_CASE("router: a pattern with more than 1024 alternatives is refused (fuzz finding)") {
  std::string ten = "/x", eleven = "/x";
  for (int i = 0; i < 10; ++i) ten += "/[a" + std::to_string(i) + "]";
  for (int i = 0; i < 11; ++i) eleven += "/[a" + std::to_string(i) + "]";
  auto r = rodeo::compile(routes{{"_", {{ten, "ten"}}}});  // 2^10 = 1024: still compiled
  CHECK(r.match("h", "/x/a0/a9"));
  CHECK_THROWS_AS(rodeo::compile(routes{{"_", {{eleven, "eleven"}}}}), std::invalid_argument);
  std::string many = "/x";
  for (int i = 0; i < 40; ++i) many += "/[b]";  // 2^40: refused at once, not expanded
  CHECK_THROWS_AS(rodeo::compile(routes{{"_", {{many, "many"}}}}), std::invalid_argument);
}

TEST_CASE("router: optional host segment [www.]") {
  auto r = rodeo::compile(
      routes{{"[www.]ninenines.eu", {{"/horses", "horses"}, {"/hats/[page/:number]", "hats"}}}});
  CHECK(handler_of(r, "ninenines.eu", "/horses") == "horses");
  CHECK(handler_of(r, "www.ninenines.eu", "/horses") == "horses");
  CHECK(handler_of(r, "www.ninenines.eu", "/hats") == "hats");
  CHECK(r.match("www.ninenines.eu", "/hats/page/2").bindings.at("number") == value{"2"});
  CHECK(r.match("w3.ninenines.eu", "/horses").status == route_status::no_host);
}

TEST_CASE("router: optional segment opening mid-pattern with a separator (/hats[/page])") {
  auto r = rodeo::compile(routes{{"_", {{"/hats[/page]/x", "h"}}}});
  CHECK(r.match("h", "/hats/x"));
  CHECK(r.match("h", "/hats/page/x"));
  CHECK(r.match("h", "/hatsx").status == route_status::no_path);
}

TEST_CASE("router: [...] collects the rest of the path into path_info") {
  auto r = rodeo::compile(routes{{"www.ninenines.eu", {{"/pathinfo/is/next/[...]", "p"}}}});
  auto none = r.match("www.ninenines.eu", "/pathinfo/is/next");
  REQUIRE(none);
  REQUIRE(none.path_info);
  CHECK(none.path_info->empty());
  CHECK(r.match("www.ninenines.eu", "/pathinfo/is/next/path_info").path_info ==
        strings{"path_info"});
  CHECK(r.match("www.ninenines.eu", "/pathinfo/is/next/foo/bar").path_info ==
        strings{"foo", "bar"});
}

TEST_CASE("router: [...] in front of a host collects host_info in host order") {
  auto r = rodeo::compile(routes{{"[...]ninenines.eu", {{"_", "any"}}}});
  auto bare = r.match("ninenines.eu", "/");
  REQUIRE(bare);
  CHECK(bare.host_info == strings{});
  CHECK(r.match("bugs.ninenines.eu", "/").host_info == strings{"bugs"});
  CHECK(r.match("cowboy.bugs.ninenines.eu", "/").host_info == strings{"cowboy", "bugs"});
  CHECK_FALSE(bare.path_info);
}

TEST_CASE("router: wildcard after a literal segment (/static[...])") {
  auto r = rodeo::compile(routes{{"_", {{"/static/:dir[...]", "s"}}}});
  auto m = r.match("h", "/static/css/site/main.css");
  REQUIRE(m);
  CHECK(m.bindings.at("dir") == value{"css"});
  CHECK(m.path_info == strings{"site", "main.css"});
}

TEST_CASE("router: non-ASCII (UTF-8) patterns match percent-decoded requests") {
  auto r = rodeo::compile(routes{{"сайт.рф", {{"/путь/[...]", "p"}}}});
  auto m = r.match("сайт.рф", "/%D0%BF%D1%83%D1%82%D1%8C/%D0%B4%D0%BE%D0%BC%D0%BE%D0%B9");
  REQUIRE(m);
  CHECK(m.path_info == strings{"домой"});
}

TEST_CASE("router: path segments are percent-decoded before matching") {
  auto r = rodeo::compile(routes{{"_", {{"/users/:name/:other", "u"}}}});
  auto m = r.match("h", "/users/a%20b/c%21d");
  REQUIRE(m);
  CHECK(m.bindings.at("name") == value{"a b"});
  CHECK(m.bindings.at("other") == value{"c!d"});
  // '+' is not a space in a path, and an escaped '/' stays inside its segment.
  auto plus = r.match("h", "/users/a+b/x%2Fy");
  CHECK(plus.bindings.at("name") == value{"a+b"});
  CHECK(plus.bindings.at("other") == value{"x/y"});
}

TEST_CASE("router: bad percent-encoding or a relative path is a 400") {
  auto r = rodeo::compile(routes{{"_", {{"/a/:x", "a"}}}});
  CHECK(r.match("h", "/a/%zz").status == route_status::bad_request);
  CHECK(r.match("h", "/a/%4").status == route_status::bad_request);
  CHECK(r.match("h", "/a/b c").status == route_status::bad_request);
  CHECK(r.match("h", "a/b").status == route_status::bad_request);
  CHECK(r.match("h", "").status == route_status::bad_request);
  CHECK(r.match("h", "/a/%zz").http_status() == 400);
}

TEST_CASE("router: dot segments are removed after decoding") {
  auto r = rodeo::compile(routes{{"_", {{"/a/g", "ag"}, {"/mid/6", "m6"}}}});
  CHECK(handler_of(r, "h", "/a/b/c/./../../g") == "ag");
  CHECK(handler_of(r, "h", "/mid/content=5/../6") == "m6");
  CHECK(handler_of(r, "h", "/../a/g") == "ag");
  CHECK(handler_of(r, "h", "/a/x/%2E%2E/g") == "ag");
}

TEST_CASE("router: '*' path rule matches only OPTIONS *") {
  auto r = rodeo::compile(routes{{"_", {{"/", "root"}, {"*", "star"}}}});
  CHECK(handler_of(r, "h", "*") == "star");
  CHECK(handler_of(r, "h", "/") == "root");
  auto no_star = rodeo::compile(routes{{"_", {{"/", "root"}}}});
  CHECK(no_star.match("h", "*").status == route_status::no_path);
}

TEST_CASE("router: int constraint converts the binding to an integer or rejects") {
  auto r = rodeo::compile(routes{{"_",
                                  {
                                      {"/path/:value", {{"value", {constraint::int_()}}}, "int"},
                                      {"/path/:value", "text"},
                                  }}});
  auto m = r.match("ninenines.eu", "/path/123");
  REQUIRE(m);
  CHECK(*m.handler == "int");
  CHECK(m.bindings.at("value").is_int());
  CHECK(m.bindings.at("value").as_int() == 123);
  CHECK(r.match("h", "/path/123/").bindings.at("value") == value{123});
  CHECK(r.match("h", "/path/-7").bindings.at("value") == value{-7});
  // Rejected by the constraint: the next rule is tried.
  auto nan = r.match("h", "/path/NaN");
  CHECK(*nan.handler == "text");
  CHECK(nan.bindings.at("value") == value{"NaN"});
  CHECK(*r.match("h", "/path/99999999999999999999").handler == "text");
  CHECK(r.match("h", "/path/").status == route_status::no_path);
}

TEST_CASE("router: nonempty constraint rejects an empty binding") {
  auto r = rodeo::compile(
      routes{{"_", {{"/users/:name/x", {{"name", {constraint::nonempty()}}}, "user"}}}});
  CHECK(r.match("h", "/users/bob/x"));
  CHECK(r.match("h", "/users//x").status == route_status::no_path);
}

TEST_CASE("router: a user constraint may validate and convert") {
  auto lowercase = constraint::function([](const value& v) {
    const auto& s = v.as_string();
    for (char c : s)
      if (c >= 'A' && c <= 'Z') return rodeo::constraint_result::error("not_lowercase");
    return rodeo::constraint_result::ok(v);
  });
  auto r = rodeo::compile(routes{{"_", {{"/path/:username", {{"username", {lowercase}}}, "m"}}}});
  CHECK(r.match("ninenines.eu", "/path/essen").bindings.at("username") == value{"essen"});
  CHECK(r.match("ninenines.eu", "/path/ESSEN").status == route_status::no_path);

  auto to_bool = constraint::function([](const value& v) {
    if (v == value{"on"}) return rodeo::constraint_result::ok(true);
    if (v == value{"off"}) return rodeo::constraint_result::ok(false);
    return rodeo::constraint_result::error("not_a_switch");
  });
  auto r2 = rodeo::compile(routes{{"_", {{"/light/:state", {{"state", {to_bool}}}, "l"}}}});
  CHECK(r2.match("h", "/light/on").bindings.at("state") == value{true});
  CHECK(r2.match("h", "/light/dim").status == route_status::no_path);
}

TEST_CASE("router: constraints apply in order, each to the previous result") {
  auto positive = constraint::function([](const value& v) {
    return v.as_int() > 0 ? rodeo::constraint_result::ok(v)
                          : rodeo::constraint_result::error("not_positive");
  });
  auto r = rodeo::compile(routes{{"_", {{"/n/:n", {{"n", {constraint::int_(), positive}}}, "n"}}}});
  CHECK(r.match("h", "/n/5").bindings.at("n") == value{5});
  CHECK(r.match("h", "/n/0").status == route_status::no_path);
  CHECK(r.match("h", "/n/x").status == route_status::no_path);
}

TEST_CASE("router: host constraints reject the host and fall through to the next host") {
  auto r = rodeo::compile(routes{
      {":id.api.example.org", {{"id", {constraint::int_()}}}, {{"_", "numeric"}}},
      {"_", {{"_", "fallback"}}},
  });
  auto m = r.match("42.api.example.org", "/");
  CHECK(*m.handler == "numeric");
  CHECK(m.bindings.at("id") == value{42});
  CHECK(handler_of(r, "www.api.example.org", "/") == "fallback");
}

TEST_CASE("router: Cowboy's match table (hosts in order, '_' segments)") {
  auto r = rodeo::compile(routes{
      {"www.:_.ninenines.eu", {{"/users/:_/mails", "match_any_subdomain_users"}}},
      {"ninenines.eu",
       {{"/users/:id/friends", "match_extend_users_friends"}, {"_", "match_extend"}}},
      {"ninenines.:var", {{"/threads/:var", "match_duplicate_vars"}}},
      {"erlang.:ext", {{"_", "match_erlang_ext"}}},
      {"_", {{"/users/:id/friends", "match_users_friends"}, {"_", "match_any"}}},
  });
  CHECK(handler_of(r, "any", "/") == "match_any");
  CHECK(handler_of(r, "www.any.ninenines.eu", "/users/42/mails") == "match_any_subdomain_users");
  CHECK(handler_of(r, "www.ninenines.eu", "/users/42/mails") == "match_any");
  CHECK(handler_of(r, "www.ninenines.eu", "/") == "match_any");
  CHECK(r.match("www.any.ninenines.eu", "/not_users/42/mails").status == route_status::no_path);
  CHECK(handler_of(r, "ninenines.eu", "/") == "match_extend");
  auto friends = r.match("ninenines.eu", "/users/42/friends");
  CHECK(*friends.handler == "match_extend_users_friends");
  CHECK(friends.bindings.at("id") == value{"42"});
  auto ext = r.match("erlang.fr", "/");
  CHECK(*ext.handler == "match_erlang_ext");
  CHECK(ext.bindings.at("ext") == value{"fr"});
  CHECK(r.match("any", "/users/444/friends").bindings.at("id") == value{"444"});
}

TEST_CASE("router: host literals compare case-insensitively") {
  auto r = rodeo::compile(routes{{"NineNines.EU", {{"_", "n"}}}});
  CHECK(r.match("ninenines.eu", "/"));
  CHECK(r.match("NINENINES.eu", "/"));
}

TEST_CASE("router: a host with an empty label is a bad request") {
  auto r = rodeo::compile(routes{{"a.b", {{"_", "n"}}}});
  CHECK(r.match("a..b", "/").status == route_status::bad_request);
  CHECK(r.match(".a.b", "/").status == route_status::bad_request);
}

TEST_CASE("router: invalid patterns are rejected at compile time") {
  auto bad = [](std::string host, std::string path) {
    return routes{{std::move(host), {{std::move(path), "x"}}}};
  };
  CHECK_THROWS_AS(rodeo::compile(bad("_", "no-slash")), std::invalid_argument);
  CHECK_THROWS_AS(rodeo::compile(bad("_", "/a/[b")), std::invalid_argument);
  CHECK_THROWS_AS(rodeo::compile(bad("_", "/a/b]")), std::invalid_argument);
  CHECK_THROWS_AS(rodeo::compile(bad("_", "/a/x[b]")), std::invalid_argument);
  CHECK_THROWS_AS(rodeo::compile(bad("_", "/a/:")), std::invalid_argument);
  CHECK_THROWS_AS(rodeo::compile(bad("_", "/a/[...]/b")), std::invalid_argument);
  CHECK_THROWS_AS(rodeo::compile(bad("a.[...]", "/")), std::invalid_argument);
  CHECK_THROWS_AS(rodeo::compile(bad("a[b].c", "/")), std::invalid_argument);
  CHECK_NOTHROW(rodeo::compile(bad("_", "/a:b/c")));  // ':' inside a segment is literal
}

TEST_CASE("router: ':' inside a segment is a literal character") {
  auto r = rodeo::compile(routes{{"_", {{"/a:b/c", "colon"}}}});
  CHECK(handler_of(r, "h", "/a:b/c") == "colon");
}

TEST_CASE("router: routers copy and move with their handlers") {
  auto r = rodeo::compile(routes{{"_", {{"/x/:id", {{"id", {constraint::int_()}}}, "x"}}}});
  auto copy = r;
  auto moved = std::move(r);
  CHECK(copy.match("h", "/x/1").bindings.at("id") == value{1});
  CHECK(*moved.match("h", "/x/2").handler == "x");
}

TEST_CASE("router: handlers can be any type, e.g. a factory plus options") {
  struct route_target {
    std::function<int()> factory;
    int opts;
  };
  rodeo::routes<route_target> rs{{"_", {{"/a", route_target{[] { return 7; }, 3}}}}};
  auto r = rodeo::compile(std::move(rs));
  auto m = r.match("h", "/a");
  REQUIRE(m);
  CHECK(m.handler->factory() == 7);
  CHECK(m.handler->opts == 3);
}

TEST_CASE("router: matching arbitrary bytes never crashes") {
  auto r = rodeo::compile(
      routes{{"[...]a.b", {{"/x/[...]", "x"}, {"/:a/:a/[:b]", "y"}}}, {":h.:h", {{"*", "s"}}}});
  std::uint32_t seed = 12345;
  auto rnd = [&] {
    seed = seed * 1103515245 + 12345;
    return seed >> 16;
  };
  static constexpr char chars[] = "/%.:[]*ab2F\0\xff ";
  const std::string alphabet(chars, sizeof chars - 1);
  for (int i = 0; i < 20000; ++i) {
    std::string host, path;
    for (auto n = rnd() % 12; n > 0; --n) host += alphabet[rnd() % alphabet.size()];
    for (auto n = rnd() % 16; n > 0; --n) path += alphabet[rnd() % alphabet.size()];
    auto m = r.match(host, path);
    CHECK((m.status != route_status::ok || m.handler != nullptr));
  }
}
