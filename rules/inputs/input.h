// Input: one user-controlled string of a request, with where it came from. Extraction (this
// folder) produces them; the inspection engine (rules/inspect) decodes and checks each one.
// Every view is valid only during the InputSink::on_input call that receives it: extraction
// builds locations and JSON strings in reusable scratch buffers, so nothing is allocated per input.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "rules/detect/finding.h"

namespace portcullis::rules {

enum class InputSource : uint8_t {
  kQuery,
  kPath,
  kCookie,
  kHeader,
  kForm,
  kJson,
  kMultipart,
  kBody,
  kXml
};

std::string_view input_source_name(InputSource s);

// A set of detectors: bit i is rules::Detector(i).
using DetectorSet = uint8_t;
inline constexpr DetectorSet kAllDetectors = 0xff;
constexpr DetectorSet detector_bit(Detector d) {
  return static_cast<DetectorSet>(1u << static_cast<unsigned>(d));
}

struct Input {
  InputSource source = InputSource::kQuery;
  // A parameter name or object key: NoSQL operator and prototype-pollution key checks apply.
  bool is_key = false;
  // '+' means space (query strings, urlencoded forms: WHATWG urlencoded parser).
  bool plus_as_space = false;
  // "query:id", "path", "path:2", "cookie:sid", "header:user-agent", "body.form:name",
  // "body.json:user.name", "body.json:items[0]", "body.multipart:file#filename",
  // "body.xml:/Envelope/Body/login/user", "body.xml:/a/b@id", "body.xml:doctype", "body".
  std::string_view location;
  // As received: still percent-encoded for query, form, path and cookies (the engine decodes);
  // JSON strings are already unescaped; XML text and attribute values keep their entity
  // references (&lt; &#60;), which the engine's HTML-entity decoding resolves.
  std::string_view raw;
  // For keys: the key path as the app walks it (bracket segments "a[b][$ne]" -> a, b, $ne; or
  // the JSON object keys from the root). Empty for values.
  std::span<const std::string_view> key_path;
  // Detectors that make sense for this input (the whole URL path only goes to the path detector;
  // its segments go to the others).
  DetectorSet detectors = kAllDetectors;
};

// Receives inputs as they are extracted. Return false to stop extraction early.
class InputSink {
 public:
  virtual ~InputSink() = default;
  virtual bool on_input(const Input& input) = 0;
};

}  // namespace portcullis::rules
