// TLS client context for rediss:// endpoints (OpenSSL 3, through libevent's OpenSSL
// bufferevents). Built once at config load so a missing or unreadable CA / certificate / key is a
// load error, never a run-time surprise; shared by every worker's connection (an SSL_CTX is
// thread-safe once configured).
#pragma once

#include <memory>
#include <string>

#include "proxy/redis/endpoint.h"
#include "rules/base/result.h"

struct ssl_ctx_st;
struct ssl_st;

namespace portcullis::redis {

using TlsContext = std::shared_ptr<ssl_ctx_st>;

// TLS 1.2+, server certificate verified (options.verify) against options.ca_file or the system
// store; options.cert_file + key_file: the client certificate of mutual TLS.
Result<TlsContext> make_tls_context(const TlsOptions& options);

// One connection's SSL object: SNI (not for an IP literal, RFC 6066 section 3) and the name check
// (X509_VERIFY_PARAM_set1_host, or set1_ip_asc for an IP) against tls_options.server_name or the
// URL's host. nullptr on allocation failure.
ssl_st* new_tls_session(ssl_ctx_st* ctx, const Endpoint& endpoint);

// The reason of the last OpenSSL failure on this thread (and clears the queue), for logs.
std::string last_tls_error();

}  // namespace portcullis::redis
