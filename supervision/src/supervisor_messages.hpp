#pragma once
// The private vocabulary between a supervisor and the blocking API that stops it.
#include <caf/atom.hpp>

namespace rodeo::detail {

/// (stop_atom, caf::error why): stop every child in reverse start order, then exit with `why`.
using stop_atom = caf::atom_constant<caf::atom("supstop")>;

}  // namespace rodeo::detail
