// Incremental multipart parsing, with cow_multipart's samples and random chunking.
#include <catch2/catch.hpp>

#include <random>
#include <string>

#include "rodeo/multipart.hpp"

using namespace rodeo::multipart;

namespace {

struct parsed_part {
  headers hs;
  std::string body;
};

struct parse_outcome {
  std::vector<parsed_part> parts;
  bool done = false;
  std::string error;
};

// Feeds `body` in chunks of the given sizes (cycled) and collects every event.
parse_outcome run(parser& p, std::string_view body, const std::vector<std::size_t>& sizes) {
  parse_outcome out;
  std::size_t fed = 0, k = 0;
  bool in_part = false;
  while (true) {
    auto e = p.next();
    switch (e) {
      case event::part:
        REQUIRE_FALSE(in_part);
        out.parts.push_back({p.headers(), {}});
        in_part = true;
        break;
      case event::data:
        REQUIRE(in_part);
        REQUIRE_FALSE(p.data().empty());
        out.parts.back().body += p.data();
        break;
      case event::part_end:
        REQUIRE(in_part);
        in_part = false;
        break;
      case event::need_more:
        if (fed == body.size()) {
          p.finish();
        } else {
          auto n = std::min(sizes[k++ % sizes.size()], body.size() - fed);
          p.feed(body.substr(fed, n));
          fed += n;
        }
        break;
      case event::done:
        out.done = true;
        return out;
      case event::error:
        out.error = p.error();
        return out;
    }
  }
}

parse_outcome run(std::string_view boundary, std::string_view body,
                  std::vector<std::size_t> sizes = {1 << 20}, limits l = {}) {
  parser p{std::string{boundary}, l};
  return run(p, body, sizes);
}

const std::string mime_sample =
    "This is a message with multiple parts in MIME format.\r\n"
    "--frontier\r\n"
    "Content-Type: text/plain\r\n"
    "\r\n"
    "This is the body of the message.\r\n"
    "--frontier\r\n"
    "Content-Type: application/octet-stream\r\n"
    "Content-Transfer-Encoding: base64\r\n"
    "\r\n"
    "PGh0bWw+CiAgPGhlYWQ+CiAgPC9oZWFkPgogIDxib2R5PgogICAgPHA+VGhpcyBpcyB0aGUg\r\n"
    "Ym9keSBvZiB0aGUgbWVzc2FnZS48L3A+CiAgPC9ib2R5Pgo8L2h0bWw+Cg==\r\n"
    "--frontier--";

}  // namespace

TEST_CASE("multipart: parses cowlib's MIME sample (preamble, two parts, close)") {
  auto r = run("frontier", mime_sample);
  REQUIRE(r.done);
  REQUIRE(r.parts.size() == 2);
  CHECK(r.parts[0].hs.size() == 1);
  CHECK(r.parts[0].hs[0].name == "content-type");
  CHECK(r.parts[0].hs[0].value == "text/plain");
  CHECK(r.parts[0].body == "This is the body of the message.");
  CHECK(*find(r.parts[1].hs, "content-transfer-encoding") == "base64");
  CHECK(r.parts[1].body ==
        "PGh0bWw+CiAgPGhlYWQ+CiAgPC9oZWFkPgogIDxib2R5PgogICAgPHA+VGhpcyBpcyB0aGUg\r\n"
        "Ym9keSBvZiB0aGUgbWVzc2FnZS48L3A+CiAgPC9ib2R5Pgo8L2h0bWw+Cg==");
}

TEST_CASE("multipart: the same result whatever the chunk sizes (boundary split anywhere)") {
  auto whole = run("frontier", mime_sample);
  for (std::size_t n = 1; n <= 20; ++n) {
    auto r = run("frontier", mime_sample, {n});
    REQUIRE(r.done);
    REQUIRE(r.parts.size() == whole.parts.size());
    for (std::size_t i = 0; i < r.parts.size(); ++i) CHECK(r.parts[i].body == whole.parts[i].body);
  }
}

TEST_CASE("multipart: RFC 7578 form-data with a file, parsed by form data helpers") {
  std::string body =
      "--AaB03x\r\n"
      "Content-Disposition: form-data; name=\"submit-name\"\r\n"
      "\r\n"
      "Larry\r\n"
      "--AaB03x\r\n"
      "Content-Disposition: form-data; name=\"files\"; filename=\"file1.txt\"\r\n"
      "Content-Type: text/plain\r\n"
      "\r\n"
      "... contents of file1.txt ...\r\n"
      "--AaB03x--\r\n"
      "epilogue is ignored";
  auto r = run("AaB03x", body, {7});
  REQUIRE(r.done);
  REQUIRE(r.parts.size() == 2);
  auto field = parse_form_data(r.parts[0].hs);
  REQUIRE(field);
  CHECK(field->name == "submit-name");
  CHECK_FALSE(field->filename);
  CHECK(r.parts[0].body == "Larry");
  auto file = parse_form_data(r.parts[1].hs);
  REQUIRE(file);
  CHECK(file->name == "files");
  CHECK(file->filename == "file1.txt");
  CHECK(file->content_type == "text/plain");
  CHECK(r.parts[1].body == "... contents of file1.txt ...");
}

TEST_CASE("multipart: parts without headers, empty bodies and transport padding") {
  std::string body = "--b \t\r\n\r\n\r\n--b\r\nx: 1\r\n\r\nabc\r\n--b--";
  auto r = run("b", body, {3});
  REQUIRE(r.done);
  REQUIRE(r.parts.size() == 2);
  CHECK(r.parts[0].hs.empty());
  CHECK(r.parts[0].body.empty());
  CHECK(r.parts[1].body == "abc");
}

TEST_CASE("multipart: body bytes resembling the delimiter are data") {
  std::string body = "--xyz\r\n\r\nline\r\n--xy\r\n-\r\n--\r\r\n--xyz--";
  auto r = run("xyz", body, {1});
  REQUIRE(r.done);
  REQUIRE(r.parts.size() == 1);
  CHECK(r.parts[0].body == "line\r\n--xy\r\n-\r\n--\r");
}

TEST_CASE("multipart: folded part headers are unfolded, names lowercased") {
  std::string body = "--b\r\nX-Long: a\r\n  b\r\n\tc\r\nContent-Type:text/plain \r\n\r\nz\r\n--b--";
  auto r = run("b", body);
  REQUIRE(r.done);
  CHECK(*find(r.parts[0].hs, "x-long") == "a b c");
  CHECK(*find(r.parts[0].hs, "content-type") == "text/plain");
}

TEST_CASE("multipart: a body cut short is an error after finish()") {
  CHECK(run("frontier", mime_sample.substr(0, mime_sample.size() - 2)).error ==
        "truncated after a delimiter");
  CHECK(run("frontier", mime_sample.substr(0, 120)).error == "truncated part body");
  CHECK(run("frontier", "--frontier\r\nContent-Type: te").error == "truncated part headers");
  CHECK(run("frontier", "no delimiter at all").error == "no multipart delimiter found");
  CHECK(run("frontier", "").error == "no multipart delimiter found");
}

TEST_CASE("multipart: malformed delimiter lines and headers are errors") {
  CHECK_FALSE(run("b", "--bx\r\n\r\n--b--").error.empty());
  CHECK_FALSE(run("b", "--b\r\nno colon\r\n\r\n--b--").error.empty());
  CHECK_FALSE(run("b", "--b\r\n bad fold\r\n\r\n--b--").error.empty());
  CHECK_FALSE(run("b", "--b\r\nbad name: x\r\n\r\n--b--").error.empty());
  CHECK_FALSE(run("b", std::string("--b\r\na: \0\r\n\r\n--b--", 18)).error.empty());
  parser invalid{"bad boundary "};
  CHECK(invalid.next() == event::error);
}

TEST_CASE("multipart: header size and count limits apply per part") {
  std::string big = "--b\r\nx: ";
  big.append(200, 'a').append("\r\n\r\nbody\r\n--b--");
  limits small;
  small.max_header_size = 100;
  CHECK(run("b", big, {1 << 20}, small).error == "part headers too large");
  CHECK(run("b", big, {9}, small).error == "part headers too large");
  std::string many = "--b\r\na: 1\r\nb: 2\r\nc: 3\r\n\r\n\r\n--b--";
  limits two;
  two.max_headers = 2;
  CHECK(run("b", many, {1 << 20}, two).error == "too many part headers");
  // The limit is per part: two parts of two headers each pass.
  std::string per_part = "--b\r\na: 1\r\nb: 2\r\n\r\n\r\n--b\r\na: 1\r\nb: 2\r\n\r\n\r\n--b--";
  CHECK(run("b", per_part, {1 << 20}, two).done);
}

TEST_CASE("multipart: data is handed out as it arrives, holding back only a possible delimiter") {
  parser p{"boundary"};
  p.feed("--boundary\r\n\r\nhello world");
  REQUIRE(p.next() == event::part);
  REQUIRE(p.next() == event::data);
  CHECK(p.data() == "hello world");
  CHECK(p.next() == event::need_more);
  p.feed("\r\n--bou");
  CHECK(p.next() == event::need_more);
  p.feed("ndar");
  CHECK(p.next() == event::need_more);
  p.feed("y--");
  CHECK(p.next() == event::part_end);
  CHECK(p.next() == event::done);
  CHECK(p.next() == event::done);
}

TEST_CASE("multipart: encoder output parses back, for random parts and chunkings") {
  std::mt19937 rng{29};
  for (int round = 0; round < 300; ++round) {
    auto boundary = make_boundary();
    REQUIRE(is_valid_boundary(boundary));
    std::vector<parsed_part> expected;
    std::string body;
    for (auto n = 1 + rng() % 4; n > 0; --n) {
      parsed_part pp;
      pp.hs.push_back({"content-disposition", "form-data; name=\"f" + std::to_string(n) + "\""});
      pp.body.resize(rng() % 300);
      for (auto& c : pp.body) c = "\r\n-ab"[rng() % 5];
      body += expected.empty() ? first_part(boundary, pp.hs) : part(boundary, pp.hs);
      body += pp.body;
      expected.push_back(std::move(pp));
    }
    body += close(boundary);
    auto r = run(boundary, body, {1 + rng() % 64, 1 + rng() % 7});
    REQUIRE(r.done);
    REQUIRE(r.parts.size() == expected.size());
    for (std::size_t i = 0; i < expected.size(); ++i) {
      CHECK(r.parts[i].body == expected[i].body);
      CHECK(parse_form_data(r.parts[i].hs)->name == parse_form_data(expected[i].hs)->name);
    }
  }
}

TEST_CASE("multipart: boundary_of reads a multipart content-type") {
  CHECK(boundary_of("multipart/form-data; boundary=AaB03x") == "AaB03x");
  CHECK(boundary_of("Multipart/Mixed; Boundary=\"gc0p4Jq0M2Yt08jU534c0p\"") ==
        "gc0p4Jq0M2Yt08jU534c0p");
  CHECK(boundary_of("multipart/form-data; boundary=\"with space\"") == "with space");
  CHECK_FALSE(boundary_of("text/plain; boundary=x"));
  CHECK_FALSE(boundary_of("multipart/form-data"));
  CHECK_FALSE(boundary_of("multipart/form-data; boundary=\"\""));
  CHECK_FALSE(boundary_of("multipart/form-data; boundary=\"trailing \""));
  std::string long_one = "multipart/form-data; boundary=";
  long_one.append(70, 'a');
  CHECK(boundary_of(long_one));
  CHECK_FALSE(boundary_of(long_one + "a"));
}

TEST_CASE("multipart: content-disposition parameters, quoting and filename*") {
  auto cd = parse_content_disposition("form-data; name=\"a\\\"b\"; filename=plain.txt");
  REQUIRE(cd);
  CHECK(cd->type == "form-data");
  CHECK(*cd->param("name") == "a\"b");
  CHECK(*cd->param("filename") == "plain.txt");
  auto ext = parse_content_disposition(
      "attachment; filename=\"EURO rates\"; filename*=utf-8''%e2%82%ac%20rates");
  REQUIRE(ext);
  CHECK(ext->type == "attachment");
  CHECK(*ext->param("filename") == "\xe2\x82\xac rates");
  auto latin1 = parse_content_disposition("inline; FILENAME*=iso-8859-1'en'%A3%20rates");
  CHECK(*latin1->param("filename") == "\xc2\xa3 rates");
  CHECK(parse_content_disposition("Form-Data")->type == "form-data");
  CHECK_FALSE(parse_content_disposition(""));
  CHECK_FALSE(parse_content_disposition("form-data; name"));
  CHECK_FALSE(parse_content_disposition("form-data; name=\"x"));
  CHECK_FALSE(parse_content_disposition("form-data name=x"));
}

TEST_CASE("multipart: parse_form_data needs a form-data disposition with a name") {
  CHECK_FALSE(parse_form_data({}));
  CHECK_FALSE(parse_form_data({{"content-disposition", "attachment; name=\"x\""}}));
  CHECK_FALSE(parse_form_data({{"content-disposition", "form-data"}}));
  auto f = parse_form_data({{"content-disposition", "form-data; name=x; filename=\"a.bin\""}});
  REQUIRE(f);
  CHECK(f->content_type == "text/plain");
}

TEST_CASE("multipart: arbitrary bytes never crash the parser") {
  std::mt19937 rng{31};
  static constexpr char chars[] = "-b\r\n: \tax\0";
  for (int i = 0; i < 5000; ++i) {
    std::string s(rng() % 64, '\0');
    for (auto& c : s) c = chars[rng() % (sizeof chars - 1)];
    if (rng() % 2) s = "--b\r\n" + s;
    limits l;
    l.max_header_size = 1 + rng() % 32;
    auto r = run("b", s, {1 + rng() % 5}, l);
    CHECK((r.done || !r.error.empty()));
    (void)parse_content_disposition(s);
  }
}
