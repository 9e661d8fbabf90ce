#pragma once
// /rest/items/[:id]: a REST resource of JSON items kept in a gen_server (rodeo-demo).
#include <caf/actor.hpp>
#include <caf/actor_system.hpp>

#include "rodeo/rodeo.hpp"

namespace rodeo_demo {

/// The items gen_server.
caf::actor start_items(caf::actor_system& sys);
/// The resource: GET/HEAD (JSON or text), PUT (201/204), DELETE, POST to the collection (201 +
/// location), etag and last-modified per item; PUT, POST and DELETE need basic auth demo:demo.
rodeo::handler_ref items_handler(caf::actor store);

}  // namespace rodeo_demo
