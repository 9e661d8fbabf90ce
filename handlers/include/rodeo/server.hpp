#pragma once
// Everything a user of the HTTP server needs: listeners (net/), the Req API, handlers, loop
// handlers, middlewares, stream handlers and the codecs they use.
#include "rodeo/cookie.hpp"
#include "rodeo/handler.hpp"
#include "rodeo/http_header.hpp"
#include "rodeo/http_message.hpp"
#include "rodeo/loop_handler.hpp"
#include "rodeo/middleware.hpp"
#include "rodeo/protocol_options.hpp"
#include "rodeo/qs.hpp"
#include "rodeo/req.hpp"
#include "rodeo/router.hpp"
#include "rodeo/sse.hpp"
#include "rodeo/stream_handler.hpp"
#if __has_include("rodeo/listener.hpp")
#include "rodeo/listener.hpp"
#endif
