// The effective config as YAML (for --print-config and the admin endpoint). Emits every key, so
// what an operator sees is what runs, including defaults and environment overrides.
#include <yaml-cpp/yaml.h>

#include "proxy/config/config.h"

namespace portcullis::config {
namespace {

std::string duration_text(std::chrono::milliseconds d) {
  auto ms = d.count();
  if (ms % 3600000 == 0) return std::to_string(ms / 3600000) + "h";
  if (ms % 60000 == 0) return std::to_string(ms / 60000) + "m";
  if (ms % 1000 == 0) return std::to_string(ms / 1000) + "s";
  return std::to_string(ms) + "ms";
}

// Sizes are shown with the largest exact binary unit ("16KiB"), as an operator would write them.
std::string size_text(uint64_t bytes) {
  if (bytes != 0 && bytes % (1ull << 30) == 0) return std::to_string(bytes >> 30) + "GiB";
  if (bytes != 0 && bytes % (1ull << 20) == 0) return std::to_string(bytes >> 20) + "MiB";
  if (bytes != 0 && bytes % (1ull << 10) == 0) return std::to_string(bytes >> 10) + "KiB";
  return std::to_string(bytes);
}

}  // namespace

std::string to_yaml(const Config& c) {
  YAML::Emitter out;
  out << YAML::BeginMap;
  out << YAML::Key << "listen" << YAML::Value << YAML::BeginSeq;
  for (const ListenerConfig& l : c.listeners) {
    out << YAML::DoubleQuoted << l.address.to_string();
  }
  out << YAML::EndSeq;
  out << YAML::Key << "workers" << YAML::Value << c.workers;

  out << YAML::Key << "origin" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "address" << YAML::Value << YAML::DoubleQuoted
      << c.upstream.address.to_string();
  out << YAML::Key << "max_idle" << YAML::Value << c.upstream.max_idle_per_worker;
  out << YAML::Key << "retry_idempotent" << YAML::Value << YAML::TrueFalseBool
      << c.upstream.retry_idempotent;
  out << YAML::EndMap;

  out << YAML::Key << "admin" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "enabled" << YAML::Value << YAML::TrueFalseBool << c.admin.enabled;
  out << YAML::Key << "address" << YAML::Value << YAML::DoubleQuoted << c.admin.address.to_string();
  out << YAML::EndMap;

  const Timeouts& t = c.timeouts;
  out << YAML::Key << "timeouts" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "request_head" << YAML::Value << duration_text(t.request_head);
  out << YAML::Key << "body_idle" << YAML::Value << duration_text(t.body_idle);
  out << YAML::Key << "keepalive_idle" << YAML::Value << duration_text(t.keepalive_idle);
  out << YAML::Key << "upstream_connect" << YAML::Value << duration_text(t.upstream_connect);
  out << YAML::Key << "upstream_response" << YAML::Value << duration_text(t.upstream_response);
  out << YAML::Key << "client_write" << YAML::Value << duration_text(t.client_write);
  out << YAML::Key << "drain_grace" << YAML::Value << duration_text(t.drain_grace);
  out << YAML::EndMap;

  const Limits& l = c.limits;
  out << YAML::Key << "limits" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "max_head_bytes" << YAML::Value << size_text(l.max_head_bytes);
  out << YAML::Key << "max_headers" << YAML::Value << l.max_headers;
  out << YAML::Key << "max_target_bytes" << YAML::Value << size_text(l.max_target_bytes);
  out << YAML::Key << "max_body_bytes" << YAML::Value << size_text(l.max_body_bytes);
  out << YAML::Key << "max_connections_per_worker" << YAML::Value << l.max_connections_per_worker;
  out << YAML::Key << "buffer_bytes" << YAML::Value << size_text(l.buffer_bytes);
  out << YAML::EndMap;

  const RequestLimitsStageConfig& s = c.stages.request_limits;
  out << YAML::Key << "stages" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "request_limits" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "mode" << YAML::Value << std::string(to_string(s.mode));
  out << YAML::Key << "allowed_methods" << YAML::Value << YAML::Flow << YAML::BeginSeq;
  for (const std::string& m : s.allowed_methods) out << m;
  out << YAML::EndSeq;
  out << YAML::Key << "max_uri_bytes" << YAML::Value << size_text(s.max_uri_bytes);
  out << YAML::Key << "max_headers" << YAML::Value << s.max_headers;
  out << YAML::Key << "max_header_value_bytes" << YAML::Value
      << size_text(s.max_header_value_bytes);
  out << YAML::Key << "max_body_bytes" << YAML::Value << size_text(s.max_body_bytes);
  out << YAML::EndMap;
  out << YAML::EndMap;

  out << YAML::EndMap;
  std::string text = out.c_str();
  text += '\n';
  return text;
}

}  // namespace portcullis::config
