// origin_lock: who may reach the origin (Cloudflare ranges, trusted proxies, shared secret, Host
// allow-list) and which header names the real client address. CIDR lists and the ranges file are
// parsed when the stage is built (proxy/stages/origin_lock, which owns rules/net); here only the
// shape and the grammar of each value are checked.
#include <algorithm>
#include <array>

#include "proxy/config/origin_lock_config.h"
#include "proxy/config/sections.h"
#include "proxy/config/values.h"

namespace portcullis::config {
namespace {

std::string quoted(std::string_view s) {
  std::string out = "'";
  out.append(s.substr(0, 128));
  out += '\'';
  return out;
}

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool is_tchar(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  constexpr std::string_view kSpecials = "!#$%&'*+-.^_`|~";
  return kSpecials.find(c) != std::string_view::npos;
}

// A header field name (RFC 9110 5.1: a token), lowercased. Names the proxy itself manages are
// refused: a secret in Host or X-Forwarded-For would be rewritten or leak into logs.
Result<std::string> parse_secret_header(std::string_view text) {
  if (text.empty() || text.size() > 64) return make_error("header name must be 1..64 characters");
  std::string out;
  for (char c : text) {
    if (!is_tchar(c)) return make_error("header name " + quoted(text) + " is not a token");
    out += lower(c);
  }
  static constexpr std::array<std::string_view, 10> kReserved{
      "host",      "content-length",   "transfer-encoding", "connection",   "x-forwarded-for",
      "forwarded", "cf-connecting-ip", "true-client-ip",    "x-request-id", "x-forwarded-proto"};
  if (std::find(kReserved.begin(), kReserved.end(), out) != kReserved.end()) {
    return make_error("header " + quoted(out) + " cannot carry the origin secret");
  }
  return out;
}

// A Host allow-list entry: a DNS name or "*.suffix" (one leading label wildcard), lowercased,
// without port (the request's port is ignored when matching).
Result<std::string> parse_allowed_host(std::string_view text) {
  std::string_view name = text;
  std::string out;
  if (name.substr(0, 2) == "*.") {
    out = "*.";
    name.remove_prefix(2);
  }
  if (name.empty() || name.size() > 253)
    return make_error("host " + quoted(text) + " is empty or too long");
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '.' || c == '_';
    if (!ok) return make_error("host " + quoted(text) + " must be a DNS name or *.suffix");
    out += lower(c);
  }
  if (name.front() == '.' || name.back() == '.') {
    return make_error("host " + quoted(text) + " must not start or end with '.'");
  }
  return out;
}

Result<std::string> parse_path(std::string_view text) {
  if (text.empty()) return make_error("path must not be empty");
  return std::string(text);
}

Result<std::string> parse_nonempty(std::string_view text) {
  if (text.empty()) return make_error("must not be empty");
  return std::string(text);
}

void parse_string_list(const Entry& e, Reader& r, std::string_view what,
                       Result<std::string> (*parse)(std::string_view),
                       std::vector<std::string>& out) {
  out.clear();
  if (e.value.IsNull()) return;
  r.for_each_item(e, /*scalar_is_list=*/true, [&](const Entry& item) {
    std::string v;
    if (!r.read(item, what, parse, &v)) return;
    if (std::find(out.begin(), out.end(), v) != out.end()) {
      r.error_in(item, "duplicate entry " + quoted(v));
      return;
    }
    out.push_back(std::move(v));
  });
  r.mark_set(e);
}

}  // namespace

std::string_view to_string(LockMode mode) {
  switch (mode) {
    case LockMode::kEnforce:
      return "enforce";
    case LockMode::kMonitor:
      return "monitor";
    case LockMode::kOff:
      return "off";
  }
  return "off";
}

Result<LockMode> parse_lock_mode(std::string_view text) {
  if (text == "true" || text == "enforce") return LockMode::kEnforce;
  if (text == "monitor") return LockMode::kMonitor;
  if (text == "false" || text == "off") return LockMode::kOff;
  return make_error("expected true|enforce, monitor or false|off; got " + quoted(text));
}

Result<LockAction> parse_lock_action(std::string_view text) {
  if (text == "403") return LockAction::kForbidden;
  if (text == "close") return LockAction::kClose;
  return make_error("expected 403 or close; got " + quoted(text));
}

void parse_origin_lock_section(const Entry& e, Reader& r, Config& out) {
  OriginLockConfig& s = out.origin_lock;
  static constexpr std::array<std::string_view, 13> kKeys{"mode",
                                                          "action",
                                                          "require_trusted_peer",
                                                          "cloudflare_ranges",
                                                          "ranges_file",
                                                          "trusted_proxies",
                                                          "secret_header",
                                                          "require_secret",
                                                          "authenticated_origin_pulls",
                                                          "allowed_hosts",
                                                          "real_client_ip",
                                                          "true_client_ip",
                                                          "max_ranges_age_days"};
  r.for_each_key(e, "origin_lock", kKeys, [&](std::string_view key, const Entry& kv) {
    if (key == "mode") {
      r.read(kv, "enforce, monitor or off", parse_lock_mode, &s.mode);
    } else if (key == "action") {
      r.read(kv, "403 or close", parse_lock_action, &s.action);
    } else if (key == "require_trusted_peer") {
      r.read(kv, "true or false", parse_bool, &s.require_trusted_peer);
    } else if (key == "cloudflare_ranges") {
      r.read(kv, "true or false", parse_bool, &s.cloudflare_ranges);
    } else if (key == "ranges_file") {
      r.read(kv, "a file path", parse_path, &s.ranges_file);
    } else if (key == "trusted_proxies") {
      parse_string_list(kv, r, "a CIDR", parse_nonempty, s.trusted_proxies);
    } else if (key == "secret_header") {
      r.read(kv, "a header name", parse_secret_header, &s.secret_header);
    } else if (key == "require_secret") {
      r.read(kv, "true or false", parse_bool, &s.require_secret);
    } else if (key == "authenticated_origin_pulls") {
      bool on = false;
      r.read(kv, "true or false", parse_bool, &on);
      s.authenticated_origin_pulls = on;  // check_origin_lock: needs a verifying TLS listener
    } else if (key == "allowed_hosts") {
      parse_string_list(kv, r, "a host name", parse_allowed_host, s.allowed_hosts);
    } else if (key == "real_client_ip") {
      bool on = false;
      if (r.read(kv, "true or false", parse_bool, &on)) s.real_client_ip = on;
    } else if (key == "true_client_ip") {
      r.read(kv, "true or false", parse_bool, &s.true_client_ip);
    } else if (key == "max_ranges_age_days") {
      r.read_number(kv, false, 1, 3650, &s.max_ranges_age_days);
    }
  });
}

void check_origin_lock(Reader& r, Config& c) {
  const OriginLockConfig& s = c.origin_lock;
  if (s.authenticated_origin_pulls) {
    // Without a TLS listener that asks for client certificates nobody could ever pass, and a
    // plain listener beside it would be a way around the check.
    bool all_verify = !c.listeners.empty();
    for (const ListenerConfig& l : c.listeners) {
      all_verify =
          all_verify && l.tls && l.tls->verify_client != TlsListenerConfig::VerifyClient::kOff;
    }
    if (!all_verify) {
      r.error_for("origin_lock.authenticated_origin_pulls",
                  "authenticated origin pulls need every listener to be TLS with client_ca and "
                  "verify_client: require (or optional)");
    }
  }
  if (!s.require_trusted_peer || s.cloudflare_ranges || !s.trusted_proxies.empty()) return;
  // Nobody could ever pass: a lock that blocks everything is a config mistake, not a policy.
  r.error_for("origin_lock.cloudflare_ranges",
              "require_trusted_peer is true but neither cloudflare_ranges nor trusted_proxies "
              "names any peer, so every request would be refused");
}

}  // namespace portcullis::config
