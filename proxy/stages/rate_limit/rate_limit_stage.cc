#include "proxy/stages/rate_limit/rate_limit_stage.h"

#include <event2/event.h>
#include <hiredis/hiredis.h>

#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstring>

#include "proxy/redis/resp.h"
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

// Appends one RESP bulk string made of `parts` (no allocation when `out` has capacity).
void bulk_of(std::string& out, std::initializer_list<std::string_view> parts) {
  size_t n = 0;
  for (std::string_view p : parts) n += p.size();
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof(buf), n);
  out += '$';
  out.append(buf, r.ptr);
  out += "\r\n";
  for (std::string_view p : parts) out.append(p);
  out += "\r\n";
}

std::string_view hex16(uint64_t v, char (&buf)[16]) {
  static constexpr char kHex[] = "0123456789abcdef";
  for (int i = 15; i >= 0; --i) {
    buf[i] = kHex[v & 15];
    v >>= 4;
  }
  return {buf, 16};
}

// The asynchronous decisions of one worker loop turn, sent as ONE script call (kDecideScript).
// Owns the requests' facts and one deadline timer for all of them. Lives until the client has
// called on_reply (always exactly once), even when the deadline already answered the requests.
class DecisionBatch final : public redis::ReplyHandler {
 public:
  static constexpr size_t kMaxItems = 256;  // bounds one script run on the Redis server

  DecisionBatch(std::shared_ptr<const RateLimitSettings> s, std::shared_ptr<SharedState> shared,
                redis::AsyncClient* client, event_base* base, uint64_t id)
      : s_(std::move(s)), shared_(std::move(shared)), client_(client), base_(base), id_(id) {}

  const RateLimitSettings* settings() const { return s_.get(); }
  redis::AsyncClient* client() const { return client_; }
  event_base* base() const { return base_; }
  uint64_t id() const { return id_; }
  bool full() const { return items_.size() >= kMaxItems; }
  void add(const Prepared& p, pipeline::AsyncHandle async) { items_.push_back(Item{p, async}); }

  // Sends the batch; on failure every request gets the policy at once. Deletes itself when done.
  void flush() {
    encode();
    if (!send(false)) {
      for (Item& it : items_) answer_by_policy(it);
      delete this;
      return;
    }
    timer_ = evtimer_new(base_, on_deadline, this);
    timeval tv{static_cast<time_t>(s_->timeout.count() / 1000),
               static_cast<suseconds_t>((s_->timeout.count() % 1000) * 1000)};
    evtimer_add(timer_, &tv);
  }

  void on_reply(const redisReply* reply) override {
    if (timer_ != nullptr) {
      event_free(timer_);
      timer_ = nullptr;
    }
    if (timed_out_) {
      delete this;
      return;
    }
    if (reply != nullptr && reply->type == REDIS_REPLY_ERROR && !retried_ &&
        std::string_view(reply->str, reply->len).substr(0, 8) == "NOSCRIPT") {
      // The script cache was flushed: send the body once (EVAL), which also re-caches it.
      retried_ = true;
      if (send(true)) {
        timed_out_ = false;
        return;
      }
    }
    bool ok = reply != nullptr && reply->type == REDIS_REPLY_ARRAY &&
              reply->elements == 3 * items_.size();
    for (size_t i = 0; i < items_.size(); ++i) {
      if (ok) {
        answer_from_reply(items_[i], reply->element + 3 * i);
      } else {
        answer_by_policy(items_[i]);
      }
    }
    delete this;
  }

 private:
  struct Item {
    Prepared p;
    pipeline::AsyncHandle async;
  };

  static void on_deadline(evutil_socket_t, short, void* arg) {
    auto* self = static_cast<DecisionBatch*>(arg);
    event_free(self->timer_);
    self->timer_ = nullptr;
    self->client_->note_timeout();
    self->timed_out_ = true;  // the object stays until the client answers or fails the command
    for (Item& it : self->items_) self->answer_by_policy(it);
  }

  void resume(Item& it, Verdict v, std::string_view headers) {
    it.async.resumer->resume(it.async.token, v, headers);
  }

  void answer_by_policy(Item& it) {
    shared_->counters().policy_decisions++;
    if (s_->on_failure == config::RedisFailurePolicy::kLocal) {
      RateLimitStage stage(s_, shared_);
      LocalDecision d = stage.decide_local(it.p, monotonic_ns());
      resume(it, d.verdict, d.header_lines());
      return;
    }
    std::string headers;
    Verdict v = failure_verdict(*s_, headers);
    resume(it, v, headers);
  }

  void answer_from_reply(Item& it, redisReply* const* e) {
    for (int i = 0; i < 3; ++i) {
      if (e[i]->type != REDIS_REPLY_INTEGER) return answer_by_policy(it);
    }
    shared_->counters().redis_decisions++;
    long long code = e[0]->integer;
    char buf[pipeline::RequestContext::kMaxResponseHeaders];
    uint16_t len = 0;
    HeaderWriter w{buf, sizeof(buf), &len};
    if (code == -1 || code == -2) {
      shared_->counters().blocked++;
      add_retry_after(w, e[1]->integer * 1'000'000);
      if (code == -2) shared_->counters().blocks_started++;
      return resume(
          it, Verdict::Block(s_->block_status, code == -2 ? kReasonAutoBlock : kReasonAutoBlocked),
          std::string_view(buf, len));
    }
    if (code == 0) {
      if (e[1]->integer > 0) shared_->counters().monitored++;
      shared_->counters().allowed++;
      return resume(it, Verdict::Continue(), {});
    }
    if (code < 1 || code > it.p.num_matches) return answer_by_policy(it);
    const CompiledRule& rule = s_->rules[it.p.matches[code - 1].rule];
    ratelimit::GcraDecision d;
    d.allowed = false;
    d.remaining = 0;
    d.retry_after_ns = e[1]->integer * 1000;
    d.reset_after_ns = e[2]->integer * 1000;
    add_limit_headers(w, rule, d);
    shared_->counters().limited++;
    resume(it, Verdict::Block(429, kReasonRateLimited), std::string_view(buf, len));
  }

  // keys_ and args_ hold the RESP of the keys and the arguments; the header is added by send().
  void encode() {
    const RateLimitSettings& s = *s_;
    size_t nkeys = 0, nargs = 6 + 3 * s.rules.size();
    keys_.reserve(items_.size() * 96);
    args_.reserve(64 + s.rules.size() * 24 + items_.size() * 12);
    redis::resp_bulk(args_, static_cast<int64_t>(items_.size()));
    redis::resp_bulk(args_, s.auto_block ? "1" : "0");
    redis::resp_bulk(args_, static_cast<int64_t>(s.block_policy.threshold));
    redis::resp_bulk(args_, s.block_policy.window_ns / 1'000'000);
    redis::resp_bulk(args_, s.block_policy.duration_ns / 1'000'000);
    redis::resp_bulk(args_, static_cast<int64_t>(s.rules.size()));
    for (const CompiledRule& rule : s.rules) {
      redis::resp_bulk(args_, rule.t_us);
      redis::resp_bulk(args_, rule.c_us);
      redis::resp_bulk(args_, rule.monitor ? "1" : "0");
    }
    for (const Item& it : items_) {
      const Prepared& p = it.p;
      if (s.auto_block) {
        bulk_of(keys_, {s.key_prefix, ":ab:", p.client_text()});
        bulk_of(keys_, {s.key_prefix, ":st:", p.client_text()});
        nkeys += 2;
      }
      redis::resp_bulk(args_, p.scanner && s.count_scanner ? "1" : "0");
      redis::resp_bulk(args_, static_cast<int64_t>(p.num_matches));
      nargs += 2 + p.num_matches;
      for (size_t i = 0; i < p.num_matches; ++i) {
        char hex[16];
        bulk_of(keys_,
                {s.rules[p.matches[i].rule].redis_prefix, hex16(p.matches[i].fleet_key, hex)});
        redis::resp_bulk(args_, static_cast<int64_t>(p.matches[i].rule + 1));
        ++nkeys;
      }
    }
    argc_ = 3 + nkeys + nargs;
    numkeys_.clear();
    redis::resp_bulk(numkeys_, static_cast<int64_t>(nkeys));
  }

  bool send(bool with_body) {
    head_.clear();
    redis::resp_array(head_, argc_);
    if (with_body) {
      redis::resp_bulk(head_, "EVAL");
      redis::resp_bulk(head_, kDecideScript);
    } else {
      redis::resp_bulk(head_, "EVALSHA");
      redis::resp_bulk(head_, s_->decide_sha);
    }
    std::string_view parts[] = {head_, numkeys_, keys_, args_};
    return client_->send_encoded(parts, 4, this);
  }

  std::shared_ptr<const RateLimitSettings> s_;
  std::shared_ptr<SharedState> shared_;
  redis::AsyncClient* client_;
  event_base* base_;
  uint64_t id_;
  std::vector<Item> items_;
  std::string head_, numkeys_, keys_, args_;
  size_t argc_ = 0;
  event* timer_ = nullptr;
  bool timed_out_ = false;
  bool retried_ = false;
};

// The calling worker thread's open batch: decisions join it until the loop turn ends (a
// zero-delay event runs after every callback already active in this turn), then it is sent.
struct Batcher {
  DecisionBatch* open = nullptr;
  uint64_t next_id = 1;
  ~Batcher() { delete open; }  // thread exit: the loop is gone, nobody to answer

  static void on_turn_end(evutil_socket_t, short, void* arg);
  void flush() {
    DecisionBatch* b = open;
    open = nullptr;
    if (b != nullptr) b->flush();
  }
};
thread_local Batcher t_batcher;

void Batcher::on_turn_end(evutil_socket_t, short, void* arg) {
  Batcher& b = t_batcher;
  if (b.open != nullptr && b.open->id() == reinterpret_cast<uintptr_t>(arg)) b.flush();
}

// The thread's client for these settings. An open batch for other settings (a reload) is sent
// first: thread_client() may replace the client it points at.
redis::AsyncClient* client_for(event_base* base, const RateLimitSettings& s, SharedState& shared) {
  Batcher& b = t_batcher;
  if (b.open != nullptr &&
      (b.open->base() != base || !(b.open->settings()->endpoint == s.endpoint))) {
    b.flush();
  }
  return redis::thread_client(base, s.endpoint, s.client_options, &shared.redis_stats());
}

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
  redis::AsyncClient* client = client_for(ctx.async.loop, s, *shared_);
  if ((client->ready() || client->connecting()) &&
      client->in_flight() < s.client_options.max_in_flight) {
    Batcher& b = t_batcher;
    if (b.open != nullptr && (b.open->settings() != &s || b.open->client() != client)) b.flush();
    if (b.open == nullptr) {
      uint64_t id = b.next_id++;
      b.open = new DecisionBatch(s_, shared_, client, ctx.async.loop, id);
      event_base_once(ctx.async.loop, -1, EV_TIMEOUT, Batcher::on_turn_end,
                      reinterpret_cast<void*>(static_cast<uintptr_t>(id)), nullptr);
    }
    b.open->add(p, ctx.async);
    if (b.open->full()) b.flush();
    return Verdict::Pending();
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
    redis::AsyncClient* client = client_for(ctx.async.loop, s, *shared_);
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
