#include "proxy/audit/syslog_sink.h"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "proxy/audit/event_json.h"

namespace portcullis::audit {

using config::AuditSinkType;

SyslogSink::SyslogSink(const config::AuditSinkConfig& cfg) : cfg_(cfg) {
  char h[256] = {};
  if (gethostname(h, sizeof(h) - 1) != 0 || h[0] == '\0') std::strcpy(h, "-");
  host_ = h;
  pid_ = std::to_string(getpid());
}

SyslogSink::~SyslogSink() {
  if (udp_fd_ >= 0) close(udp_fd_);
}

void SyslogSink::format(const Record& r, uint8_t facility, std::string_view hostname,
                        std::string_view procid, std::string& out) {
  // RFC 5424 section 6: <PRI>VERSION SP TIMESTAMP SP HOSTNAME SP APP-NAME SP PROCID SP MSGID SP
  // STRUCTURED-DATA SP MSG. PRI = facility * 8 + severity.
  uint8_t prio = r.priority <= 4 ? r.priority : 4;
  out += '<';
  out += std::to_string(facility * 8 + prio + 2);
  out += ">1 ";
  int64_t now_us = 0;
  {
    timespec ts{};
    clock_gettime(CLOCK_REALTIME, &ts);
    now_us = ts.tv_sec * 1000000LL + ts.tv_nsec / 1000;
  }
  format_rfc3339(now_us, out);
  out += ' ';
  out += hostname;
  out += " portcullis ";
  out += procid;
  out += prio == 4 ? " access - " : " audit - ";
  out += r.json;
}

std::chrono::milliseconds SyslogSink::confirm_after() const {
  return cfg_.type == AuditSinkType::kSyslogUdp ? std::chrono::milliseconds(0) : cfg_.confirm_after;
}

bool SyslogSink::connection_lost() {
  if (cfg_.type == AuditSinkType::kSyslogUdp) return false;
  if (lost_) {
    lost_ = false;
    return true;
  }
  if (conn_ != nullptr && conn_->peer_closed()) {
    conn_.reset();
    return true;
  }
  return false;
}

Status SyslogSink::deliver(std::span<const Record> batch) {
  if (cfg_.type == AuditSinkType::kSyslogUdp) {
    if (udp_fd_ < 0) {
      auto fd = connect_udp(cfg_.host, cfg_.port);
      if (!fd) return fd.error();
      udp_fd_ = fd.value();
    }
    for (const Record& r : batch) {
      msg_.clear();
      format(r, cfg_.facility, host_, pid_, msg_);
      if (send(udp_fd_, msg_.data(), msg_.size(), MSG_NOSIGNAL) < 0 && errno != ECONNREFUSED) {
        return make_error(std::string("syslog udp send: ") + std::strerror(errno));
      }
    }
    return Status::Ok();
  }
  if (conn_ != nullptr && conn_->peer_closed()) {
    conn_.reset();
    lost_ = true;  // earlier unconfirmed batches went down with it
    return make_error("syslog connection closed by peer");
  }
  if (conn_ == nullptr) {
    TlsOptions tls;
    tls.enabled = cfg_.type == AuditSinkType::kSyslogTls;
    tls.verify = cfg_.tls_verify;
    tls.ca_file = cfg_.ca_file;
    auto c = Transport::connect(cfg_.host, cfg_.port, tls, cfg_.timeout);
    if (!c) return c.error();
    conn_ = std::move(c.value());
  }
  buf_.clear();
  for (const Record& r : batch) {
    msg_.clear();
    format(r, cfg_.facility, host_, pid_, msg_);
    buf_ += std::to_string(msg_.size());  // RFC 6587 3.4.1: MSG-LEN SP SYSLOG-MSG
    buf_ += ' ';
    buf_ += msg_;
  }
  Status s = conn_->write_all(buf_);
  if (!s) {
    conn_.reset();
    lost_ = true;
  }
  return s;
}

}  // namespace portcullis::audit
