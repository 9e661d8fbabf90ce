#pragma once
// The whole public API (link rodeo::rodeo). Each part also has its own umbrella header.
#include "rodeo/listener.hpp"
#include "rodeo/runtime.hpp"
#include "rodeo/server.hpp"
#include "rodeo/supervision.hpp"
#include "rodeo/websocket.hpp"
