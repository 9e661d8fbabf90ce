#pragma once
// Private to runtime/src.
#include <caf/abstract_actor.hpp>
#include <caf/actor.hpp>
#include <caf/actor_cast.hpp>

namespace rodeo::detail {

/// True once `a` began to die. CAF sets the flag before it runs the actor's attachables (links,
/// monitors and our own cleanup functors, in no order we control), so checking it makes a dying
/// actor's name and group memberships vanish before anyone can see its exit or down message.
inline bool is_terminated(const caf::actor& a) {
  return caf::actor_cast<caf::abstract_actor*>(a)->getf(caf::abstract_actor::is_terminated_flag);
}

}  // namespace rodeo::detail
