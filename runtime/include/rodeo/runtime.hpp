#pragma once
// Everything in runtime/: the OTP mirror on CAF.
#include "rodeo/atoms.hpp"
#include "rodeo/deadline.hpp"
#include "rodeo/exit.hpp"
#include "rodeo/gen_server.hpp"
#include "rodeo/log.hpp"
#include "rodeo/match.hpp"
#include "rodeo/node.hpp"
#include "rodeo/pg.hpp"
#include "rodeo/process.hpp"
#include "rodeo/registry.hpp"
#include "rodeo/scheduler.hpp"
#include "rodeo/timer.hpp"
