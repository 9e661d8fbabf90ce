// cowboy_constraints: validate() and each constraint's forward/reverse direction, without a router.
#include <catch2/catch.hpp>

#include <stdexcept>
#include <string>

#include "rodeo/constraints.hpp"

using rodeo::constraint;
using rodeo::validate;
using rodeo::value;

TEST_CASE("constraints: int converts text, keeps integers, rejects the rest") {
  auto c = constraint::int_();
  CHECK(*c.forward("42") == value{42});
  CHECK(*c.forward("-9223372036854775808") == value{std::int64_t{INT64_MIN}});
  CHECK(*c.forward(value{7}) == value{7});
  CHECK(c.forward("9223372036854775808").reason() == "not_an_integer");
  CHECK_FALSE(c.forward("4 2"));
  CHECK_FALSE(c.forward(""));
  CHECK(*c.reverse(value{42}) == value{"42"});
  CHECK_FALSE(c.reverse("42"));
}

TEST_CASE("constraints: nonempty rejects only the empty string") {
  auto c = constraint::nonempty();
  CHECK(c.forward("").reason() == "empty");
  CHECK(*c.forward("x") == value{"x"});
  CHECK(*c.forward(value{0}) == value{0});
  CHECK_FALSE(c.reverse(""));
}

TEST_CASE("constraints: validate chains constraints and checks list elements one by one") {
  auto twice = constraint::function(
      [](const value& v) { return rodeo::constraint_result::ok(value{v.as_int() * 2}); });
  CHECK(*validate("21", {constraint::int_(), twice}) == value{42});
  CHECK(validate("x", {constraint::int_(), twice}).reason() == "not_an_integer");
  value list{std::vector<value>{"1", "2"}};
  CHECK(*validate(list, {constraint::int_()}) == value{std::vector<value>{1, 2}});
  CHECK_FALSE(validate(value{std::vector<value>{"1", "b"}}, {constraint::int_()}));
  CHECK(*validate("kept", {}) == value{"kept"});
}

TEST_CASE("constraints: a function without a reverse direction reverses to the value itself") {
  auto c = constraint::function([](const value& v) { return rodeo::constraint_result::ok(v); });
  CHECK(*c.reverse("same") == value{"same"});
}

TEST_CASE("constraints: bindings keep insertion order, at() throws for a missing name") {
  rodeo::bindings b;
  b.set("b", "1");
  b.set("a", "2");
  b.set("b", "3");
  REQUIRE(b.size() == 2);
  CHECK(b.begin()->first == "b");
  CHECK(b.at("b") == value{"3"});
  CHECK_THROWS_AS(b.at("c"), std::out_of_range);
}
