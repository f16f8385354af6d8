#include "rules/inspect/explain.h"

#include <cstdio>

#include "rules/inspect/engine.h"
#include "rules/sqli/sqli_detector.h"

namespace portcullis::rules {
namespace {

struct FlagName {
  DecodeFlag flag;
  const char* name;
};
constexpr FlagName kFlags[] = {
    {kHadPercent, "percent"},
    {kDoubleEncoded, "double-encoded"},
    {kOverlongUtf8, "overlong-utf8"},
    {kInvalidUtf8, "invalid-utf8"},
    {kHasNul, "nul"},
    {kHasControl, "control"},
    {kHadHtmlEntity, "html-entity"},
    {kHadJsonEscape, "json-escape"},
    {kHadPercentU, "percent-u"},
    {kUnicodeFolded, "unicode-folded"},
    {kTruncated, "truncated"},
    {kHasNewline, "newline"},
};

void indent(std::string_view text, std::string& out) {
  size_t start = 0;
  while (start < text.size()) {
    size_t nl = text.find('\n', start);
    if (nl == std::string_view::npos) nl = text.size();
    out += "      ";
    out.append(text.substr(start, nl - start));
    out += '\n';
    start = nl + 1;
  }
}

}  // namespace

std::string printable(std::string_view s, size_t max) {
  std::string out;
  for (size_t i = 0; i < s.size() && i < max; ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c == 0) {
      out += "\\0";
    } else if (c < 0x20 || c == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "\\x%02x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  if (s.size() > max) out += "...";
  return out;
}

std::string decode_flags_text(uint32_t flags) {
  std::string out;
  for (const FlagName& f : kFlags) {
    if ((flags & f.flag) == 0) continue;
    if (!out.empty()) out += ' ';
    out += f.name;
  }
  return out.empty() ? "none" : out;
}

bool explain_input(const Input& input, DetectorSet which, std::string& out) {
  InspectionEngine engine;
  InputFindings findings;
  InspectOptions opts;
  opts.enabled = which;
  engine.inspect(input, opts, findings);
  out += "input ";
  out.append(input.location);
  out += input.is_key ? " (key)\n" : "\n";
  out += "  raw:     " + printable(input.raw) + "\n";
  out += "  decoded: " + printable(findings.decoded.text) + "\n";
  out += "  decode:  " + std::to_string(findings.decoded.rounds) +
         " round(s), flags: " + decode_flags_text(findings.decoded.flags) + "\n";
  if (input.is_key && !input.key_path.empty()) {
    out += "  key path:";
    for (std::string_view seg : input.key_path) out += " [" + printable(seg, 64) + "]";
    out += '\n';
  }
  const DetectorSet run = which & input.detectors;
  for (size_t i = 0; i < kNumDetectorKinds; ++i) {
    const Detector d = static_cast<Detector>(i);
    if ((run & detector_bit(d)) == 0) continue;
    out += "  ";
    out.append(detector_name(d));
    const Finding* hit = nullptr;
    for (uint8_t k = 0; k < findings.count; ++k) {
      if (findings.items[k].detector == d) hit = &findings.items[k];
    }
    if (hit != nullptr) {
      out += ": FLAGGED in context '";
      out.append(hit->context);
      out += "': ";
      out.append(hit->reason);
      out += " [fingerprint ";
      out += printable(hit->fingerprint(), 64);
      out += "]\n";
    } else {
      out += ": not flagged";
      if (d == Detector::kNosql || d == Detector::kProto) {
        out += input.is_key ? " (key path is not an operator / prototype path)"
                            : " (no operator or prototype path in the text)";
      }
      out += '\n';
    }
    if (d == Detector::kSqli) {
      // The tokenizer's view of each embedding (bare, '...', "..."): why it is or is not SQL.
      std::string trace;
      explain_sqli(findings.decoded.text, trace);
      indent(trace, out);
    }
  }
  return findings.count > 0;
}

}  // namespace portcullis::rules
