#pragma once
// Everything a handler author needs: the Req API, handlers, loop handlers, middlewares, stream
// handlers and the codecs they use. Listeners are net/'s (rodeo/listener.hpp; rodeo/rodeo.hpp has
// both).
#include "rodeo/access_log.hpp"
#include "rodeo/cookie.hpp"
#include "rodeo/decompress_h.hpp"
#include "rodeo/handler.hpp"
#include "rodeo/http_header.hpp"
#include "rodeo/http_message.hpp"
#include "rodeo/loop_handler.hpp"
#include "rodeo/metrics_h.hpp"
#include "rodeo/middleware.hpp"
#include "rodeo/prometheus_h.hpp"
#include "rodeo/protocol_options.hpp"
#include "rodeo/qs.hpp"
#include "rodeo/req.hpp"
#include "rodeo/rest.hpp"
#include "rodeo/router.hpp"
#include "rodeo/sse.hpp"
#include "rodeo/static_handler.hpp"
#include "rodeo/stream_handler.hpp"
