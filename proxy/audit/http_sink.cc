#include "proxy/audit/http_sink.h"

#include "proxy/audit/json_writer.h"

namespace portcullis::audit {

using config::AuditHttpFormat;

HttpSink::HttpSink(const config::AuditSinkConfig& cfg, Url url, std::string auth)
    : cfg_(cfg), url_(std::move(url)), auth_(std::move(auth)) {}

namespace {
// The event id sits at a fixed place in our encoding: "event":{"id":"<32 hex>".
std::string_view event_id(std::string_view json) {
  size_t p = json.find("\"event\":{\"id\":\"");
  if (p == std::string_view::npos || p + 15 + 32 > json.size()) return {};
  return json.substr(p + 15, 32);
}
}  // namespace

void HttpSink::build_body(AuditHttpFormat f, std::string_view index, std::span<const Record> batch,
                          std::string& out) {
  for (const Record& r : batch) {
    switch (f) {
      case AuditHttpFormat::kNdjson:
        out += r.json;
        out += '\n';
        break;
      case AuditHttpFormat::kElasticBulk:
        out += "{\"create\":{";
        if (!index.empty()) {
          out += "\"_index\":\"";
          json_escape(index, out);
          out += "\",";
        }
        out += "\"_id\":\"";
        out += event_id(r.json);
        out += "\"}}\n";
        out += r.json;
        out += '\n';
        break;
      case AuditHttpFormat::kSplunkHec:
        out += "{\"time\":";
        out += std::to_string(r.created_us / 1000000) + "." +
               std::to_string(1000000 + r.created_us % 1000000).substr(1, 3);
        out += ",\"sourcetype\":\"portcullis:audit\",\"event\":";
        out += r.json;
        out += "}\n";
        break;
    }
  }
}

Status HttpSink::deliver(std::span<const Record> batch) {
  body_.clear();
  build_body(cfg_.format, cfg_.index, batch, body_);
  std::vector<std::string> headers;
  headers.push_back(cfg_.format == AuditHttpFormat::kSplunkHec
                        ? "Content-Type: application/json"
                        : "Content-Type: application/x-ndjson");
  if (!auth_.empty()) headers.push_back("Authorization: " + auth_);
  std::string_view body = body_;
  if (cfg_.gzip) {
    gz_.clear();
    Status s = gzip_compress(body_, gz_);
    if (!s) return s;
    body = gz_;
    headers.push_back("Content-Encoding: gzip");
  }
  TlsOptions tls;
  tls.verify = cfg_.tls_verify;
  tls.ca_file = cfg_.ca_file;
  auto reply = http_post(url_, headers, body, tls, cfg_.timeout);
  if (!reply) return reply.error();
  int st = reply->status;
  if (st >= 200 && st < 300) {
    // _bulk answers 200 even when items failed; a create conflict (409) is a replayed duplicate.
    if (cfg_.format == AuditHttpFormat::kElasticBulk &&
        reply->body.find("\"errors\":true") != std::string::npos &&
        reply->body.find("\"status\":429") != std::string::npos) {
      return make_error("elasticsearch bulk: items rejected with 429");
    }
    return Status::Ok();
  }
  if (st == 408 || st == 429 || st >= 500)
    return make_error("collector answered " + std::to_string(st));
  ++rejected_;
  return Status::Ok();  // permanent rejection: retrying cannot help (counted in rejected())
}

}  // namespace portcullis::audit
