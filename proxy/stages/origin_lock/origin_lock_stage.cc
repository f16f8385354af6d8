#include "proxy/stages/origin_lock/origin_lock_stage.h"

#include <algorithm>
#include <cstring>

namespace portcullis::origin_lock {
namespace {

using pipeline::RequestContext;
using pipeline::Verdict;

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

// Host header without its port: "a.example:8443" -> "a.example", "[::1]:80" -> "[::1]".
std::string_view host_without_port(std::string_view host) {
  if (!host.empty() && host.front() == '[') {
    size_t close = host.find(']');
    return close == std::string_view::npos ? host : host.substr(0, close + 1);
  }
  size_t colon = host.rfind(':');
  return colon == std::string_view::npos ? host : host.substr(0, colon);
}

bool iequals_lower(std::string_view mixed, std::string_view lowercase) {
  if (mixed.size() != lowercase.size()) return false;
  for (size_t i = 0; i < mixed.size(); ++i) {
    if (lower(mixed[i]) != lowercase[i]) return false;
  }
  return true;
}

void record(RequestContext& ctx, std::string_view reason, bool blocked, std::string_view location,
            std::string_view excerpt) {
  pipeline::Detection* d = ctx.add_detection();
  if (d == nullptr) return;
  d->finding.detector = rules::Detector::kGeneric;
  d->finding.context = "origin_lock";
  d->finding.reason = reason;
  d->stage = "origin_lock";
  d->blocked = blocked;
  d->set_location(location);
  d->set_excerpt(excerpt);
}

// The header occurrences the stage cares about, found in one pass.
struct Seen {
  std::string_view secret, cf_ip, true_ip;
  uint8_t n_secret = 0, n_cf_ip = 0, n_true_ip = 0;
  bool xff = false, forwarded = false;
};

}  // namespace

OriginLockStage::OriginLockStage(OriginLockSettings settings) : s_(std::move(settings)) {}

bool OriginLockStage::peer_trusted(const net::IpAddress& peer) const {
  return (s_.cloudflare != nullptr && s_.cloudflare->contains(peer)) ||
         s_.trusted_proxies.contains(peer);
}

bool OriginLockStage::host_allowed(std::string_view host_header) const {
  if (s_.allowed_hosts.empty()) return true;
  std::string_view host = host_without_port(host_header);
  for (const std::string& allowed : s_.allowed_hosts) {
    if (allowed.size() > 2 && allowed[0] == '*' && allowed[1] == '.') {
      // "*.example.com" matches "a.example.com" (at least one label), not "example.com".
      std::string_view suffix = std::string_view(allowed).substr(1);  // ".example.com"
      if (host.size() > suffix.size() &&
          iequals_lower(host.substr(host.size() - suffix.size()), suffix)) {
        return true;
      }
    } else if (iequals_lower(host, allowed)) {
      return true;
    }
  }
  return false;
}

Verdict OriginLockStage::violation(std::string_view reason) const {
  return s_.action == config::LockAction::kClose ? Verdict::Close(reason)
                                                 : Verdict::Block(403, reason);
}

Verdict OriginLockStage::on_request_head(RequestContext& ctx) const {
  const http::RequestHead& h = *ctx.head;
  Result<net::IpAddress> peer = net::IpAddress::parse(ctx.peer_ip);
  const bool trusted = peer.ok() && peer_trusted(*peer);
  ctx.peer_trusted = trusted;

  Seen seen;
  for (uint32_t i = 0; i < h.num_headers; ++i) {
    std::string_view name = h.headers[i].name;
    std::string_view value = h.headers[i].value;
    if (iequals_lower(name, s_.secret_header)) {
      seen.secret = value;
      ++seen.n_secret;
    } else if (iequals_lower(name, "cf-connecting-ip")) {
      seen.cf_ip = value;
      ++seen.n_cf_ip;
    } else if (iequals_lower(name, "true-client-ip")) {
      seen.true_ip = value;
      ++seen.n_true_ip;
    } else if (iequals_lower(name, "x-forwarded-for")) {
      seen.xff = true;
    } else if (iequals_lower(name, "forwarded")) {
      seen.forwarded = true;
    }
  }

  // The secret never reaches the origin, whatever the mode (it would end up in its logs).
  if (seen.n_secret > 0) ctx.add_strip_header(s_.secret_header);

  if (s_.real_client_ip) {
    std::optional<net::IpAddress> client;
    if (trusted) {
      // Cloudflare overwrites CF-Connecting-IP; a duplicate means something in between added one.
      if (seen.n_cf_ip == 1) {
        if (auto ip = net::parse_forwarded_ip(seen.cf_ip); ip.ok()) client = *ip;
      }
      if (!client && s_.true_client_ip && seen.n_true_ip == 1) {
        if (auto ip = net::parse_forwarded_ip(seen.true_ip); ip.ok()) client = *ip;
      }
      // Without Enterprise's True-Client-IP feature Cloudflare passes a client's own value on.
      if (!s_.true_client_ip && seen.n_true_ip > 0) ctx.add_strip_header("true-client-ip");
    } else if (seen.n_cf_ip > 0 || seen.n_true_ip > 0) {
      // Someone outside Cloudflare tries to choose the address rate limits and lists see.
      const bool cf = seen.n_cf_ip > 0;
      record(ctx, kReasonClientIpSpoof, false,
             cf ? "header:cf-connecting-ip" : "header:true-client-ip",
             cf ? seen.cf_ip : seen.true_ip);
      if (seen.n_cf_ip > 0) ctx.add_strip_header("cf-connecting-ip");
      if (seen.n_true_ip > 0) ctx.add_strip_header("true-client-ip");
    }
    // X-Forwarded-For is rebuilt from the resolved client only: incoming lists are attacker
    // controlled (Cloudflare appends to whatever the client sent). With no X-Forwarded-For left
    // the forwarder writes "X-Forwarded-For: <ctx.client_ip>".
    if (seen.xff) ctx.add_strip_header("x-forwarded-for");
    if (seen.forwarded) ctx.add_strip_header("forwarded");
    if (client) {
      size_t n = client->format(ctx.client_ip_buf);
      ctx.client_ip = std::string_view(ctx.client_ip_buf, n);
    }
  }

  const bool lock_on = s_.mode != config::LockMode::kOff;
  const bool enforcing = s_.mode == config::LockMode::kEnforce;
  std::string_view reason;
  if (s_.secret.configured()) {
    const bool valid = seen.n_secret == 1 && s_.secret.matches(seen.secret);
    if (valid && s_.require_trusted_peer && !trusted) {
      // The secret only ever travels Cloudflare -> origin. Seeing it from elsewhere means it
      // leaked (logs, a compromised host, a misrouted Worker): page someone (audit P0). Recorded
      // even with the lock off or in monitor mode. The excerpt is the peer, never the secret.
      char location[8 + 64] = "header:";
      size_t n = std::min(s_.secret_header.size(), sizeof(location) - 8);
      std::memcpy(location + 7, s_.secret_header.data(), n);
      record(ctx, kReasonSecretLeaked, lock_on && enforcing, std::string_view(location, 7 + n),
             ctx.peer_ip);
      reason = kReasonSecretLeaked;
    } else if (!valid) {
      reason = seen.n_secret == 0 ? kReasonSecretMissing : kReasonSecretInvalid;
    }
  }
  if (!lock_on) return Verdict::Continue();
  // The leaked-secret reason wins: it is the one an operator must see.
  if (reason != kReasonSecretLeaked && s_.require_trusted_peer && !trusted) {
    reason = kReasonUntrustedPeer;
  }
  if (reason.empty() && s_.authenticated_origin_pulls && !ctx.client_cert_verified) {
    reason = kReasonNoClientCert;
  }
  if (reason.empty() && !host_allowed(h.host)) reason = kReasonHostNotAllowed;
  if (reason.empty()) return Verdict::Continue();
  return violation(reason);
}

}  // namespace portcullis::origin_lock
