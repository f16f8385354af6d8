// RequestSummary: the few request-head facts the audit stream records (method, path, query,
// User-Agent, CF-Ray, W3C trace id), copied into bounded inline buffers because the parsed head
// (views into the connection's buffers) is gone by on_complete. Filled once per request by
// capture_request_summary(): the connection calls it right after parsing the head, so blocked
// requests have it too; the audit stage calls it again as a fallback (it is idempotent).
#pragma once

#include <cstdint>
#include <cstring>
#include <string_view>

#include "proxy/http/request_parser.h"
#include "rules/base/fixed_string.h"

namespace portcullis::pipeline {

struct RequestSummary {
  template <size_t N>
  using Text = FixedString<N>;  // truncates at N bytes and says so
  bool captured = false;
  Text<16> method;
  Text<256> path;
  Text<256> query;
  Text<200> user_agent;
  Text<40> cf_ray;
  Text<32> trace_id;  // 32 lowercase hex digits from a valid traceparent, else empty
};

namespace summary_detail {
inline bool ieq(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char c = a[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != b[i]) return false;
  }
  return true;
}
// W3C Trace Context section 3.2: "00-<32 hex trace-id>-<16 hex parent-id>-<2 hex flags>"; an
// all-zero trace id is invalid.
inline std::string_view trace_id_of(std::string_view tp) {
  if (tp.size() < 55 || tp[2] != '-' || tp[35] != '-') return {};
  std::string_view id = tp.substr(3, 32);
  bool nonzero = false;
  for (char c : id) {
    bool hex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
    if (!hex) return {};
    nonzero |= c != '0';
  }
  return nonzero ? id : std::string_view();
}
}  // namespace summary_detail

inline void capture_request_summary(const http::RequestHead& head, RequestSummary& out) {
  if (out.captured) return;
  out.captured = true;
  out.method.set(head.method);
  std::string_view target = head.target;
  size_t q = target.find('?');
  out.path.set(target.substr(0, q));
  if (q != std::string_view::npos) out.query.set(target.substr(q + 1));
  for (uint32_t i = 0; i < head.num_headers; ++i) {
    const auto& h = head.headers[i];
    if (summary_detail::ieq(h.name, "user-agent")) {
      out.user_agent.set(h.value);
    } else if (summary_detail::ieq(h.name, "cf-ray")) {
      out.cf_ray.set(h.value);
    } else if (summary_detail::ieq(h.name, "traceparent")) {
      out.trace_id.set(summary_detail::trace_id_of(h.value));
    }
  }
}

}  // namespace portcullis::pipeline
