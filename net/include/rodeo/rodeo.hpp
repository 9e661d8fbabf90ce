#pragma once
// The whole public API (link rodeo::rodeo). Each part also has its own umbrella header: runtime,
// supervision, server (handlers), listener and websocket (net).
#include "rodeo/listener.hpp"
#include "rodeo/runtime.hpp"
#include "rodeo/server.hpp"
#include "rodeo/supervision.hpp"
#include "rodeo/tls_self_signed.hpp"
#include "rodeo/tls_transport.hpp"
#include "rodeo/websocket.hpp"
