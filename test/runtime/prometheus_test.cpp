// The Prometheus text exposition format 0.0.4 and the node's registry, checked with the official
// client's parser (python3-prometheus-client).
#include "prom.hpp"
#include "runtime_test.hpp"

using namespace rodeo_test;
namespace prom = rodeo::prometheus;

TEST_CASE("prometheus: label values and help texts are escaped as the format says") {
  CHECK(prom::escape_label_value("a\"b\\c\nd") == "a\\\"b\\\\c\\nd");
  CHECK(prom::escape_label_value("plain é") == "plain é");
  CHECK(prom::escape_help("x\\y\nz \"q\"") == "x\\\\y\\nz \"q\"");
  CHECK(prom::format_value(3) == "3");
  CHECK(prom::format_value(0.25) == "0.25");
  CHECK(prom::format_value(1e300) == "1e+300");
  CHECK(prom::format_value(0.1) == "0.1");
  CHECK(prom::format_value(1.0 / 3) == "0.3333333333333333");
  CHECK(prom::format_value(std::numeric_limits<double>::infinity()) == "+Inf");
  CHECK(prom::format_value(-std::numeric_limits<double>::infinity()) == "-Inf");
  CHECK(prom::format_value(std::nan("")) == "NaN");

  prom::exposition e;
  e.family("t_weird", "Help with \\ and\nnewline.", prom::metric_type::gauge);
  e.sample("t_weird", {{"path", "/a\"b\\c\nd"}, {"empty", ""}}, 1.5);
  e.family("t_total", "A counter.", prom::metric_type::counter);
  e.sample("t_total", {}, 7);
  auto p = prom_parse(e.text());
  INFO(e.text() << p.out);
  REQUIRE(p.status == 0);
  CHECK(has_line(p.out, "family t_weird gauge"));
  CHECK(has_line(p.out, "sample t_weird empty=,path=/a\"b\\c\nd 1.5"));
  CHECK(has_line(p.out, "family t counter"));
  CHECK(has_line(p.out, "sample t_total  7"));
}

TEST_CASE("prometheus: the parser refuses what the format forbids (the check can fail)") {
  // An unescaped quote inside a label value.
  auto p = prom_parse("# TYPE t gauge\nt{a=\"x\"y\"} 1\n");
  CHECK(p.status != 0);
}

TEST_CASE("prometheus: histograms are cumulative, end at +Inf, with _sum and _count") {
  std::vector<double> bounds{0.1, 1};
  prom::exposition e;
  e.family("t_seconds", "A histogram.", prom::metric_type::histogram);
  e.histogram("t_seconds", {{"route", "/x"}}, {&bounds, {2, 3, 1}, 4.5});
  auto p = prom_parse(e.text());
  INFO(e.text() << p.out);
  REQUIRE(p.status == 0);
  CHECK(has_line(p.out, "family t_seconds histogram"));
  CHECK(has_line(p.out, "sample t_seconds_bucket le=0.1,route=/x 2"));
  CHECK(has_line(p.out, "sample t_seconds_bucket le=1,route=/x 5"));
  CHECK(has_line(p.out, "sample t_seconds_bucket le=+Inf,route=/x 6"));
  CHECK(has_line(p.out, "sample t_seconds_sum route=/x 4.5"));
  CHECK(has_line(p.out, "sample t_seconds_count route=/x 6"));
}

TEST_CASE("prometheus: a family written twice in one scrape is refused") {
  prom::exposition e;
  e.family("t_once", "x", prom::metric_type::gauge);
  CHECK_THROWS_AS(e.family("t_once", "x", prom::metric_type::gauge), std::logic_error);
  prom::exposition other;
  other.family("t_once", "x", prom::metric_type::gauge);
  CHECK_THROWS_AS(e.merge(std::move(other)), std::logic_error);
}

TEST_CASE("prometheus: a node's registry has process metrics, collectors add, replace, fail") {
  rodeo::node n;
  auto reg = prom::registry::of(n);
  CHECK(prom::registry::of(n) == reg);
  int calls = 0;
  reg->add("mine", [&](prom::exposition& e) {
    ++calls;
    e.family("t_things", "Things.", prom::metric_type::gauge);
    e.sample("t_things", {}, 1);
  });
  reg->add("mine", [&](prom::exposition& e) {  // replaces the first
    ++calls;
    e.family("t_things", "Things.", prom::metric_type::gauge);
    e.sample("t_things", {}, 2);
  });
  CHECK(reg->add_once("mine", [] { return prom::collector{}; }));
  reg->add("broken", [](prom::exposition& e) {
    e.family("t_half", "Half written.", prom::metric_type::gauge);
    throw std::runtime_error("collector bug");
  });
  log_capture logs;
  auto text = reg->scrape();
  CHECK(calls == 1);
  CHECK(text.find("t_half") == std::string::npos);  // nothing of the failing collector
  CHECK(logs.errors({"collector broken failed", "collector bug"}).size() == 1);
  auto p = prom_parse(text);
  INFO(text << p.out);
  REQUIRE(p.status == 0);
  CHECK(has_line(p.out, "sample t_things  2"));
  CHECK(has_line(p.out, "sample rodeo_scrape_errors_total  1"));
  CHECK(has_line(p.out, "family process_resident_memory_bytes gauge"));
  CHECK(has_line(p.out, "family process_open_fds gauge"));
  CHECK(has_line(p.out, "family process_cpu_seconds counter"));
  CHECK(has_line(p.out, "family rodeo_actors_running gauge"));
  // Plausible values: RSS over 1 MB, some descriptors, started within the last day.
  auto value_of = [&](const std::string& name) {
    auto at = p.out.find("sample " + name + "  ");
    REQUIRE(at != std::string::npos);
    return std::stod(p.out.substr(at + name.size() + 9));
  };
  CHECK(value_of("process_resident_memory_bytes") > 1e6);
  CHECK(value_of("process_open_fds") >= 3);
  auto now = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch());
  CHECK(value_of("process_start_time_seconds") <= now.count() + 5);
  CHECK(value_of("process_start_time_seconds") > now.count() - 86400);
  CHECK(value_of("rodeo_actors_running") >= 0);
  reg->remove("broken");
  CHECK(has_line(prom_parse(reg->scrape()).out, "sample rodeo_scrape_errors_total  1"));
}
