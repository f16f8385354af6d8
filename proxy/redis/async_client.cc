#include "proxy/redis/async_client.h"

#include <event2/event.h>
#include <hiredis/adapters/libevent.h>
#include <hiredis/async.h>
#include <hiredis/hiredis.h>
#include <openssl/sha.h>
#include <sys/time.h>

#include <cstdarg>
#include <cstdio>
#include <ctime>
#include <memory>

namespace portcullis::redis {
namespace {

timeval to_timeval(std::chrono::milliseconds ms) {
  return timeval{static_cast<time_t>(ms.count() / 1000),
                 static_cast<suseconds_t>((ms.count() % 1000) * 1000)};
}

}  // namespace

void log_line(const char* level, const char* fmt, ...) {
  char msg[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof(msg), fmt, ap);
  va_end(ap);
  timeval tv;
  gettimeofday(&tv, nullptr);
  tm t;
  gmtime_r(&tv.tv_sec, &t);
  std::fprintf(stderr, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ portcullis %s: %s\n", t.tm_year + 1900,
               t.tm_mon + 1, t.tm_mday, t.tm_hour, t.tm_min, t.tm_sec, tv.tv_usec / 1000, level,
               msg);
}

std::string script_sha1(std::string_view script) {
  unsigned char digest[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(script.data()), script.size(), digest);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char b : digest) {
    out += kHex[b >> 4];
    out += kHex[b & 15];
  }
  return out;
}

AsyncClient::AsyncClient(event_base* base, Endpoint endpoint, ClientOptions options,
                         ClientStats* stats)
    : base_(base), endpoint_(std::move(endpoint)), options_(std::move(options)), stats_(stats) {
  reconnect_timer_ = evtimer_new(base_, on_reconnect_timer, this);
  handshake_timer_ = evtimer_new(base_, on_handshake_timer, this);
  drop_timer_ = evtimer_new(base_, on_drop_timer, this);
  connect();
}

AsyncClient::~AsyncClient() {
  destroying_ = true;
  if (ac_ != nullptr) {
    redisAsyncContext* ac = ac_;
    ac_ = nullptr;
    if (state_ == State::kReady) stats_->ready_clients--;
    redisAsyncFree(ac);  // pending handlers get nullptr
  }
  for (event* e : {reconnect_timer_, handshake_timer_, drop_timer_}) {
    if (e != nullptr) event_free(e);
  }
}

void AsyncClient::connect() {
  state_ = State::kConnecting;
  consecutive_timeouts_ = 0;
  redisAsyncContext* ac = redisAsyncConnect(endpoint_.host.c_str(), endpoint_.port);
  if (ac == nullptr || ac->err != 0) {
    if (!logged_down_) {
      log_line("warn", "%s %s: cannot connect: %s", options_.log_name.c_str(),
               endpoint_.to_string().c_str(), ac != nullptr ? ac->errstr : "out of memory");
      logged_down_ = true;
    }
    if (ac != nullptr) redisAsyncFree(ac);
    state_ = State::kDown;
    schedule_reconnect();
    return;
  }
  ac->data = this;
  ac_ = ac;
  redisLibeventAttach(ac, base_);
  redisAsyncSetConnectCallback(ac, on_connect);
  redisAsyncSetDisconnectCallback(ac, on_disconnect);
  // The handshake is queued now and written as soon as the socket connects; Redis answers in
  // order, so the final reply (the last SCRIPT LOAD, or PING) means every step succeeded.
  handshake_pending_ = 0;
  auto queue = [&](std::vector<std::string> args) {
    std::vector<const char*> argv;
    std::vector<size_t> lens;
    for (const std::string& a : args) {
      argv.push_back(a.data());
      lens.push_back(a.size());
    }
    if (redisAsyncCommandArgv(ac, on_handshake_reply, this, static_cast<int>(argv.size()),
                              argv.data(), lens.data()) == REDIS_OK) {
      ++handshake_pending_;
    }
  };
  if (!endpoint_.password.empty()) {
    if (endpoint_.user.empty()) {
      queue({"AUTH", endpoint_.password});
    } else {
      queue({"AUTH", endpoint_.user, endpoint_.password});
    }
  }
  if (endpoint_.db != 0) queue({"SELECT", std::to_string(endpoint_.db)});
  for (const std::string& s : options_.scripts) queue({"SCRIPT", "LOAD", s});
  queue({"PING"});
  timeval tv = to_timeval(options_.handshake_timeout);
  evtimer_add(handshake_timer_, &tv);
}

void AsyncClient::on_connect(const redisAsyncContext* ac, int status) {
  auto* self = static_cast<AsyncClient*>(ac->data);
  if (self == nullptr || self->ac_ != ac || status == REDIS_OK) return;
  // hiredis frees the context after this callback (and fails the queued handshake first).
  self->ac_ = nullptr;
  self->go_down(ac->errstr);
  self->schedule_reconnect();
}

void AsyncClient::on_disconnect(const redisAsyncContext* ac, int status) {
  auto* self = static_cast<AsyncClient*>(ac->data);
  if (self == nullptr || self->ac_ != ac) return;  // our own drop_now(), already handled
  self->ac_ = nullptr;
  self->go_down(status == REDIS_OK ? "connection closed" : ac->errstr);
  if (!self->destroying_) self->schedule_reconnect();
}

void AsyncClient::on_handshake_reply(redisAsyncContext* ac, void* r, void* privdata) {
  auto* self = static_cast<AsyncClient*>(privdata);
  if (self->destroying_ || self->ac_ != ac) return;
  auto* reply = static_cast<redisReply*>(r);
  if (reply == nullptr) return;  // connection failing: on_connect/on_disconnect handle it
  if (reply->type == REDIS_REPLY_ERROR) {
    log_line("error", "%s %s: handshake refused: %.*s", self->options_.log_name.c_str(),
             self->endpoint_.to_string().c_str(), static_cast<int>(reply->len), reply->str);
    self->schedule_drop("handshake refused");
    return;
  }
  if (--self->handshake_pending_ > 0 || self->state_ != State::kConnecting) return;
  evtimer_del(self->handshake_timer_);
  self->state_ = State::kReady;
  self->backoff_ = std::chrono::milliseconds(0);
  self->logged_down_ = false;
  self->stats_->up_transitions++;
  self->stats_->ready_clients++;
  log_line("info", "%s %s: connected", self->options_.log_name.c_str(),
           self->endpoint_.to_string().c_str());
}

void AsyncClient::on_command_reply(redisAsyncContext* ac, void* r, void* privdata) {
  auto* self = static_cast<AsyncClient*>(ac->data);
  auto* reply = static_cast<redisReply*>(r);
  if (self != nullptr) {
    --self->in_flight_;
    if (reply == nullptr || reply->type == REDIS_REPLY_ERROR) {
      self->stats_->errors++;
    } else {
      self->stats_->replies++;
      self->consecutive_timeouts_ = 0;
    }
  }
  static_cast<ReplyHandler*>(privdata)->on_reply(reply);
}

bool AsyncClient::send(int argc, const char** argv, const size_t* argvlen, ReplyHandler* handler) {
  // While connecting, commands queue behind the handshake in hiredis' output buffer (so AUTH and
  // SCRIPT LOAD still go first): the first requests after start-up or a reconnect are decided by
  // Redis too instead of by the failure policy. The caller's deadline bounds the wait.
  if (state_ == State::kDown || ac_ == nullptr || in_flight_ >= options_.max_in_flight) {
    stats_->refused++;
    return false;
  }
  if (redisAsyncCommandArgv(ac_, on_command_reply, handler, argc, argv, argvlen) != REDIS_OK) {
    stats_->refused++;
    return false;
  }
  ++in_flight_;
  stats_->commands++;
  return true;
}

void AsyncClient::note_timeout() {
  stats_->timeouts++;
  if (++consecutive_timeouts_ >= options_.timeouts_to_reconnect && state_ == State::kReady) {
    schedule_drop("replies too slow");
  }
}

void AsyncClient::go_down(const char* why) {
  evtimer_del(handshake_timer_);
  if (state_ == State::kReady) {
    stats_->ready_clients--;
    stats_->down_transitions++;
    log_line("warn", "%s %s: down (%s); failure policy applies until it is back",
             options_.log_name.c_str(), endpoint_.to_string().c_str(), why);
    logged_down_ = true;
  } else if (!logged_down_) {
    log_line("warn", "%s %s: unreachable (%s); retrying", options_.log_name.c_str(),
             endpoint_.to_string().c_str(), why);
    logged_down_ = true;
  }
  state_ = State::kDown;
}

void AsyncClient::schedule_drop(const char* why) {
  // Never free the hiredis context from inside one of its callbacks: do it from the loop.
  drop_reason_ = why;
  timeval tv{0, 0};
  evtimer_add(drop_timer_, &tv);
}

void AsyncClient::drop_now() {
  if (ac_ == nullptr) return;
  redisAsyncContext* ac = ac_;
  ac_ = nullptr;
  go_down(drop_reason_);
  redisAsyncFree(ac);  // fails pending commands; on_disconnect ignores it (ac_ != ac)
  schedule_reconnect();
}

void AsyncClient::schedule_reconnect() {
  if (destroying_) return;
  backoff_ = backoff_.count() == 0 ? options_.reconnect_min
                                   : std::min(backoff_ * 2, options_.reconnect_max);
  timeval tv = to_timeval(backoff_);
  evtimer_add(reconnect_timer_, &tv);
}

void AsyncClient::on_drop_timer(int, short, void* arg) {
  auto* self = static_cast<AsyncClient*>(arg);
  self->drop_now();
}

void AsyncClient::on_handshake_timer(int, short, void* arg) {
  auto* self = static_cast<AsyncClient*>(arg);
  if (self->state_ != State::kConnecting || self->ac_ == nullptr) return;
  self->drop_reason_ = "handshake timeout";
  self->drop_now();
}

void AsyncClient::on_reconnect_timer(int, short, void* arg) {
  auto* self = static_cast<AsyncClient*>(arg);
  if (self->ac_ == nullptr) self->connect();
}

namespace {

struct ThreadClients {
  std::vector<std::unique_ptr<AsyncClient>> clients;
};
thread_local ThreadClients t_clients;

}  // namespace

AsyncClient* thread_client(event_base* base, const Endpoint& endpoint, const ClientOptions& options,
                           ClientStats* stats) {
  auto& v = t_clients.clients;
  for (size_t i = 0; i < v.size(); ++i) {
    if (v[i]->base() != base) continue;
    if (v[i]->endpoint() == endpoint) return v[i].get();
    v.erase(v.begin() + static_cast<ptrdiff_t>(i));  // endpoint changed by a reload
    break;
  }
  v.push_back(std::make_unique<AsyncClient>(base, endpoint, options, stats));
  return v.back().get();
}

void close_thread_clients() { t_clients.clients.clear(); }

}  // namespace portcullis::redis
