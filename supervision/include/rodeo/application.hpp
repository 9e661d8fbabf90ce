#pragma once
// OTP applications, reduced to what a C++ program needs: a named supervision tree that starts with
// the node's program and stops, in order, when the node stops.
//
//   int main(int argc, char** argv) {
//     rodeo::node n{argc, argv};
//     auto app = rodeo::start_application(n, "shop", shop_tree);   // children started in order
//     if (!app) return 1;
//     return n.run();   // SIGINT/SIGTERM: the node's stop hooks stop the tree, children in
//   }                   // reverse order, and wait for it
#include <string>
#include <vector>

#include <caf/actor.hpp>
#include <caf/error.hpp>
#include <caf/expected.hpp>

#include "rodeo/node.hpp"
#include "rodeo/supervisor.hpp"

namespace rodeo {

/// What the node does when the application's top supervisor exits by itself (it reached its
/// restart intensity), as OTP's application types: temporary - it is reported, nothing else;
/// transient - the node stops unless the reason is normal; permanent - the node stops.
enum class application_type { temporary, transient, permanent };

/// Starts the top supervisor (blocking until its children started) and registers a node stop hook
/// that stops the tree - children in reverse start order, each as its shutdown spec says - and
/// waits for it. Fails with already_started when an application of that name runs, or with the
/// top supervisor's start error. Returns the top supervisor.
caf::expected<caf::actor> start_application(node& n, std::string name, supervisor_spec top,
                                            application_type type = application_type::temporary);
caf::expected<caf::actor> start_application(node& n, std::string name, supervisor_init top,
                                            application_type type = application_type::temporary);

/// Stops the application's tree with reason shutdown and waits until it exited. not_found when
/// no such application runs.
caf::error stop_application(node& n, const std::string& name);

/// Names of the running applications, most recently started first.
std::vector<std::string> which_applications(node& n);

}  // namespace rodeo
