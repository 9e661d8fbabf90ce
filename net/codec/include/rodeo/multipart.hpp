#pragma once
// Incremental multipart parser (RFC 2046 §5.1, RFC 7578) for Cowboy's read_part/read_part_body,
// plus content-disposition parsing and a small encoder.
//
//   rodeo::multipart::parser p{*rodeo::multipart::boundary_of(content_type)};
//   p.feed(chunk);                    // any size, boundaries may straddle chunks
//   for (;;) switch (p.next()) {
//     case event::part:      use(p.headers()); break;
//     case event::data:      use(p.data()); break;      // valid until the next feed()/next()
//     case event::part_end:  break;
//     case event::need_more: feed more, or p.finish() at end of body; break;
//     case event::done:      return ok;                 // epilogue ignored
//     case event::error:     return 400 with p.error();
//   }

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace rodeo::multipart {

struct header {
  std::string name;  // lowercase
  std::string value;
};
using headers = std::vector<header>;
const std::string* find(const headers& hs, std::string_view name);

// The boundary parameter of a multipart/* content-type; nullopt if not multipart or invalid.
std::optional<std::string> boundary_of(std::string_view content_type);
// RFC 2046 §5.1.1: 1-70 bchars, not ending in a space.
bool is_valid_boundary(std::string_view boundary);

struct limits {
  std::size_t max_header_size = 64 * 1024;  // bytes of one part's header block
  std::size_t max_headers = 100;            // fields in one part
};

enum class event { need_more, part, data, part_end, done, error };

class parser {
 public:
  explicit parser(std::string boundary, limits l = {});

  // Copies the bytes in; events come from next().
  void feed(std::string_view bytes);
  // No more input: a body that has not reached its close delimiter becomes an error.
  void finish();
  event next();

  const multipart::headers& headers() const { return headers_; }
  std::string_view data() const { return data_; }
  const std::string& error() const { return error_; }

 private:
  enum class state { preamble, after_delimiter, header_block, body, done, failed };
  event fail(std::string reason);
  std::size_t hold_back(std::size_t from) const;
  void compact();

  std::string delimiter_;  // "\r\n--" boundary
  limits limits_;
  std::string buf_;
  std::size_t pos_ = 0;
  state state_ = state::preamble;
  bool eof_ = false;
  std::size_t header_size_ = 0;  // bytes of the current part's header block so far
  multipart::headers headers_;
  std::string_view data_;
  std::string error_;
};

// content-disposition: disposition type (lowercase) and parameters (lowercase names); a
// filename* (RFC 8187, UTF-8) parameter is decoded and also replaces filename.
struct content_disposition {
  std::string type;
  std::vector<std::pair<std::string, std::string>> params;
  const std::string* param(std::string_view name) const;
};
std::optional<content_disposition> parse_content_disposition(std::string_view value);

// cow_multipart:form_data: a form field, or a file with its filename and content-type
// ("text/plain" when the part has none, as RFC 7578 §4.4 says). nullopt when the part has no
// "form-data" content-disposition with a name.
struct form_data {
  std::string name;
  std::optional<std::string> filename;  // set for a file
  std::string content_type;             // files only
};
std::optional<form_data> parse_form_data(const headers& part_headers);

// Encoding (for clients and tests): a random boundary, the delimiter + headers that open a part,
// and the close delimiter.
std::string make_boundary();
std::string first_part(std::string_view boundary, const headers& hs);
std::string part(std::string_view boundary, const headers& hs);
std::string close(std::string_view boundary);

}  // namespace rodeo::multipart
