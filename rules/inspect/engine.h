// InspectionEngine: decodes one Input once (rules/decode Decoder) and runs the enabled detectors
// on the shared result (issue 4: "decode once per input and share the result"). Keys also go
// through the NoSQL-operator and prototype-pollution key checks over their key path.
// Owns the Decoder's reusable buffers: allocation-free after warm-up. Not thread-safe.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

#include "rules/decode/decoder.h"
#include "rules/detect/finding.h"
#include "rules/inputs/input.h"

namespace portcullis::rules {

// Runs one detector on decoded text (the value checks; keys use detect_nosql_key/proto_path).
std::optional<Finding> run_detector(Detector d, std::string_view decoded);

// Detector by name ("sqli", "shell", ...); nullopt for an unknown name.
std::optional<Detector> detector_from_name(std::string_view name);

inline constexpr size_t kNumDetectorKinds = 8;

struct InputFindings {
  std::array<Finding, kNumDetectorKinds + 2> items{};  // at most one per detector (+ key checks)
  uint8_t count = 0;
  Decoded decoded;  // the text the detectors saw; valid until the next inspect()

  void add(const Finding& f) {
    if (count < items.size()) items[count++] = f;
  }
};

struct InspectOptions {
  DetectorSet enabled = kAllDetectors;
  uint32_t max_input_bytes = 16 * 1024;  // longer inputs: the prefix is inspected
};

class InspectionEngine {
 public:
  InspectionEngine() = default;
  InspectionEngine(const InspectionEngine&) = delete;
  InspectionEngine& operator=(const InspectionEngine&) = delete;

  // Fills `out` with the findings of the detectors in opts.enabled & input.detectors; returns
  // the number of findings.
  uint8_t inspect(const Input& input, const InspectOptions& opts, InputFindings& out);

  // Convenience for one raw value as it arrives in a query string (scorer, explain).
  uint8_t inspect_query_value(std::string_view raw, const InspectOptions& opts, InputFindings& out);

 private:
  Decoder decoder_;
};

}  // namespace portcullis::rules
