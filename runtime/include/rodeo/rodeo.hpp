#pragma once
// The whole public API. Each part also has its own umbrella header (runtime.hpp, ...).
#include "rodeo/runtime.hpp"
#if __has_include("rodeo/supervision.hpp")
#include "rodeo/supervision.hpp"
#endif
#if __has_include("rodeo/server.hpp")
#include "rodeo/server.hpp"
#endif
