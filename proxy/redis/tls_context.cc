#include "proxy/redis/tls_context.h"

#include <arpa/inet.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

namespace portcullis::redis {
namespace {

bool is_ip_literal(const std::string& s) {
  unsigned char buf[16];
  return inet_pton(AF_INET, s.c_str(), buf) == 1 || inet_pton(AF_INET6, s.c_str(), buf) == 1;
}

}  // namespace

std::string last_tls_error() {
  unsigned long e = ERR_get_error();
  ERR_clear_error();
  if (e == 0) return "TLS error";
  char buf[256];
  ERR_error_string_n(e, buf, sizeof(buf));
  return buf;
}

Result<TlsContext> make_tls_context(const TlsOptions& o) {
  ERR_clear_error();
  TlsContext ctx(SSL_CTX_new(TLS_client_method()), SSL_CTX_free);
  if (ctx == nullptr) return make_error("cannot create a TLS context: " + last_tls_error());
  SSL_CTX_set_min_proto_version(ctx.get(), TLS1_2_VERSION);
  if (o.verify) {
    SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER, nullptr);
    int ok = o.ca_file.empty()
                 ? SSL_CTX_set_default_verify_paths(ctx.get())
                 : SSL_CTX_load_verify_locations(ctx.get(), o.ca_file.c_str(), nullptr);
    if (ok != 1) {
      return make_error("cannot load the Redis CA file '" + o.ca_file + "': " + last_tls_error());
    }
  } else {
    SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_NONE, nullptr);
  }
  if (o.cert_file.empty() != o.key_file.empty()) {
    return make_error("a Redis client certificate needs both cert_file and key_file");
  }
  if (!o.cert_file.empty()) {
    if (SSL_CTX_use_certificate_chain_file(ctx.get(), o.cert_file.c_str()) != 1) {
      return make_error("cannot load the Redis client certificate '" + o.cert_file +
                        "': " + last_tls_error());
    }
    if (SSL_CTX_use_PrivateKey_file(ctx.get(), o.key_file.c_str(), SSL_FILETYPE_PEM) != 1 ||
        SSL_CTX_check_private_key(ctx.get()) != 1) {
      return make_error("cannot load the Redis client key '" + o.key_file +
                        "': " + last_tls_error());
    }
  }
  return ctx;
}

ssl_st* new_tls_session(ssl_ctx_st* ctx, const Endpoint& ep) {
  SSL* ssl = SSL_new(ctx);
  if (ssl == nullptr) return nullptr;
  const std::string& name =
      !ep.tls_options.server_name.empty() ? ep.tls_options.server_name : ep.url_host;
  bool ip = is_ip_literal(name);
  if (!ip && !name.empty()) SSL_set_tlsext_host_name(ssl, name.c_str());
  if (ep.tls_options.verify && !name.empty()) {
    X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
    int ok = ip ? X509_VERIFY_PARAM_set1_ip_asc(param, name.c_str())
                : X509_VERIFY_PARAM_set1_host(param, name.c_str(), 0);
    if (ok != 1) {
      SSL_free(ssl);
      return nullptr;
    }
  }
  return ssl;
}

}  // namespace portcullis::redis
