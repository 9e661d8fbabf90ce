#include "stream_layer.hpp"

#include <algorithm>

#include <caf/all.hpp>

namespace rodeo::detail {

namespace {

void fail(caf::response_promise& rp) {
  if (rp.pending()) rp.deliver(caf::make_error(caf::sec::request_receiver_down));
}

}  // namespace

void stream_layer::run_commands(stream_base& s, commands& cs) {
  // Commands may end the stream (and free `s`); later ones are then dropped.
  auto id = s.id;
  auto local = std::move(cs);
  cs.clear();
  for (auto& c : local) {
    auto* sp = find_stream(id);
    if (!sp || closed()) {
      if (auto* d = std::get_if<cmd::data>(&c)) fail(d->ack);
      if (auto* f = std::get_if<cmd::sendfile>(&c)) fail(f->ack);
      continue;
    }
    run_command(*sp, c);
  }
  if (cs.empty()) cs = std::move(local);  // keep the vector's capacity
  cs.clear();
}

void stream_layer::run_command(stream_base& s, command& c) {
  std::visit([&](auto& x) { on_command(s, x); }, c);
}

void stream_layer::on_command(stream_base& s, cmd::response& c) {
  if (s.out_state == stream_base::out::none) response(s, c.status, c.headers, std::move(c.body));
}

void stream_layer::on_command(stream_base& s, cmd::error_response& c) {
  if (s.out_state == stream_base::out::none) response(s, c.status, c.headers, std::move(c.body));
}

void stream_layer::on_command(stream_base& s, cmd::response_headers& c) {
  if (s.out_state == stream_base::out::none) response_headers(s, c);
}

void stream_layer::on_command(stream_base& s, cmd::data& c) {
  if (s.out_state == stream_base::out::streaming) data(s, c.fin, std::move(c.bytes));
  after_piece(s, c.fin, c.ack);
}

void stream_layer::on_command(stream_base& s, cmd::sendfile& c) {
  if (s.out_state == stream_base::out::streaming) sendfile(s, c.fin, std::move(c.file));
  after_piece(s, c.fin, c.ack);
}

void stream_layer::after_piece(stream_base& s, is_fin fin, caf::response_promise& ack) {
  auto id = s.id;
  acknowledge(s, ack);
  if (fin == is_fin::fin)
    if (auto* sp = find_stream(id)) body_done(*sp);
}

void stream_layer::on_command(stream_base& s, cmd::spawn& c) {
  if (c.monitor) {
    owner_->monitor(c.pid);
    monitored_.emplace_back(c.pid.address(), s.id);
  }
  s.children.push_back(c.pid);
}

void stream_layer::acknowledge(stream_base& s, caf::response_promise& ack) {
  if (!ack.pending()) return;
  if (closed() || ack_ready(&s))
    ack.deliver(caf::ok_atom::value);
  else
    acks_.emplace_back(s.id, std::move(ack));
}

void stream_layer::release_acks() {
  if (acks_.empty()) return;
  auto ready = [&](std::pair<uint64_t, caf::response_promise>& a) {
    if (!closed() && !ack_ready(find_stream(a.first))) return false;
    a.second.deliver(caf::ok_atom::value);
    return true;
  };
  acks_.erase(std::remove_if(acks_.begin(), acks_.end(), ready), acks_.end());
}

void stream_layer::fail_acks() {
  for (auto& a : acks_) fail(a.second);
  acks_.clear();
}

void stream_layer::retire(stream_base& s, const caf::error& reason) {
  s.chain->terminate(s.id, reason);
  // Monitored children still running are remembered until their down_msg; the others are done
  // with this stream.
  for (auto i = monitored_.begin(); i != monitored_.end();) {
    if (i->second != s.id) {
      ++i;
      continue;
    }
    auto c = std::find_if(s.children.begin(), s.children.end(),
                          [&](const caf::actor& a) { return a.address() == i->first; });
    if (c != s.children.end()) orphans_.push_back(std::move(*c));
    i = monitored_.erase(i);
  }
  s.children.clear();
}

void stream_layer::tell_gone(stream_base& s) {
  for (auto& c : s.children) caf::anon_send(c, client_gone_atom::value);
  s.children.clear();
  monitored_.erase(std::remove_if(monitored_.begin(), monitored_.end(),
                                  [&](const auto& m) { return m.second == s.id; }),
                   monitored_.end());
}

void stream_layer::tell_orphans_gone() {
  for (auto& c : orphans_) caf::anon_send(c, client_gone_atom::value);
  orphans_.clear();
}

void stream_layer::forget_children(stream_base& s) {
  for (auto& c : s.children) owner_->demonitor(c);
  s.children.clear();
  monitored_.erase(std::remove_if(monitored_.begin(), monitored_.end(),
                                  [&](const auto& m) { return m.second == s.id; }),
                   monitored_.end());
}

void stream_layer::forget_orphans() {
  for (auto& o : orphans_) owner_->demonitor(o);
  orphans_.clear();
}

void stream_layer::on_stream_message(caf::message msg, uint64_t id) {
  auto* s = find_stream(id);
  if (!s || closed()) {
    if (owner_->current_message_id().is_request())
      owner_->make_response_promise().deliver(caf::make_error(caf::sec::request_receiver_down));
    return;
  }
  cmds_.clear();
  s->chain->info(id, msg, cmds_);
  run_commands(*s, cmds_);
}

void stream_layer::on_down(const caf::down_msg& down) {
  for (auto i = orphans_.begin(); i != orphans_.end(); ++i)
    if (i->address() == down.source) {
      orphans_.erase(i);
      return;
    }
  auto m = std::find_if(monitored_.begin(), monitored_.end(),
                        [&](const auto& x) { return x.first == down.source; });
  if (m == monitored_.end()) return;
  auto id = m->second;
  monitored_.erase(m);
  auto* s = find_stream(id);
  if (!s) return;
  auto msg = caf::make_message(down);
  cmds_.clear();
  s->chain->info(id, msg, cmds_);
  if (auto* sp = find_stream(id)) {
    auto& ch = sp->children;
    ch.erase(std::remove_if(ch.begin(), ch.end(),
                            [&](const caf::actor& a) { return a.address() == down.source; }),
             ch.end());
    run_commands(*sp, cmds_);
  }
}

}  // namespace rodeo::detail
