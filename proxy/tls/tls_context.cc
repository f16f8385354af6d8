#include "proxy/tls/tls_context.h"

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <cstring>

namespace portcullis::tls {
namespace {

std::string last_ssl_error() {
  unsigned long e = ERR_get_error();
  if (e == 0) return "unknown OpenSSL error";
  char buf[256];
  ERR_error_string_n(e, buf, sizeof(buf));
  ERR_clear_error();
  return buf;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::vector<std::string> certificate_names(X509* cert) {
  std::vector<std::string> names;
  auto* sans =
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr));
  if (sans != nullptr) {
    for (int i = 0; i < sk_GENERAL_NAME_num(sans); ++i) {
      const GENERAL_NAME* gn = sk_GENERAL_NAME_value(sans, i);
      if (gn->type != GEN_DNS) continue;
      const unsigned char* p = ASN1_STRING_get0_data(gn->d.dNSName);
      int len = ASN1_STRING_length(gn->d.dNSName);
      names.push_back(
          lower(std::string_view(reinterpret_cast<const char*>(p), static_cast<size_t>(len))));
    }
    GENERAL_NAMES_free(sans);
  }
  if (names.empty()) {
    char cn[256];
    if (X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, cn, sizeof(cn)) >
        0) {
      names.push_back(lower(cn));
    }
  }
  return names;
}

// RFC 6125 6.4.3: a wildcard matches exactly one left-most label.
bool name_matches(std::string_view pattern, std::string_view host) {
  if (pattern == host) return true;
  if (pattern.size() > 2 && pattern[0] == '*' && pattern[1] == '.') {
    size_t dot = host.find('.');
    return dot != std::string_view::npos && dot > 0 && host.substr(dot) == pattern.substr(1);
  }
  return false;
}

// Modern defaults (Mozilla "intermediate"): AEAD suites with forward secrecy only.
constexpr char kTls12Ciphers[] =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"
    "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";
constexpr unsigned char kSessionIdContext[] = "portcullis";

}  // namespace

TlsContext::~TlsContext() {
  for (SSL_CTX* c : ctxs_) SSL_CTX_free(c);
}

Result<std::shared_ptr<TlsContext>> TlsContext::build(const ServerTlsOptions& opts) {
  if (opts.certificates.empty()) return make_error("tls: at least one certificate is required");
  if (opts.verify_client != VerifyClient::kOff && opts.client_ca_file.empty()) {
    return make_error("tls: verify_client needs client_ca");
  }
  std::shared_ptr<TlsContext> t(new TlsContext());
  t->verify_ = opts.verify_client;
  for (const CertificateFiles& cf : opts.certificates) {
    SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
    if (ctx == nullptr) return make_error("tls: " + last_ssl_error());
    t->ctxs_.push_back(ctx);
    SSL_CTX_set_min_proto_version(ctx, opts.allow_tls12 ? TLS1_2_VERSION : TLS1_3_VERSION);
    SSL_CTX_set_options(
        ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_NO_COMPRESSION);
    SSL_CTX_set_cipher_list(ctx, kTls12Ciphers);
    SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);  // idle connections keep no TLS buffers
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_SERVER);
    SSL_CTX_set_session_id_context(ctx, kSessionIdContext, sizeof(kSessionIdContext) - 1);
    if (SSL_CTX_use_certificate_chain_file(ctx, cf.cert_file.c_str()) != 1) {
      return make_error("tls: certificate " + cf.cert_file + ": " + last_ssl_error());
    }
    if (SSL_CTX_use_PrivateKey_file(ctx, cf.key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
      return make_error("tls: key " + cf.key_file + ": " + last_ssl_error());
    }
    if (SSL_CTX_check_private_key(ctx) != 1) {
      return make_error("tls: key " + cf.key_file + " does not match " + cf.cert_file);
    }
    if (opts.verify_client != VerifyClient::kOff) {
      if (SSL_CTX_load_verify_locations(ctx, opts.client_ca_file.c_str(), nullptr) != 1) {
        return make_error("tls: client_ca " + opts.client_ca_file + ": " + last_ssl_error());
      }
      STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(opts.client_ca_file.c_str());
      if (names != nullptr) SSL_CTX_set_client_CA_list(ctx, names);
      int mode = SSL_VERIFY_PEER;
      if (opts.verify_client == VerifyClient::kRequire) mode |= SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
      SSL_CTX_set_verify(ctx, mode, nullptr);
    }
    SSL_CTX_set_alpn_select_cb(ctx, on_alpn, nullptr);
    t->names_.push_back(certificate_names(SSL_CTX_get0_certificate(ctx)));
  }
  SSL_CTX_set_tlsext_servername_callback(t->ctxs_[0], on_servername);
  SSL_CTX_set_tlsext_servername_arg(t->ctxs_[0], t.get());
  return t;
}

SSL* TlsContext::new_ssl() const { return SSL_new(ctxs_[0]); }

SSL_CTX* TlsContext::match(std::string_view host) const {
  std::string h = lower(host);
  for (size_t i = 0; i < ctxs_.size(); ++i) {
    for (const std::string& n : names_[i]) {
      if (name_matches(n, h)) return ctxs_[i];
    }
  }
  return ctxs_[0];
}

int TlsContext::on_servername(SSL* ssl, int*, void* arg) {
  const auto* self = static_cast<const TlsContext*>(arg);
  const char* name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
  if (name == nullptr) return SSL_TLSEXT_ERR_OK;  // default certificate
  SSL_CTX* chosen = self->match(name);
  if (chosen != SSL_get_SSL_CTX(ssl)) SSL_set_SSL_CTX(ssl, chosen);
  return SSL_TLSEXT_ERR_OK;
}

// ALPN: we speak HTTP/1.1 only; a client offering only h2 gets no ALPN (and falls back or fails).
int TlsContext::on_alpn(SSL*, const unsigned char** out, unsigned char* outlen,
                        const unsigned char* in, unsigned int inlen, void*) {
  static const unsigned char kHttp11[] = {8, 'h', 't', 't', 'p', '/', '1', '.', '1'};
  unsigned char* selected = nullptr;
  if (SSL_select_next_proto(&selected, outlen, kHttp11, sizeof(kHttp11), in, inlen) !=
      OPENSSL_NPN_NEGOTIATED) {
    return SSL_TLSEXT_ERR_NOACK;
  }
  *out = selected;
  return SSL_TLSEXT_ERR_OK;
}

bool client_certificate_verified(SSL* ssl) {
  X509* peer = SSL_get1_peer_certificate(ssl);
  if (peer == nullptr) return false;
  X509_free(peer);
  return SSL_get_verify_result(ssl) == X509_V_OK;
}

}  // namespace portcullis::tls
