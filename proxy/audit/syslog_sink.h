// SyslogSink: RFC 5424 messages whose MSG is the event JSON.
//   udp: one datagram per event (RFC 5426); nothing confirms delivery, so UDP is best effort.
//   tcp: RFC 6587 section 3.4.1 octet counting ("<len> <message>"), no trailer ambiguity.
//   tls: the same framing over TLS (RFC 5425).
// Plain syslog over TCP has no acknowledgement: bytes accepted by the kernel are lost when the
// collector dies before reading them. So a delivered batch only counts once the peer's TCP has
// acknowledged every byte (SIOCOUTQ == 0) AND the connection is still open confirm_after later;
// if it breaks before that, the runner resends the batch (duplicates keep their event.id).
#pragma once

#include <memory>
#include <string>

#include "proxy/audit/sink.h"
#include "proxy/audit/transport.h"
#include "proxy/config/audit_config.h"

namespace portcullis::audit {

class SyslogSink : public Sink {
 public:
  explicit SyslogSink(const config::AuditSinkConfig& cfg);
  ~SyslogSink() override;
  Status deliver(std::span<const Record> batch) override;
  std::chrono::milliseconds confirm_after() const override;
  bool connection_lost() override;
  bool unacked_bytes() override { return conn_ != nullptr && conn_->unacked_bytes() > 0; }

  // Appends one RFC 5424 message (without framing) for `r`.
  static void format(const Record& r, uint8_t facility, std::string_view hostname,
                     std::string_view procid, std::string& out);

 private:
  config::AuditSinkConfig cfg_;
  std::unique_ptr<Transport> conn_;
  int udp_fd_ = -1;
  bool lost_ = false;
  std::string host_;
  std::string pid_;
  std::string buf_;
  std::string msg_;
};

}  // namespace portcullis::audit
