// Finding: what a detector returns when an input would change the structure of a sink.
// Trivially copyable and heap-free so detectors stay allocation-free (libinjection style).
#pragma once

#include <cstdint>
#include <cstring>
#include <string_view>

namespace portcullis::rules {

enum class Detector : uint8_t { kSqli, kShell, kPath, kSsrf, kNosql, kProto, kXss, kGeneric };

constexpr std::string_view detector_name(Detector d) {
  switch (d) {
    case Detector::kSqli:
      return "sqli";
    case Detector::kShell:
      return "shell";
    case Detector::kPath:
      return "path";
    case Detector::kSsrf:
      return "ssrf";
    case Detector::kNosql:
      return "nosql";
    case Detector::kProto:
      return "proto";
    case Detector::kXss:
      return "xss";
    case Detector::kGeneric:
      return "generic";
  }
  return "unknown";
}

struct Finding {
  static constexpr size_t kMaxFingerprint = 31;

  Detector detector = Detector::kGeneric;
  // The sink context in which the input broke out, e.g. "bare", "single-quote", "path", "url".
  // Always a string literal (static storage).
  std::string_view context;
  // Why it fired, a string literal, e.g. "boolean tautology after quote break".
  std::string_view reason;
  // A compact token fingerprint (e.g. libinjection-style "s&1c"), stored inline.
  char fingerprint_buf[kMaxFingerprint + 1] = {};
  uint8_t fingerprint_len = 0;

  std::string_view fingerprint() const { return {fingerprint_buf, fingerprint_len}; }
  void set_fingerprint(std::string_view fp) {
    fingerprint_len =
        static_cast<uint8_t>(fp.size() < kMaxFingerprint ? fp.size() : kMaxFingerprint);
    std::memcpy(fingerprint_buf, fp.data(), fingerprint_len);
    fingerprint_buf[fingerprint_len] = '\0';
  }
};

// The one way detectors build a Finding. `context` and `reason` must be string literals (static
// storage); the fingerprint is copied inline.
inline Finding make_finding(Detector d, std::string_view context, std::string_view reason,
                            std::string_view fingerprint) {
  Finding f;
  f.detector = d;
  f.context = context;
  f.reason = reason;
  f.set_fingerprint(fingerprint);
  return f;
}

}  // namespace portcullis::rules
