#pragma once
// Loop handlers (Cowboy's cowboy_loop): init() returns rodeo::loop(), optionally with an idle
// timeout and/or rodeo::hibernate; from then on every message sent to the request actor
// (req.handle()) reaches info(). info() may stream a chunk and return ok() to keep looping, reply
// and return stop(), or just stop(). An eof_atom message ends a streamed body and the request
// (the connection is kept). A timeout ends the loop (no reply sent: 204). The timeout is reset by
// each message; info() returning ok(new_timeout) replaces it.
//
//   struct poll_h : rodeo::handler {
//     rodeo::handler_result init(rodeo::req& req) override {
//       rodeo::node::of(req.self()->system()).groups().join("poll", req.handle());
//       return rodeo::loop(std::chrono::seconds{30});
//     }
//     rodeo::handler_result info(caf::message& msg, rodeo::req& req) override {
//       if (auto body = rodeo::match<rodeo::reply_atom, std::string>(msg)) {
//         req.reply(200, {}, std::get<1>(*body));
//         return rodeo::stop();
//       }
//       return rodeo::ok();
//     }
//   };
#include "rodeo/atoms.hpp"
#include "rodeo/handler.hpp"
#include "rodeo/match.hpp"
