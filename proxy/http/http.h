// Umbrella header for the HTTP/1.1 parsing module.
#pragma once

#include "proxy/http/chunked_decoder.h"  // IWYU pragma: export
#include "proxy/http/request_parser.h"   // IWYU pragma: export
#include "proxy/http/response_parser.h"  // IWYU pragma: export
#include "proxy/http/tokens.h"           // IWYU pragma: export
#include "proxy/http/types.h"            // IWYU pragma: export
