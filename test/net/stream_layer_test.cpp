// The stream layer shared by HTTP/1.1 and HTTP/2: commands after one that ended the stream are
// dropped and their acks fail; acks are held until the protocol can take more and then
// released; a monitored child of a finished stream is an orphan told client_gone. A small
// protocol inside a real actor drives it (no network: the layer never touches a socket).
#include <catch2/catch.hpp>

#include <chrono>
#include <string>
#include <vector>

#include <caf/all.hpp>

#include "../../net/src/stream_layer.hpp"
#include "rodeo/process.hpp"

namespace {

using namespace std::chrono_literals;
using rodeo::commands;
using rodeo::is_fin;
using rodeo::detail::stream_base;
namespace cmd = rodeo::cmd;

using end_then_data_atom = caf::atom_constant<caf::atom("endthen")>;
using hold_atom = caf::atom_constant<caf::atom("hold")>;
using release_atom = caf::atom_constant<caf::atom("release")>;
using adopt_atom = caf::atom_constant<caf::atom("adopt")>;
using log_atom = caf::atom_constant<caf::atom("log")>;
using failed_atom = caf::atom_constant<caf::atom("failed")>;

struct fake_protocol : rodeo::detail::stream_layer {
  caf::event_based_actor* self;
  std::unique_ptr<stream_base> cur;
  bool ready = false;
  std::vector<std::string> log;

  explicit fake_protocol(caf::stateful_actor<fake_protocol>* s) : stream_layer(s), self(s) {
    cur = std::make_unique<stream_base>();
    cur->id = 1;
    cur->chain = std::make_unique<rodeo::stream_handler>();
  }

  stream_base* find_stream(uint64_t id) override {
    return cur && cur->id == id ? cur.get() : nullptr;
  }
  bool closed() const override { return false; }
  bool ack_ready(const stream_base*) const override { return ready; }
  void inform(stream_base&, cmd::inform&) override { log.push_back("inform"); }
  void response(stream_base& s, int status, const rodeo::headers&, std::string) override {
    log.push_back("response " + std::to_string(status));
    s.out_state = stream_base::out::done;
  }
  void response_headers(stream_base& s, cmd::response_headers&) override {
    log.push_back("headers");
    s.out_state = stream_base::out::streaming;
  }
  void data(stream_base&, is_fin fin, std::string bytes) override {
    log.push_back("data " + bytes + (fin == is_fin::fin ? " fin" : ""));
  }
  void sendfile(stream_base&, is_fin, rodeo::file_range) override { log.push_back("sendfile"); }
  void trailers(stream_base&, cmd::trailers&) override { log.push_back("trailers"); }
  void flow(stream_base&, size_t n) override { log.push_back("flow " + std::to_string(n)); }
  void switch_protocol(stream_base&, cmd::switch_protocol&) override { log.push_back("switch"); }
  void stop(stream_base& s) override {
    log.push_back("stop");
    retire(s, caf::error{});
    cur.reset();
  }
  void internal_error(stream_base&, cmd::internal_error&) override { log.push_back("error"); }
  void body_done(stream_base&) override { log.push_back("body_done"); }
};

caf::behavior fake_connection(caf::stateful_actor<fake_protocol>* self) {
  self->set_down_handler([self](caf::down_msg& d) { self->state.on_down(d); });
  return {
      [self](end_then_data_atom) {
        auto& st = self->state;
        commands cs;
        cs.emplace_back(cmd::response_headers{200, {}});
        cs.emplace_back(cmd::data{is_fin::nofin, "a", {}});
        cs.emplace_back(cmd::stop{});
        cs.emplace_back(cmd::data{is_fin::fin, "b", self->make_response_promise()});
        st.run_commands(*st.cur, cs);
      },
      [self](hold_atom) {
        auto& st = self->state;
        commands cs;
        cs.emplace_back(cmd::response_headers{200, {}});
        cs.emplace_back(cmd::data{is_fin::nofin, "a", self->make_response_promise()});
        st.run_commands(*st.cur, cs);
      },
      [self](release_atom) {
        self->state.ready = true;
        self->state.release_acks();
      },
      [self](adopt_atom, caf::actor child) {
        auto& st = self->state;
        commands cs;
        cs.emplace_back(cmd::spawn{child, true});
        cs.emplace_back(cmd::stop{});
        st.run_commands(*st.cur, cs);
        st.tell_orphans_gone();
      },
      [self](log_atom) { return self->state.log; },
  };
}

}  // namespace

TEST_CASE("stream_layer: commands after the one that ended the stream are dropped, acks fail") {
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
  caf::scoped_actor self{sys};
  auto conn = rodeo::spawn(sys, fake_connection);
  bool failed = false;
  self->request(conn, 5s, end_then_data_atom::value)
      .receive([&](caf::ok_atom) {},
               [&](caf::error& e) { failed = e == caf::sec::request_receiver_down; });
  CHECK(failed);
  std::vector<std::string> log;
  self->request(conn, 5s, log_atom::value)
      .receive([&](std::vector<std::string> l) { log = l; }, [](caf::error&) {});
  CHECK(log == std::vector<std::string>{"headers", "data a", "stop"});
  self->send_exit(conn, caf::exit_reason::user_shutdown);
}

TEST_CASE("stream_layer: an ack is held until the protocol can take more, then delivered") {
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
  caf::scoped_actor self{sys};
  auto conn = rodeo::spawn(sys, fake_connection);
  caf::actor probe = self;
  // The stream's actor: asks for the ack and tells the probe what it got.
  sys.spawn(
      [](caf::event_based_actor* a, caf::actor conn, caf::actor probe) {
        a->request(conn, caf::infinite, hold_atom::value)
            .then([a, probe](caf::ok_atom) { a->send(probe, caf::ok_atom::value); },
                  [a, probe](caf::error&) { a->send(probe, failed_atom::value); });
      },
      conn, probe);
  bool early = false;
  self->receive([&](caf::ok_atom) { early = true; }, [&](failed_atom) { early = true; },
                caf::after(300ms) >> [] {});
  CHECK_FALSE(early);
  self->send(conn, release_atom::value);
  bool acked = false;
  self->receive([&](caf::ok_atom) { acked = true; }, [](failed_atom) {}, caf::after(5s) >> [] {});
  CHECK(acked);
  self->send_exit(conn, caf::exit_reason::user_shutdown);
}

TEST_CASE("stream_layer: a monitored child of a finished stream is an orphan told client_gone") {
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
  caf::scoped_actor self{sys};
  caf::actor probe = self;
  auto child = sys.spawn(
      [](caf::event_based_actor* c, caf::actor to) -> caf::behavior {
        return {[c, to](rodeo::client_gone_atom) {
          c->send(to, rodeo::client_gone_atom::value);
          c->quit();
        }};
      },
      probe);
  auto conn = rodeo::spawn(sys, fake_connection);
  self->send(conn, adopt_atom::value, child);
  bool told = false;
  self->receive([&](rodeo::client_gone_atom) { told = true; }, caf::after(5s) >> [] {});
  CHECK(told);
  self->send_exit(conn, caf::exit_reason::user_shutdown);
}
