#include "proxy/redis/async_client.h"

#include <arpa/inet.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <hiredis/hiredis.h>
#include <hiredis/read.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/sha.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <cstdarg>
#include <cstdio>
#include <ctime>
#include <memory>

#include "proxy/redis/resp.h"

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
  if (state_ == State::kReady) stats_->ready_clients--;
  state_ = State::kDown;
  close_transport();  // pending handlers get nullptr
  for (event* e : {reconnect_timer_, handshake_timer_, drop_timer_}) {
    if (e != nullptr) event_free(e);
  }
}

void AsyncClient::connect() {
  state_ = State::kConnecting;
  consecutive_timeouts_ = 0;
  auto fail = [&](const std::string& why) {
    if (!logged_down_) {
      log_line("warn", "%s %s: cannot connect: %s", options_.log_name.c_str(),
               endpoint_.to_string().c_str(), why.c_str());
      logged_down_ = true;
    }
    close_transport();
    state_ = State::kDown;
    schedule_reconnect();
  };
  sockaddr_storage ss{};
  socklen_t sslen = 0;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&ss);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&ss);
  if (inet_pton(AF_INET, endpoint_.host.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(endpoint_.port);
    sslen = sizeof(*v4);
  } else if (inet_pton(AF_INET6, endpoint_.host.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(endpoint_.port);
    sslen = sizeof(*v6);
  } else {
    return fail("not a numeric address: " + endpoint_.host);
  }
  if (endpoint_.tls) {
    if (options_.tls_context == nullptr) {
      auto ctx = make_tls_context(endpoint_.tls_options);
      if (!ctx.ok()) return fail(ctx.error().reason);
      options_.tls_context = std::move(ctx).value();
    }
    SSL* ssl = new_tls_session(options_.tls_context.get(), endpoint_);
    if (ssl == nullptr) return fail("cannot create a TLS session: " + last_tls_error());
    bev_ = bufferevent_openssl_socket_new(base_, -1, ssl, BUFFEREVENT_SSL_CONNECTING,
                                          BEV_OPT_CLOSE_ON_FREE);
    if (bev_ == nullptr) {
      SSL_free(ssl);
      return fail("out of memory");
    }
    // Redis closes without close_notify at times; a missing one only ends the connection.
    bufferevent_openssl_set_allow_dirty_shutdown(bev_, 1);
  } else {
    bev_ = bufferevent_socket_new(base_, -1, BEV_OPT_CLOSE_ON_FREE);
    if (bev_ == nullptr) return fail("out of memory");
  }
  reader_ = redisReaderCreate();
  if (reader_ == nullptr) return fail("out of memory");
  bufferevent_setcb(bev_, on_read, nullptr, on_event, this);
  bufferevent_enable(bev_, EV_READ | EV_WRITE);
  // The handshake is queued now and written as soon as the socket (and TLS) connects; Redis
  // answers in order, so the final reply (PING) means every step succeeded.
  handshake_pending_ = 0;
  if (!endpoint_.password.empty()) {
    if (endpoint_.user.empty()) {
      queue({"AUTH", endpoint_.password}, nullptr);
    } else {
      queue({"AUTH", endpoint_.user, endpoint_.password}, nullptr);
    }
  }
  std::string db = std::to_string(endpoint_.db);
  if (endpoint_.db != 0) queue({"SELECT", db}, nullptr);
  for (const std::string& script : options_.scripts) queue({"SCRIPT", "LOAD", script}, nullptr);
  queue({"PING"}, nullptr);
  timeval tv = to_timeval(options_.handshake_timeout);
  evtimer_add(handshake_timer_, &tv);
  bufferevent* bev = bev_;
  if (bufferevent_socket_connect(bev, reinterpret_cast<sockaddr*>(&ss), static_cast<int>(sslen)) !=
      0) {
    if (bev_ == bev) fail(evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
  }
  // A connection refused at once was already handled by on_event (bev_ is null then).
}

bool AsyncClient::queue(std::initializer_list<std::string_view> args, ReplyHandler* handler) {
  scratch_.clear();
  resp_array(scratch_, args.size());
  for (std::string_view a : args) resp_bulk(scratch_, a);
  if (bufferevent_write(bev_, scratch_.data(), scratch_.size()) != 0) return false;
  pending_.push_back(handler);
  if (handler == nullptr) ++handshake_pending_;
  return true;
}

void AsyncClient::on_event(bufferevent* bev, short what, void* arg) {
  auto* self = static_cast<AsyncClient*>(arg);
  if (bev != self->bev_) return;
  if ((what & BEV_EVENT_CONNECTED) != 0) return;  // TCP (and TLS) up; the handshake is queued
  char why[320];
  if ((what & BEV_EVENT_EOF) != 0) {
    std::snprintf(why, sizeof(why), "connection closed");
  } else if (self->endpoint_.tls) {
    // The TLS reason (e.g. "certificate verify failed" for a server signed by another CA),
    // else the socket error (connection refused...).
    unsigned long e = bufferevent_get_openssl_error(bev);
    SSL* ssl = bufferevent_openssl_get_ssl(bev);
    long verify = ssl != nullptr ? SSL_get_verify_result(ssl) : X509_V_OK;
    if (verify != X509_V_OK) {
      std::snprintf(why, sizeof(why), "TLS: certificate verify failed: %s",
                    X509_verify_cert_error_string(verify));
    } else if (e != 0) {
      char buf[256];
      ERR_error_string_n(e, buf, sizeof(buf));
      std::snprintf(why, sizeof(why), "TLS: %s", buf);
    } else {
      std::snprintf(why, sizeof(why), "%s", evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
    }
    while (bufferevent_get_openssl_error(bev) != 0) {
    }
  } else {
    std::snprintf(why, sizeof(why), "%s", evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
  }
  self->lose(why);
}

void AsyncClient::on_read(bufferevent* bev, void* arg) {
  auto* self = static_cast<AsyncClient*>(arg);
  if (bev != self->bev_ || self->reader_ == nullptr) return;
  evbuffer* in = bufferevent_get_input(bev);
  while (size_t n = evbuffer_get_contiguous_space(in)) {
    if (redisReaderFeed(self->reader_, reinterpret_cast<const char*>(evbuffer_pullup(in, n)), n) !=
        REDIS_OK) {
      return self->lose("out of memory");
    }
    evbuffer_drain(in, n);
  }
  for (;;) {
    void* r = nullptr;
    if (redisReaderGetReply(self->reader_, &r) != REDIS_OK) return self->lose("protocol error");
    if (r == nullptr) return;
    auto* reply = static_cast<redisReply*>(r);
    if (self->pending_.empty()) {
      freeReplyObject(reply);
      return self->lose("reply to no command");
    }
    ReplyHandler* h = self->pending_.front();
    self->pending_.pop_front();
    if (h == nullptr) {
      self->handshake_reply(reply);
    } else {
      --self->in_flight_;
      if (reply->type == REDIS_REPLY_ERROR) {
        self->stats_->errors++;
      } else {
        self->stats_->replies++;
        self->consecutive_timeouts_ = 0;
      }
      h->on_reply(reply);
    }
    freeReplyObject(reply);
  }
}

void AsyncClient::handshake_reply(const redisReply* reply) {
  if (reply->type == REDIS_REPLY_ERROR) {
    log_line("error", "%s %s: handshake refused: %.*s", options_.log_name.c_str(),
             endpoint_.to_string().c_str(), static_cast<int>(reply->len), reply->str);
    schedule_drop("handshake refused");
    return;
  }
  if (--handshake_pending_ > 0 || state_ != State::kConnecting) return;
  evtimer_del(handshake_timer_);
  state_ = State::kReady;
  backoff_ = std::chrono::milliseconds(0);
  logged_down_ = false;
  stats_->up_transitions++;
  stats_->ready_clients++;
  log_line("info", "%s %s: connected", options_.log_name.c_str(), endpoint_.to_string().c_str());
}

bool AsyncClient::send(int argc, const char** argv, const size_t* argvlen, ReplyHandler* handler) {
  scratch_.clear();
  resp_command(scratch_, static_cast<size_t>(argc), argv, argvlen);
  std::string_view part(scratch_);
  return send_encoded(&part, 1, handler);
}

bool AsyncClient::send_encoded(const std::string_view* parts, size_t num_parts,
                               ReplyHandler* handler) {
  // While connecting, commands queue behind the handshake in the output buffer (so AUTH and
  // SCRIPT LOAD still go first): the first requests after start-up or a reconnect are decided by
  // Redis too instead of by the failure policy. The caller's deadline bounds the wait.
  if (state_ == State::kDown || bev_ == nullptr || in_flight_ >= options_.max_in_flight) {
    stats_->refused++;
    return false;
  }
  evbuffer* out = bufferevent_get_output(bev_);
  for (size_t i = 0; i < num_parts; ++i) {
    if (evbuffer_add(out, parts[i].data(), parts[i].size()) != 0) {
      // Out of memory with part of a command written: the stream is unusable.
      stats_->refused++;
      schedule_drop("out of memory");
      return false;
    }
  }
  pending_.push_back(handler);
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

void AsyncClient::lose(const char* why) {
  go_down(why);
  close_transport();
  if (!destroying_) schedule_reconnect();
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

void AsyncClient::close_transport() {
  if (handshake_timer_ != nullptr) evtimer_del(handshake_timer_);
  if (bev_ != nullptr) {
    bufferevent_free(bev_);  // safe inside its own callbacks (reference counted)
    bev_ = nullptr;
  }
  if (reader_ != nullptr) {
    redisReaderFree(reader_);
    reader_ = nullptr;
  }
  handshake_pending_ = 0;
  in_flight_ = 0;
  std::deque<ReplyHandler*> failed;
  failed.swap(pending_);
  for (ReplyHandler* h : failed) {
    if (h == nullptr) continue;
    stats_->errors++;
    h->on_reply(nullptr);
  }
}

void AsyncClient::schedule_drop(const char* why) {
  // Never tear the connection down from inside a reply dispatch: do it from the loop.
  drop_reason_ = why;
  timeval tv{0, 0};
  evtimer_add(drop_timer_, &tv);
}

void AsyncClient::drop_now() {
  if (bev_ == nullptr) return;
  lose(drop_reason_);
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
  if (self->state_ != State::kConnecting || self->bev_ == nullptr) return;
  self->drop_reason_ = "handshake timeout";
  self->drop_now();
}

void AsyncClient::on_reconnect_timer(int, short, void* arg) {
  auto* self = static_cast<AsyncClient*>(arg);
  if (self->bev_ == nullptr) self->connect();
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
