// Where an HTTP/1.1 connection becomes HTTP/2 (cowboy_http's hand-over to cowboy_http2): `h2`
// chosen by ALPN, the connection preface as the first bytes on a clear listener (prior
// knowledge), or an `Upgrade: h2c` request with HTTP2-Settings (its body, when it has one, is
// read whole first; it becomes stream 1 after the 101). Cowboy's `protocols` option decides which
// are accepted.
#include <caf/all.hpp>

#include "http1_connection.hpp"
#include "rodeo/http_header.hpp"

namespace rodeo::detail {
namespace {

constexpr std::string_view preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

bool has_token(const rodeo::headers& hs, std::string_view name, std::string_view token,
               auto parse) {
  auto* v = hs.find(name);
  if (!v) return false;
  auto tokens = parse(*v);
  if (!tokens) return false;
  for (auto& t : *tokens)
    if (t == token) return true;
  return false;
}

}  // namespace

bool http1_state::sniff_http2(std::string_view data) {
  if (tr->alpn() == "h2") {
    sniffing = false;
    self->become(hand_over(std::string(data), std::nullopt));
    return true;
  }
  if (tr->secure()) {
    sniffing = false;  // no prior knowledge over TLS: ALPN decides (RFC 9113 3.3)
    return false;
  }
  auto n = std::min(data.size(), preface.size());
  if (data.substr(0, n) != preface.substr(0, n)) {
    sniffing = false;
    return false;
  }
  if (data.size() < preface.size()) {
    in.assign(data);  // maybe the preface: wait for the rest
    return true;
  }
  sniffing = false;
  self->become(hand_over(std::string(data), std::nullopt));
  return true;
}

bool http1_state::take_h2c_upgrade(http1::request_head& head) {
  sniffing = false;
  if (!opts->accepts(http_protocol::http2) || tr->secure() || !head.upgrade ||
      head.version_minor != 1)
    return false;
  const auto& hs = head.req.headers;
  if (!has_token(hs, "upgrade", "h2c", http_header::parse_upgrade) ||
      !has_token(hs, "connection", "http2-settings", http_header::parse_connection))
    return false;
  auto* value = hs.find("http2-settings");
  auto settings = value ? http_header::parse_http2_settings(*value) : std::nullopt;
  if (!settings) return false;
  // A body is read whole before the 101, so it must be short and of known length; otherwise the
  // request is simply served over HTTP/1.1 (the server may ignore Upgrade).
  if (head.req.has_body && (head.chunked || !head.req.body_length ||
                            *head.req.body_length > opts->http2.initial_stream_window_size))
    return false;
  request_deadline.reset();
  h2c = std::make_unique<http2_upgrade>();
  h2c->settings = std::move(*settings);
  h2c->req = std::move(head.req);
  if (head.expect_continue) {
    queue(http1::informational_head(100, {}));
    flush();
  }
  return true;
}

void http1_state::upgrade_h2c(std::string rest) {
  auto up = std::move(*h2c);
  h2c.reset();
  // The upgrade fields are HTTP/1.1's: the request goes on as HTTP/2's stream 1 without them.
  for (auto name : {"connection", "upgrade", "http2-settings"}) up.req.headers.erase(name);
  queue(http1::informational_head(101, {{"connection", "Upgrade"}, {"upgrade", "h2c"}}));
  flush();
  self->become(hand_over(std::move(rest), std::move(up)));
}

caf::behavior http1_state::hand_over(std::string input, std::optional<http2_upgrade> up) {
  protocol_handover h{std::move(tr), std::move(input), std::move(out)};
  out.clear();
  ph = phase::closed;
  // HTTP/2 needs none of the HTTP/1.1 buffers.
  parser.reset();
  std::string{}.swap(body_tmp);
  self->set_exit_handler(nullptr);
  self->set_down_handler(nullptr);
  return become_http2(self, ls, std::move(h), std::move(up));
}

}  // namespace rodeo::detail
