#pragma once
// The message vocabulary users type, chosen once. CAF 0.17 atoms are at most 10 characters.
//
// Sending X to a WebSocket session is Erlang's `WsPid ! {data, X}`:
//   self->send(ws, rodeo::data_atom::value, std::string{"hello"});       // from an actor
//   caf::anon_send(ws, rodeo::data_atom::value, std::string{"hello"});   // from any thread
#include <caf/atom.hpp>

namespace rodeo {

/// `{data, X}`: payload for a session or a loop handler (a WebSocket frame, a chunk of a body).
using data_atom = caf::atom_constant<caf::atom("data")>;
/// `{event, X}`: a server-sent event or streamed chunk for a loop handler.
using event_atom = caf::atom_constant<caf::atom("event")>;
/// `eof`: end of a stream; a loop handler that gets it ends its body.
using eof_atom = caf::atom_constant<caf::atom("eof")>;
/// `{reply, Body}`: a long-poll answer for a loop handler.
using reply_atom = caf::atom_constant<caf::atom("reply")>;
/// gen_server: `call` and `cast` envelopes.
using call_atom = caf::atom_constant<caf::atom("call")>;
using cast_atom = caf::atom_constant<caf::atom("cast")>;
/// A timer's message when none is given, and a handler/idle timeout.
using timeout_atom = caf::atom_constant<caf::atom("timeout")>;

}  // namespace rodeo
