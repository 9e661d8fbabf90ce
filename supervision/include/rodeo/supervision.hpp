#pragma once
// Everything in supervision/: OTP supervisors and applications.
#include "rodeo/application.hpp"
#include "rodeo/supervisor.hpp"
