// InspectionEngine: decodes one Input once (rules/decode Decoder) and runs the enabled detectors
// on the shared result (issue 4: "decode once per input and share the result"). Keys also go
// through the NoSQL-operator and prototype-pollution key checks over their key path.
// Owns the Decoder's reusable buffers: allocation-free after warm-up. Not thread-safe.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
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
  // Skip detectors that provably cannot fire on the decoded text (rules/inspect/prefilter.h).
  // Never changes a verdict; off only to prove that (tests) or to measure it.
  bool prefilter = true;
};

// Applications decode base64 parameters (state blobs, "data=" fields, encoded commands) and use
// the result, so a payload wrapped once in base64 passes every text check. True when `text` is
// entirely base64 (RFC 4648 sec. 4 or the URL-safe sec. 5 alphabet, kMinBase64Text to
// kMaxBase64Text characters, a length an encoder produces, '=' only as final padding) and decodes
// to printable ASCII text, which is written to `out` (reused, no allocation after warm-up).
inline constexpr size_t kMinBase64Text = 16;
inline constexpr size_t kMaxBase64Text = 4096;
bool base64_printable_text(std::string_view text, std::string& out);

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

  // Starts a new request: forgets the texts remembered as clean. Detectors are pure functions of
  // the decoded text, so within a request a text already found clean by a set of detectors
  // (JSON arrays repeat the same keys and values: "sku", "gift wrap please") is not re-examined.
  // Scoped to one request so a benchmark repeating one request measures real work.
  void begin_request() { clean_.clear(); }

 private:
  // Remembers short decoded texts on which a set of value detectors found nothing. Bounded
  // (kMaxEntries entries, kMaxText bytes each, inline storage): no allocation. An open-addressing
  // table keyed by a hash of the text, so a lookup costs about one hash, cheaper than the
  // prefilter it lets a repeated text skip; clear() starts a new generation in O(1).
  class CleanSet {
   public:
    static constexpr size_t kSlots = 128;  // power of two
    static constexpr size_t kMaxEntries = 64;
    static constexpr size_t kMaxText = 48;
    // `h` is hash(text): run_value_detectors() computes it once for the lookup and the insert.
    static uint32_t hash(std::string_view text);
    bool contains(std::string_view text, uint32_t h, DetectorSet set) const;
    void insert(std::string_view text, uint32_t h, DetectorSet set);
    void clear() {
      used_ = 0;
      if (++generation_ == 0) {  // wrapped: forget every slot for real
        for (Slot& s : slots_) s.generation = 0;
        generation_ = 1;
      }
    }

   private:
    struct Slot {
      uint32_t generation = 0;  // live when equal to generation_
      uint32_t hash;
      uint8_t len;
      DetectorSet set;
      char text[kMaxText];
    };
    std::array<Slot, kSlots> slots_{};
    size_t used_ = 0;
    uint32_t generation_ = 1;
  };

  // Header values (User-Agent, Referer...) repeat across the requests of a client and across
  // clients: a handful of browser builds send most traffic. Clean header texts are remembered
  // across requests (not cleared by begin_request()), direct-mapped by hash: a newer text
  // overwrites an older one in its slot, so memory is fixed (kSlots x kMaxText bytes) and an
  // attacker who floods distinct values only evicts, never changes a verdict. Only texts on
  // which every detector of a set found nothing are stored, and detectors are pure functions of
  // the decoded text, so a hit returns exactly what running them would.
  class StableCleanSet {
   public:
    static constexpr size_t kSlots = 64;  // power of two
    static constexpr size_t kMaxText = 320;
    bool contains(std::string_view text, uint32_t h, DetectorSet set) const;
    void insert(std::string_view text, uint32_t h, DetectorSet set);

   private:
    struct Slot {
      uint32_t hash = 0;
      uint16_t len = 0;
      DetectorSet set = 0;  // 0: empty (an empty set is never looked up)
      char text[kMaxText];
    };
    std::array<Slot, kSlots> slots_{};
  };

  // `stable`: the text is a header value (StableCleanSet applies).
  void run_value_detectors(std::string_view text, DetectorSet set, const InspectOptions& opts,
                           InputFindings& out, bool stable = false);

  // A value that is entirely base64 and decodes to printable text is inspected again as that
  // text (see base64_printable_text); findings get the context "base64". Only when the text
  // itself is clean.
  void inspect_base64(std::string_view text, DetectorSet set, const InspectOptions& opts,
                      InputFindings& out);

  Decoder decoder_;
  std::string b64_;  // decoded base64 text, reused (no allocation after warm-up)
  CleanSet clean_;
  StableCleanSet stable_clean_;
};

}  // namespace portcullis::rules
