#include "rules/inspect/engine.h"

#include <cstring>

#include "rules/generic/generic_detector.h"
#include "rules/inspect/prefilter.h"
#include "rules/objects/nosql_detector.h"
#include "rules/objects/proto_detector.h"
#include "rules/path/path_detector.h"
#include "rules/shell/shell_detector.h"
#include "rules/sqli/sqli_detector.h"
#include "rules/ssrf/ssrf_detector.h"
#include "rules/xss/xss_detector.h"

namespace portcullis::rules {
namespace {

constexpr std::array<Detector, kNumDetectorKinds> kAll{
    Detector::kSqli,  Detector::kShell, Detector::kPath, Detector::kSsrf,
    Detector::kNosql, Detector::kProto, Detector::kXss,  Detector::kGeneric};

// Texts at least this long are looked up in the clean memo before the prefilter runs.
constexpr size_t kMinPrefilteredText = 8;

// Cheapest and most specific first does not matter for the result (all enabled detectors run:
// every finding is recorded), only for readability of the audit stream.
}  // namespace

std::optional<Finding> run_detector(Detector d, std::string_view decoded) {
  switch (d) {
    case Detector::kSqli:
      return detect_sqli(decoded);
    case Detector::kShell:
      return detect_shell(decoded);
    case Detector::kPath:
      return detect_path(decoded);
    case Detector::kSsrf:
      return detect_ssrf(decoded);
    case Detector::kNosql:
      return detect_nosql_value(decoded);
    case Detector::kProto:
      return detect_proto_value(decoded);
    case Detector::kXss:
      return detect_xss(decoded);
    case Detector::kGeneric:
      return detect_generic(decoded);
  }
  return std::nullopt;
}

std::optional<Detector> detector_from_name(std::string_view name) {
  for (Detector d : kAll) {
    if (detector_name(d) == name) return d;
  }
  return std::nullopt;
}

uint8_t InspectionEngine::inspect(const Input& input, const InspectOptions& opts,
                                  InputFindings& out) {
  out.count = 0;
  const DetectorSet enabled = opts.enabled & input.detectors;
  DecodeOptions dopts;
  dopts.plus_as_space = input.plus_as_space;
  dopts.max_input = opts.max_input_bytes;
  decoder_.decode_into(input.raw, dopts, out.decoded);
  if (enabled == 0) return 0;
  const std::string_view text = out.decoded.text;

  if (input.is_key) {
    // A key is an operator or a pollution path by itself (Zen: any user-supplied object key
    // that is a query operator), whatever the value next to it is.
    if (enabled & detector_bit(Detector::kNosql)) {
      bool fired = false;
      for (std::string_view seg : input.key_path) {
        if (auto f = detect_nosql_key(seg)) {
          out.add(*f);
          fired = true;
          break;
        }
      }
      if (!fired && input.key_path.empty()) {
        if (auto f = detect_nosql_key(text)) out.add(*f);
      }
    }
    if (enabled & detector_bit(Detector::kProto)) {
      std::optional<Finding> f;
      if (!input.key_path.empty()) {
        f = detect_proto_path(input.key_path);
      } else {
        std::string_view one[1] = {text};
        f = detect_proto_path(one);
      }
      if (f) out.add(*f);
    }
    // Keys are reflected and concatenated into queries too ("ORDER BY <key>"): the value
    // detectors run on them, except the object-text checks the key checks already cover.
    run_value_detectors(text,
                        enabled & static_cast<DetectorSet>(~(detector_bit(Detector::kNosql) |
                                                             detector_bit(Detector::kProto))),
                        opts, out);
    return out.count;
  }

  run_value_detectors(text, enabled, opts, out, input.source == InputSource::kHeader);
  if (out.count == 0 && text.size() >= kMinBase64Text) inspect_base64(text, enabled, opts, out);
  return out.count;
}

namespace {

int base64_value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+' || c == '-') return 62;  // RFC 4648 sec. 4 and the URL-safe alphabet of sec. 5
  if (c == '/' || c == '_') return 63;
  return -1;
}

}  // namespace

bool base64_printable_text(std::string_view text, std::string& out) {
  // Canonical shape only: the alphabet throughout, at most two '=' at the very end, a length
  // that a padded (multiple of 4) or unpadded (not 1 mod 4) encoding can have.
  if (text.size() < kMinBase64Text) return false;
  size_t len = text.size();
  size_t pad = 0;
  while (pad < 2 && len > 0 && text[len - 1] == '=') {
    --len;
    ++pad;
  }
  if (len > kMaxBase64Text || (pad > 0 && (len + pad) % 4 != 0) || len % 4 == 1) return false;
  out.clear();
  uint32_t acc = 0;
  int bits = 0;
  for (size_t i = 0; i < len; ++i) {
    const int v = base64_value(text[i]);
    if (v < 0) return false;
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      const auto b = static_cast<unsigned char>((acc >> bits) & 0xff);
      // Printable text only: tokens, hashes and keys decode to binary and are left alone.
      if (!((b >= 0x20 && b < 0x7f) || b == '\t' || b == '\n' || b == '\r')) return false;
      out.push_back(static_cast<char>(b));
    }
  }
  return true;
}

void InspectionEngine::inspect_base64(std::string_view text, DetectorSet set,
                                      const InspectOptions& opts, InputFindings& out) {
  if (!base64_printable_text(text, b64_)) return;
  const uint8_t before = out.count;
  run_value_detectors(b64_, set, opts, out);
  for (uint8_t i = before; i < out.count; ++i) out.items[i].context = "base64";
}

void InspectionEngine::run_value_detectors(std::string_view text, DetectorSet set,
                                           const InspectOptions& opts, InputFindings& out,
                                           bool stable) {
  if (stable && set != 0 && text.size() <= StableCleanSet::kMaxText) {
    // Header values use the memo that outlives the request (longer ones are not remembered).
    const uint32_t h = CleanSet::hash(text);
    if (stable_clean_.contains(text, h, set)) return;
    const DetectorSet run = opts.prefilter ? prefilter_detectors(text, set) : set;
    const uint8_t before = out.count;
    for (Detector d : kAll) {
      if ((run & detector_bit(d)) == 0) continue;
      if (auto f = run_detector(d, text)) out.add(*f);
    }
    if (out.count == before) stable_clean_.insert(text, h, set);
    return;
  }
  // The memo remembers the candidate set: the detectors the prefilter dropped are silent, the
  // others found nothing. Texts of kMinPrefilteredText bytes or more consult it before the
  // prefilter (a repeated "gift wrap please" skips both) and are remembered even when the
  // prefilter alone cleared them; shorter ones cost less to prefilter than to hash, and are
  // remembered only when detectors had to run.
  if (set == 0) return;
  const bool long_text = text.size() >= kMinPrefilteredText;
  const bool memo_text = text.size() <= CleanSet::kMaxText;  // longer texts are never remembered
  uint32_t h = 0;
  if (long_text && memo_text) {
    h = CleanSet::hash(text);
    if (clean_.contains(text, h, set)) return;
  }
  const DetectorSet run = opts.prefilter ? prefilter_detectors(text, set) : set;
  if (run == 0) {
    if (long_text && memo_text) clean_.insert(text, h, set);
    return;
  }
  if (!long_text) {
    h = CleanSet::hash(text);
    if (clean_.contains(text, h, set)) return;
  }
  const uint8_t before = out.count;
  for (Detector d : kAll) {
    if ((run & detector_bit(d)) == 0) continue;
    if (auto f = run_detector(d, text)) out.add(*f);
  }
  if (out.count == before && memo_text) clean_.insert(text, h, set);
}

// Any well-mixed hash will do (a collision only costs a memcmp): 8 bytes per multiply instead
// of FNV-1a's one, since every text of 8+ bytes is hashed.
uint32_t InspectionEngine::CleanSet::hash(std::string_view text) {
  const unsigned char* p = reinterpret_cast<const unsigned char*>(text.data());
  size_t n = text.size();
  uint64_t h = 0x9E3779B97F4A7C15ull ^ n;
  auto mix = [&](uint64_t v) {
    h = (h ^ v) * 0xBF58476D1CE4E5B9ull;
    h ^= h >> 31;
  };
  for (; n >= 8; p += 8, n -= 8) {
    uint64_t v;
    std::memcpy(&v, p, 8);
    mix(v);
  }
  if (n > 0) {
    uint64_t v = 0;
    std::memcpy(&v, p, n);
    mix(v | uint64_t{1} << 63);
  }
  h *= 0x94D049BB133111EBull;
  return static_cast<uint32_t>(h >> 32);
}

bool InspectionEngine::CleanSet::contains(std::string_view text, uint32_t h,
                                          DetectorSet set) const {
  if (text.size() > kMaxText || used_ == 0) return false;
  for (size_t i = h & (kSlots - 1);; i = (i + 1) & (kSlots - 1)) {
    const Slot& s = slots_[i];
    if (s.generation != generation_) return false;  // an empty slot ends the probe
    // A superset of the detectors found nothing: so does any subset.
    if (s.hash == h && s.len == text.size() && std::memcmp(s.text, text.data(), text.size()) == 0) {
      return (s.set & set) == set;
    }
  }
}

void InspectionEngine::CleanSet::insert(std::string_view text, uint32_t h, DetectorSet set) {
  if (text.size() > kMaxText) return;
  for (size_t i = h & (kSlots - 1);; i = (i + 1) & (kSlots - 1)) {
    Slot& s = slots_[i];
    if (s.generation != generation_) {
      if (used_ == kMaxEntries) return;  // full (load <= 1/2 keeps probes short)
      ++used_;
      s.generation = generation_;
      s.hash = h;
      s.len = static_cast<uint8_t>(text.size());
      s.set = set;
      std::memcpy(s.text, text.data(), text.size());
      return;
    }
    if (s.hash == h && s.len == text.size() && std::memcmp(s.text, text.data(), text.size()) == 0) {
      s.set |= set;  // clean for both sets of detectors: clean for their union
      return;
    }
  }
}

bool InspectionEngine::StableCleanSet::contains(std::string_view text, uint32_t h,
                                                DetectorSet set) const {
  const Slot& s = slots_[h & (kSlots - 1)];
  return s.set != 0 && (s.set & set) == set && s.hash == h && s.len == text.size() &&
         std::memcmp(s.text, text.data(), text.size()) == 0;
}

void InspectionEngine::StableCleanSet::insert(std::string_view text, uint32_t h, DetectorSet set) {
  if (text.size() > kMaxText || set == 0) return;
  Slot& s = slots_[h & (kSlots - 1)];
  if (s.set != 0 && s.hash == h && s.len == text.size() &&
      std::memcmp(s.text, text.data(), text.size()) == 0) {
    s.set |= set;  // clean for both sets: clean for their union
    return;
  }
  s.hash = h;
  s.len = static_cast<uint16_t>(text.size());
  s.set = set;
  std::memcpy(s.text, text.data(), text.size());
}

uint8_t InspectionEngine::inspect_query_value(std::string_view raw, const InspectOptions& opts,
                                              InputFindings& out) {
  Input in;
  in.source = InputSource::kQuery;
  in.plus_as_space = true;
  in.location = "query:value";
  in.raw = raw;
  return inspect(in, opts, out);
}

}  // namespace portcullis::rules
