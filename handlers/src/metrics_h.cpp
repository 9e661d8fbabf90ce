// Cowboy's cowboy_metrics_h: one record per stream, built from the commands the rest of the chain
// produces, handed to the user's callback at terminate (or at an early error).
#include "rodeo/metrics_h.hpp"

#include <caf/all.hpp>

#include <stdexcept>
#include <utility>

#include "rodeo/log.hpp"
#include "rodeo/req.hpp"

namespace rodeo {
namespace metrics {

void set_user_data(rodeo::req& req, metrics::user_data data) {
  req.cast(caf::make_message(set_options{std::move(data)}));
}

}  // namespace metrics

namespace {

// A failing callback must not take the connection (and its next requests) down.
void report(const metrics::options& opts, const metrics::record& r) {
  try {
    opts.callback(r);
  } catch (const std::exception& e) {
    log::error("metrics_h: the callback threw: ", e.what());
  } catch (...) {
    log::error("metrics_h: the callback threw");
  }
}

class metrics_impl final : public stream_handler {
 public:
  explicit metrics_impl(std::shared_ptr<const metrics::options> opts) : opts_(std::move(opts)) {}

  void init(uint64_t id, stream_context& ctx, commands& out) override {
    r_.req_start = metrics::clock::now();
    r_.wall_time = std::chrono::system_clock::now();
    r_.ref = ctx.req->ref;
    r_.pid = ctx.self ? ctx.self->address() : caf::actor_addr{};
    r_.streamid = id;
    r_.req = ctx.req;
    auto from = out.size();
    stream_handler::init(id, ctx, out);
    r_.route = ctx.route;
    fold(out, from);
  }

  void data(uint64_t id, is_fin f, std::string& bytes, commands& out) override {
    auto now = metrics::clock::now();
    if (!r_.req_body_start) r_.req_body_start = now;
    if (f == fin) r_.req_body_end = now;
    r_.req_body_length += bytes.size();
    auto from = out.size();
    stream_handler::data(id, f, bytes, out);
    fold(out, from);
  }

  void info(uint64_t id, caf::message& msg, commands& out) override {
    if (msg.match_elements<metrics::set_options>()) {
      for (auto& [k, v] : msg.get_as<metrics::set_options>(0).metrics_user_data)
        r_.user_data.insert_or_assign(k, v);
    } else if (msg.match_elements<caf::down_msg>()) {
      auto& down = msg.get_as<caf::down_msg>(0);
      for (auto& p : r_.procs)
        if (p.pid == down.source && !p.exit) {
          p.exit = metrics::clock::now();
          p.reason = down.reason;
        }
    }
    auto from = out.size();
    stream_handler::info(id, msg, out);
    fold(out, from);
  }

  void early_error(uint64_t id, cmd::response& resp) override {
    stream_handler::early_error(id, resp);
    r_.early_error = true;
    r_.early_error_time = metrics::clock::now();
    response(resp.status, resp.headers, resp.body.size());
  }

  void terminate(uint64_t id, const caf::error& reason) override {
    stream_handler::terminate(id, reason);
    r_.req_end = metrics::clock::now();
    r_.reason = reason;
    report(*opts_, r_);
  }

 private:
  // Cowboy's fold/2 over the commands the handlers after this one produced.
  void fold(const commands& out, size_t from) {
    for (size_t i = from; i < out.size(); ++i) std::visit([this](auto& c) { on(c); }, out[i]);
  }

  void response(int status, const rodeo::headers& hs, uint64_t body_length) {
    auto now = metrics::clock::now();
    r_.resp_status = status;
    r_.resp_headers = opts_->resp_headers_filter ? opts_->resp_headers_filter(hs) : hs;
    r_.resp_start = r_.resp_end = now;
    r_.resp_body_length = body_length;
  }

  void body_piece(uint64_t length, is_fin f) {
    r_.resp_body_length += length;
    if (f == fin && r_.resp_start && !ended_) end_body();
  }

  void end_body() {
    ended_ = true;
    r_.resp_end = metrics::clock::now();
  }

  void on(const cmd::response& c) {
    if (r_.resp_status != 0) return;
    response(c.status, c.headers, c.body.size());
    ended_ = true;
  }
  void on(const cmd::error_response& c) {
    if (r_.resp_status == 0) on(cmd::response{c.status, c.headers, c.body});
  }
  void on(const cmd::response_headers& c) {
    if (r_.resp_status != 0) return;
    response(c.status, c.headers, 0);
    r_.resp_end.reset();
  }
  void on(const cmd::switch_protocol& c) {
    if (r_.resp_status != 0) return;
    response(101, c.headers, 0);
    ended_ = true;
  }
  void on(const cmd::data& c) { body_piece(c.bytes.size(), c.fin); }
  void on(const cmd::sendfile& c) { body_piece(c.file.length, c.fin); }
  void on(const cmd::trailers&) {
    if (r_.resp_start && !ended_) end_body();
  }
  void on(const cmd::stop&) {
    // The protocol answers 204 when nothing was sent, and ends a streamed body.
    if (r_.resp_status == 0) {
      response(204, {}, 0);
      ended_ = true;
    } else if (!ended_) {
      end_body();
    }
  }
  void on(const cmd::internal_error&) {
    if (r_.resp_status == 0) {
      response(500, {{"content-length", "0"}}, 0);
      ended_ = true;
    } else if (!ended_) {
      end_body();
    }
  }
  void on(const cmd::inform& c) {
    r_.informational.push_back({c.status, c.headers, metrics::clock::now()});
  }
  void on(const cmd::spawn& c) {
    r_.procs.push_back({c.pid.address(), metrics::clock::now(), {}, {}});
  }
  void on(const cmd::flow&) {}

  std::shared_ptr<const metrics::options> opts_;
  metrics::record r_;
  bool ended_ = false;  // the response's last piece passed
};

class metrics_factory final : public stream_handler_factory {
 public:
  explicit metrics_factory(metrics::options opts)
      : opts_(std::make_shared<const metrics::options>(std::move(opts))) {
    if (!opts_->callback) throw std::invalid_argument("metrics_h: options.callback is not set");
  }

  std::unique_ptr<stream_handler> make() const override {
    return std::make_unique<metrics_impl>(opts_);
  }

  void early_error(uint64_t id, const rodeo::request* req, cmd::response& resp) const override {
    metrics::record r;
    r.early_error = true;
    r.early_error_time = metrics::clock::now();
    r.wall_time = std::chrono::system_clock::now();
    r.streamid = id;
    if (req) {
      r.ref = req->ref;
      r.req = std::make_shared<const rodeo::request>(*req);
    }
    r.resp_status = resp.status;
    r.resp_headers =
        opts_->resp_headers_filter ? opts_->resp_headers_filter(resp.headers) : resp.headers;
    r.resp_body_length = resp.body.size();
    report(*opts_, r);
  }

 private:
  std::shared_ptr<const metrics::options> opts_;
};

}  // namespace

std::shared_ptr<const stream_handler_factory> metrics_h(metrics::options opts) {
  return std::make_shared<const metrics_factory>(std::move(opts));
}

}  // namespace rodeo
