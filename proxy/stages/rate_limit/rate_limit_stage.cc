#include "proxy/stages/rate_limit/rate_limit_stage.h"

#include <event2/event.h>
#include <hiredis/hiredis.h>

#include <chrono>
#include <cstdio>
#include <cstring>

#include "proxy/stages/rate_limit/redis_scripts.h"
#include "rules/net/ip_address.h"
#include "rules/ratelimit/hash.h"

namespace portcullis::rate_limit {
namespace {

using pipeline::RequestContext;
using pipeline::Verdict;

// Redis keys must be the same on every instance: a fixed seed (the per-process seed protects the
// local table's set selection, which Redis does not have).
constexpr uint64_t kFleetSeed = 0x706f727463756c6cULL;  // "portcull"

struct HeaderWriter {
  char* buf;
  size_t cap;
  uint16_t* len;
  void add(std::string_view a, std::string_view b = {}, std::string_view c = {}) {
    size_t need = a.size() + b.size() + c.size();
    if (*len + need > cap) return;
    for (std::string_view s : {a, b, c}) {
      if (s.empty()) continue;  // memcpy from a null data() is UB even for 0 bytes
      std::memcpy(buf + *len, s.data(), s.size());
      *len = static_cast<uint16_t>(*len + s.size());
    }
  }
};

void add_limit_headers(HeaderWriter& w, const CompiledRule& rule,
                       const ratelimit::GcraDecision& d) {
  w.add("Retry-After: ", ratelimit::format_retry_after(d), "\r\n");
  w.add(rule.policy_header);
  w.add("RateLimit: ", ratelimit::format_ratelimit(d, rule.name), "\r\n");
}

void add_retry_after(HeaderWriter& w, int64_t remaining_ns) {
  int64_t s = (remaining_ns + 999'999'999) / 1'000'000'000;
  w.add("Retry-After: ", std::to_string(s < 1 ? 1 : s), "\r\n");
}

std::string hex64(uint64_t v) {
  char buf[17];
  std::snprintf(buf, sizeof(buf), "%016llx", static_cast<unsigned long long>(v));
  return std::string(buf, 16);
}

// The client key: the resolved address, an IPv6 one reduced to its /64.
void client_identity(std::string_view ip_text, Prepared& p) {
  auto ip = net::IpAddress::parse(ip_text);
  if (ip.ok() && !ip->is_v4()) {
    net::IpAddress net64 = ip.value();
    for (size_t i = 8; i < 16; ++i) net64.bytes[i] = 0;
    char text[net::IpAddress::kMaxTextLength];
    size_t n = net64.format(text);
    std::memcpy(p.client, text, n);
    std::memcpy(p.client + n, "/64", 3);
    p.client_len = static_cast<uint8_t>(n + 3);
    return;
  }
  size_t n = ip_text.size() < sizeof(p.client) ? ip_text.size() : sizeof(p.client) - 1;
  std::memcpy(p.client, ip_text.data(), n);
  p.client_len = static_cast<uint8_t>(n);
}

Verdict failure_verdict(const RateLimitSettings& s, std::string& headers) {
  if (s.on_failure == config::RedisFailurePolicy::kFailClosed) {
    headers = "Retry-After: 1\r\n";
    return Verdict::Block(503, kReasonUnavailable);
  }
  return Verdict::Continue();
}

// One asynchronous decision: owns its copy of the request facts, the script arguments and a
// deadline timer. Lives until hiredis has called on_reply (always exactly once), even when the
// deadline already answered the request.
class PendingDecision final : public redis::ReplyHandler {
 public:
  PendingDecision(std::shared_ptr<const RateLimitSettings> s, std::shared_ptr<SharedState> shared,
                  const Prepared& p, pipeline::AsyncHandle async, redis::AsyncClient* client)
      : s_(std::move(s)), shared_(std::move(shared)), p_(p), async_(async), client_(client) {}

  // false: not sent (the caller decides by policy and deletes this).
  bool start() {
    build_args();
    if (!send()) return false;
    timer_ = evtimer_new(async_.loop, on_deadline, this);
    timeval tv{static_cast<time_t>(s_->timeout.count() / 1000),
               static_cast<suseconds_t>((s_->timeout.count() % 1000) * 1000)};
    evtimer_add(timer_, &tv);
    return true;
  }

  void on_reply(const redisReply* reply) override {
    if (done_) {
      delete this;
      return;
    }
    if (reply != nullptr && reply->type == REDIS_REPLY_ERROR && !retried_ &&
        std::string_view(reply->str, reply->len).substr(0, 8) == "NOSCRIPT") {
      // The script cache was flushed: send the body once (EVAL), which also re-caches it.
      retried_ = true;
      args_[0] = "EVAL";
      args_[1] = std::string(kDecideScript);
      if (send()) return;
    }
    std::string headers;
    Verdict v = reply != nullptr ? from_reply(reply, headers) : policy(headers);
    finish(v, headers);
    delete this;
  }

 private:
  static void on_deadline(evutil_socket_t, short, void* arg) {
    auto* self = static_cast<PendingDecision*>(arg);
    self->client_->note_timeout();
    std::string headers;
    Verdict v = self->policy(headers);
    self->finish(v, headers);  // the object stays until hiredis answers or fails the command
  }

  void finish(Verdict v, const std::string& headers) {
    done_ = true;
    if (timer_ != nullptr) {
      event_free(timer_);
      timer_ = nullptr;
    }
    async_.resumer->resume(async_.token, v, headers);
  }

  Verdict policy(std::string& headers) {
    shared_->counters().policy_decisions++;
    if (s_->on_failure == config::RedisFailurePolicy::kLocal) {
      RateLimitStage stage(s_, shared_);
      LocalDecision d = stage.decide_local(p_, monotonic_ns());
      headers.assign(d.header_lines());
      return d.verdict;
    }
    return failure_verdict(*s_, headers);
  }

  Verdict from_reply(const redisReply* r, std::string& headers) {
    if (r->type != REDIS_REPLY_ARRAY || r->elements < 2 ||
        r->element[0]->type != REDIS_REPLY_INTEGER || r->element[1]->type != REDIS_REPLY_INTEGER) {
      return policy(headers);
    }
    shared_->counters().redis_decisions++;
    long long code = r->element[0]->integer;
    char buf[pipeline::RequestContext::kMaxResponseHeaders];
    uint16_t len = 0;
    HeaderWriter w{buf, sizeof(buf), &len};
    if (code == -1 || code == -2) {
      shared_->counters().blocked++;
      add_retry_after(w, r->element[1]->integer * 1'000'000);
      headers.assign(buf, len);
      if (code == -2) shared_->counters().blocks_started++;
      return Verdict::Block(s_->block_status, code == -2 ? kReasonAutoBlock : kReasonAutoBlocked);
    }
    if (code == 0) {
      if (r->element[1]->integer > 0) shared_->counters().monitored++;
      shared_->counters().allowed++;
      return Verdict::Continue();
    }
    if (code < 1 || code > p_.num_matches || r->elements < 3) return policy(headers);
    const CompiledRule& rule = s_->rules[p_.matches[code - 1].rule];
    ratelimit::GcraDecision d;
    d.allowed = false;
    d.remaining = 0;
    d.retry_after_ns = r->element[1]->integer * 1000;
    d.reset_after_ns =
        r->element[2]->type == REDIS_REPLY_INTEGER ? r->element[2]->integer * 1000 : 0;
    add_limit_headers(w, rule, d);
    headers.assign(buf, len);
    shared_->counters().limited++;
    return Verdict::Block(429, kReasonRateLimited);
  }

  void build_args() {
    const RateLimitSettings& s = *s_;
    std::string client(p_.client_text());
    args_.reserve(8 + p_.num_matches * 4);
    args_.push_back("EVALSHA");
    args_.push_back(s.decide_sha);
    args_.push_back(std::to_string(2 + p_.num_matches));
    args_.push_back(s.key_prefix + ":ab:" + client);
    args_.push_back(s.key_prefix + ":st:" + client);
    for (size_t i = 0; i < p_.num_matches; ++i) {
      args_.push_back(s.rules[p_.matches[i].rule].redis_prefix + hex64(p_.matches[i].fleet_key));
    }
    args_.push_back(s.auto_block ? "1" : "0");
    args_.push_back(p_.scanner && s.count_scanner ? "1" : "0");
    args_.push_back(std::to_string(s.block_policy.threshold));
    args_.push_back(std::to_string(s.block_policy.window_ns / 1'000'000));
    args_.push_back(std::to_string(s.block_policy.duration_ns / 1'000'000));
    for (size_t i = 0; i < p_.num_matches; ++i) {
      const CompiledRule& rule = s.rules[p_.matches[i].rule];
      args_.push_back(rule.t_us);
      args_.push_back(rule.c_us);
      args_.push_back(rule.monitor ? "1" : "0");
    }
  }

  bool send() {
    const char* argv[64];
    size_t lens[64];
    size_t n = args_.size() < 64 ? args_.size() : 64;
    for (size_t i = 0; i < n; ++i) {
      argv[i] = args_[i].data();
      lens[i] = args_[i].size();
    }
    return client_->send(static_cast<int>(n), argv, lens, this);
  }

  std::shared_ptr<const RateLimitSettings> s_;
  std::shared_ptr<SharedState> shared_;
  Prepared p_;
  pipeline::AsyncHandle async_;
  redis::AsyncClient* client_;
  std::vector<std::string> args_;
  event* timer_ = nullptr;
  bool done_ = false;
  bool retried_ = false;
};

// Fire-and-forget strike (on_complete): logs when it started a block.
class StrikeReply final : public redis::ReplyHandler {
 public:
  explicit StrikeReply(std::string client) : client_(std::move(client)) {}
  void on_reply(const redisReply* r) override {
    if (r != nullptr && r->type == REDIS_REPLY_INTEGER && r->integer == 1) {
      redis::log_line("warn", "auto-block: client %s blocked (shared through Redis)",
                      client_.c_str());
    }
    delete this;
  }

 private:
  std::string client_;
};

}  // namespace

int64_t monotonic_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

RateLimitStage::RateLimitStage(std::shared_ptr<const RateLimitSettings> settings,
                               std::shared_ptr<SharedState> shared)
    : s_(std::move(settings)), shared_(std::move(shared)) {}

bool RateLimitStage::prepare(const RequestContext& ctx, Prepared& p) const {
  const RateLimitSettings& s = *s_;
  if (ctx.head == nullptr) return false;
  char path_buf[2048];
  size_t path_len = normalize_path(ctx.head->target, path_buf, sizeof(path_buf));
  std::string_view path(path_buf, path_len);
  const uint64_t seed = shared_->seed();
  client_identity(ctx.client_ip, p);
  p.client_hash = ratelimit::hash64(p.client_text(), seed);
  if (s.auto_block && s.count_scanner && s.scanner.matches(path)) p.scanner = true;
  char user_buf[kMaxUserId];
  std::string_view user;
  bool user_done = false;
  for (size_t i = 0; i < s.rules.size() && p.num_matches < Prepared::kMaxMatches; ++i) {
    const CompiledRule& rule = s.rules[i];
    if (!rule.route.matches(ctx.head->method, path)) continue;
    // The bucket key text: a prefix per kind keeps "user 1.2.3.4" apart from "ip 1.2.3.4".
    char key_buf[2 + 256];
    std::string_view key;
    auto with_prefix = [&](char kind, std::string_view v) {
      key_buf[0] = kind;
      key_buf[1] = ':';
      size_t n = v.size() < 256 ? v.size() : 256;
      std::memcpy(key_buf + 2, v.data(), n);
      key = std::string_view(key_buf, n + 2);
    };
    switch (rule.key) {
      case config::RateKeyKind::kIp:
        with_prefix('i', p.client_text());
        break;
      case config::RateKeyKind::kRoute:
        key = std::string_view();
        break;
      case config::RateKeyKind::kUser:
        if (!user_done) {
          user = extract_user(s.user, *ctx.head, user_buf);
          user_done = true;
        }
        if (!user.empty()) {
          with_prefix('u', user);
        } else {
          with_prefix('i', p.client_text());  // anonymous: limited per address
        }
        break;
      case config::RateKeyKind::kHeader: {
        const std::string_view* v = find_header(*ctx.head, rule.key_header);
        if (v != nullptr && !v->empty()) {
          with_prefix('h', *v);
        } else {
          with_prefix('i', p.client_text());
        }
        break;
      }
    }
    Prepared::Match& m = p.matches[p.num_matches++];
    m.rule = static_cast<uint16_t>(i);
    m.local_key = ratelimit::ratelimit_key(rule.id, key, seed);
    m.fleet_key = ratelimit::hash64(key, kFleetSeed);
  }
  return p.num_matches > 0 || s.auto_block;
}

LocalDecision RateLimitStage::decide_local(const Prepared& p, int64_t now) const {
  const RateLimitSettings& s = *s_;
  LocalDecision out;
  HeaderWriter w{out.headers, sizeof(out.headers), &out.headers_len};
  SharedState& sh = *shared_;
  if (s.auto_block) {
    AutoBlockTable::BlockState st = sh.blocks().check(p.client_hash, now);
    if (!st.blocked && p.scanner && s.count_scanner) {
      st = sh.blocks().strike(p.client_hash, s.block_policy, now, /*announce=*/true);
      if (st.blocked) {
        sh.counters().blocks_started++;
        redis::log_line("warn", "auto-block: client %.*s blocked for %llds (scanner paths)",
                        static_cast<int>(p.client_len), p.client,
                        static_cast<long long>(s.block_policy.duration_ns / 1'000'000'000));
      }
    }
    if (st.blocked) {
      sh.counters().blocked++;
      add_retry_after(w, st.remaining_ns);
      out.verdict =
          Verdict::Block(s.block_status, st.first ? kReasonAutoBlock : kReasonAutoBlocked);
      return out;
    }
  }
  // Check every matching rule before charging any, so a request refused by a later rule does not
  // use up the earlier rules' budget (the Redis script is all-or-nothing the same way).
  bool refused_by_monitor[Prepared::kMaxMatches] = {};
  for (size_t i = 0; i < p.num_matches; ++i) {
    const CompiledRule& rule = s.rules[p.matches[i].rule];
    ratelimit::GcraDecision peek = sh.table().check(p.matches[i].local_key, rule.policy, now, 0);
    if (peek.remaining > 0) continue;
    ratelimit::GcraDecision d = sh.table().check(p.matches[i].local_key, rule.policy, now, 1);
    if (d.allowed) continue;  // refilled between the two calls
    if (rule.monitor) {
      refused_by_monitor[i] = true;
      out.monitored = true;
      continue;
    }
    add_limit_headers(w, rule, d);
    sh.counters().limited++;
    out.verdict = Verdict::Block(429, kReasonRateLimited);
    return out;
  }
  for (size_t i = 0; i < p.num_matches; ++i) {
    if (refused_by_monitor[i]) continue;
    const CompiledRule& rule = s.rules[p.matches[i].rule];
    sh.table().check(p.matches[i].local_key, rule.policy, now, 1);
  }
  if (out.monitored) sh.counters().monitored++;
  sh.counters().allowed++;
  return out;
}

Verdict RateLimitStage::on_request_head(RequestContext& ctx) const {
  if (ctx.bypass_rate_limit) return Verdict::Continue();
  Prepared p;
  if (!prepare(ctx, p)) return Verdict::Continue();
  if (p.scanner) {
    shared_->counters().scanner_hits++;
    // Recorded as a finding of this stage (visible in the audit event); on_complete does not
    // count it again as a detector strike.
    if (pipeline::Detection* d = ctx.add_detection()) {
      d->finding.detector = rules::Detector::kGeneric;
      d->finding.context = "path";
      d->finding.reason = kReasonScannerProbe;
      d->stage = name();
      d->set_location("path");
      d->set_excerpt(ctx.head->target.substr(0, pipeline::Detection::kMaxExcerpt));
    }
  }
  const RateLimitSettings& s = *s_;
  auto apply_local = [&]() {
    LocalDecision d = decide_local(p, monotonic_ns());
    ctx.add_response_header_line(d.header_lines());
    if (d.monitored) {
      ctx.monitored_block = true;
      if (ctx.blocked_by.empty()) {
        ctx.blocked_by = name();
        ctx.block_reason = kReasonRateLimited;
      }
    }
    return d.verdict;
  };
  if (!s.redis_enabled || ctx.async.loop == nullptr || ctx.async.resumer == nullptr) {
    return apply_local();
  }
  redis::AsyncClient* client =
      redis::thread_client(ctx.async.loop, s.endpoint, s.client_options, &shared_->redis_stats());
  if (client->ready() || client->connecting()) {
    auto* pending = new PendingDecision(s_, shared_, p, ctx.async, client);
    if (pending->start()) return Verdict::Pending();
    delete pending;
  }
  // Not connected (or too many in flight): the failure policy answers now, without waiting.
  shared_->counters().policy_decisions++;
  if (s.on_failure == config::RedisFailurePolicy::kLocal) return apply_local();
  std::string headers;
  Verdict v = failure_verdict(s, headers);
  ctx.add_response_header_line(headers);
  return v;
}

void RateLimitStage::on_complete(const RequestContext& ctx) const {
  const RateLimitSettings& s = *s_;
  if (!s.auto_block || ctx.bypass_rate_limit) return;
  bool strike = false;
  if (s.count_detections && ctx.blocked_by != name()) {
    // Findings of other stages (inspection...); this stage's own scanner-probe finding was
    // already a strike in on_request_head.
    size_t own = 0;
    for (size_t i = 0; i < ctx.num_detections; ++i) own += ctx.detections[i].stage == name();
    if (ctx.total_detections > own) strike = true;
  }
  if (s.count_origin_lock && ctx.blocked_by == "origin_lock" && !ctx.monitored_block) {
    strike = true;
  }
  if (!strike) return;
  Prepared p;
  client_identity(ctx.client_ip, p);
  p.client_hash = ratelimit::hash64(p.client_text(), shared_->seed());
  if (s.redis_enabled && ctx.async.loop != nullptr) {
    redis::AsyncClient* client =
        redis::thread_client(ctx.async.loop, s.endpoint, s.client_options, &shared_->redis_stats());
    if (client->ready()) {
      std::string client_text(p.client_text());
      std::string block_key = s.key_prefix + ":ab:" + client_text;
      std::string strike_key = s.key_prefix + ":st:" + client_text;
      std::string threshold = std::to_string(s.block_policy.threshold);
      std::string window = std::to_string(s.block_policy.window_ns / 1'000'000);
      std::string duration = std::to_string(s.block_policy.duration_ns / 1'000'000);
      const char* argv[] = {"EVAL",
                            kStrikeScript.data(),
                            "2",
                            block_key.c_str(),
                            strike_key.c_str(),
                            threshold.c_str(),
                            window.c_str(),
                            duration.c_str()};
      size_t lens[] = {4,
                       kStrikeScript.size(),
                       1,
                       block_key.size(),
                       strike_key.size(),
                       threshold.size(),
                       window.size(),
                       duration.size()};
      // EVALSHA would save the script bytes, but strikes are rare (attack traffic only) and
      // EVAL needs no NOSCRIPT retry.
      auto* h = new StrikeReply(std::move(client_text));
      if (client->send(8, argv, lens, h)) return;
      delete h;
    }
  }
  AutoBlockTable::BlockState st =
      shared_->blocks().strike(p.client_hash, s.block_policy, monotonic_ns());
  if (st.blocked) {
    shared_->counters().blocks_started++;
    redis::log_line("warn", "auto-block: client %.*s blocked for %llds",
                    static_cast<int>(p.client_len), p.client,
                    static_cast<long long>(s.block_policy.duration_ns / 1'000'000'000));
  }
}

}  // namespace portcullis::rate_limit
