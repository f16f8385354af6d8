// Corpus harness for the SSRF / NoSQL / prototype-pollution detectors, shared by the scorer
// (bench/rules_ssrf_objects/score_main.cc) and the corpus-quality test. It stands in for the
// proxy's input extractor and decoder: each corpus line is decoded (percent up to 3 rounds,
// HTML entities, JSON \u escapes of ASCII) and fed to every entry point as a raw value, and, when
// it parses as a query string or a JSON text, per key path and per value.
#pragma once

#include <simdjson.h>

#include <string>
#include <string_view>
#include <vector>

#include "rules/objects/bracket_key.h"
#include "rules/objects/nosql_detector.h"
#include "rules/objects/proto_detector.h"
#include "rules/ssrf/ssrf_detector.h"
#include "tests/support/corpus/corpus.h"

namespace portcullis::rules::corpus {

struct Verdict {
  bool ssrf = false;
  bool nosql = false;
  bool proto = false;
  std::string why;  // first finding, for reports: "ssrf url loopback address [127.0.0.1]"
  bool any() const { return ssrf || nosql || proto; }
};

// Corpus files write CR, LF and NUL as \r, \n, \0 (see shared/corpus/README.md).
inline std::string unescape_line(std::string_view s) { return ::portcullis::corpus::unescape(s); }

inline int hexv(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// One round of the decodings the proxy's decoder applies: %XX, HTML character references,
// JSON \uXXXX (ASCII only; enough for `__\u0070roto__`).
inline std::string decode_once(std::string_view s, bool plus_is_space) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '%' && i + 2 < s.size() && hexv(s[i + 1]) >= 0 && hexv(s[i + 2]) >= 0) {
      out.push_back(static_cast<char>(hexv(s[i + 1]) * 16 + hexv(s[i + 2])));
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out.push_back(' ');
    } else if (c == '\\' && i + 5 < s.size() && s[i + 1] == 'u' && s[i + 2] == '0' &&
               s[i + 3] == '0' && hexv(s[i + 4]) >= 0 && hexv(s[i + 5]) >= 0 &&
               hexv(s[i + 4]) < 8) {
      out.push_back(static_cast<char>(hexv(s[i + 4]) * 16 + hexv(s[i + 5])));
      i += 5;
    } else if (c == '&') {
      static constexpr std::pair<std::string_view, char> kNamed[] = {
          {"&quot;", '"'}, {"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}, {"&apos;", '\''}};
      bool done = false;
      for (auto& [name, ch] : kNamed) {
        if (s.substr(i, name.size()) == name) {
          out.push_back(ch);
          i += name.size() - 1;
          done = true;
          break;
        }
      }
      if (!done && i + 3 < s.size() && s[i + 1] == '#') {
        size_t j = i + 2;
        bool hex = s[j] == 'x' || s[j] == 'X';
        if (hex) ++j;
        unsigned v = 0;
        size_t k = j;
        while (k < s.size() && k - j < 6 &&
               (hex ? hexv(s[k]) >= 0 : (s[k] >= '0' && s[k] <= '9'))) {
          v = v * (hex ? 16 : 10) + static_cast<unsigned>(hexv(s[k]));
          ++k;
        }
        if (k > j && v > 0 && v < 0x80) {
          out.push_back(static_cast<char>(v));
          i = (k < s.size() && s[k] == ';') ? k : k - 1;
          done = true;
        }
      }
      if (!done) out.push_back(c);
    } else {
      out.push_back(c);
    }
  }
  return out;
}

inline std::string decode(std::string_view s, bool plus_is_space = false) {
  std::string cur(s);
  for (int round = 0; round < 3; ++round) {
    std::string next = decode_once(cur, plus_is_space);
    if (next == cur) break;
    cur = std::move(next);
  }
  return cur;
}

inline void note(Verdict& v, const std::optional<Finding>& f) {
  if (!f) return;
  if (f->detector == Detector::kSsrf) v.ssrf = true;
  if (f->detector == Detector::kNosql) v.nosql = true;
  if (f->detector == Detector::kProto) v.proto = true;
  if (v.why.empty()) {
    v.why = std::string(detector_name(f->detector)) + " " + std::string(f->context) + " " +
            std::string(f->reason) + " [" + std::string(f->fingerprint()) + "]";
  }
}

inline void feed_value(Verdict& v, std::string_view value) {
  note(v, detect_ssrf(value));
  note(v, detect_nosql_value(value));
  note(v, detect_proto_value(value));
}

inline void feed_key_path(Verdict& v, std::span<const std::string_view> path) {
  for (std::string_view seg : path) note(v, detect_nosql_key(seg));
  note(v, detect_proto_path(path));
}

inline void walk_json(Verdict& v, simdjson::dom::element e, std::vector<std::string_view>& path,
                      int depth) {
  if (depth > 32) return;
  switch (e.type()) {
    case simdjson::dom::element_type::OBJECT:
      for (auto field : simdjson::dom::object(e)) {
        path.push_back(field.key);
        feed_key_path(v, path);
        walk_json(v, field.value, path, depth + 1);
        path.pop_back();
      }
      break;
    case simdjson::dom::element_type::ARRAY:
      for (auto item : simdjson::dom::array(e)) walk_json(v, item, path, depth + 1);
      break;
    case simdjson::dom::element_type::STRING:
      feed_value(v, std::string_view(e));
      break;
    default:
      break;
  }
}

inline void feed_query_string(Verdict& v, std::string_view raw) {
  size_t start = 0;
  while (start <= raw.size()) {
    size_t amp = raw.find('&', start);
    std::string_view pair = raw.substr(start, amp == raw.npos ? raw.npos : amp - start);
    size_t eq = pair.find('=');
    if (eq != std::string_view::npos) {
      std::string key = decode(pair.substr(0, eq), true);
      std::string value = decode(pair.substr(eq + 1), true);
      BracketKey k = parse_bracket_key(key, /*split_dots=*/false);
      feed_key_path(v, k.view());
      BracketKey kd = parse_bracket_key(key, /*split_dots=*/true);
      feed_key_path(v, kd.view());
      feed_value(v, value);
    }
    if (amp == raw.npos) break;
    start = amp + 1;
  }
}

// Feeds one corpus line (still escaped) to every entry point.
inline Verdict evaluate_line(std::string_view escaped, simdjson::dom::parser& parser) {
  Verdict v;
  std::string raw = unescape_line(escaped);
  std::string value = decode(raw);
  feed_value(v, value);
  if (raw.find('=') != std::string::npos) feed_query_string(v, raw);
  std::string_view t = value;
  while (!t.empty() && (t.front() == ' ' || t.front() == '\t')) t.remove_prefix(1);
  if (!t.empty() && (t.front() == '{' || t.front() == '[')) {
    simdjson::dom::element doc;
    if (parser.parse(value).get(doc) == simdjson::SUCCESS) {
      std::vector<std::string_view> path;
      walk_json(v, doc, path, 0);
    }
  }
  return v;
}

inline std::vector<std::string> read_lines(const std::string& path) {
  std::vector<std::string> lines;
  ::portcullis::corpus::read_lines(path, lines);
  return lines;
}

}  // namespace portcullis::rules::corpus
