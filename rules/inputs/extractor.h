// Extractor: finds every user-controlled string of a request (query, path, cookies, headers,
// urlencoded / JSON / multipart / XML bodies) and hands each to an InputSink with its location.
// Bounded: at most max_inputs inputs per call sequence (reset() starts a new one), JSON and XML
// nesting at most max_depth; the caller decides what a hit limit means (ExtractResult flags), so
// the documented actions (block / inspect-prefix) live in one place, the inspection stage. Owns
// reusable scratch (location text, JSON padding buffer, simdjson parser, XML element stack): after
// warm-up the common path does not allocate. Not thread-safe: one Extractor per thread.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "rules/inputs/input.h"

namespace portcullis::rules {

struct ExtractLimits {
  uint32_t max_inputs = 1024;
  uint32_t max_depth = 32;             // JSON (objects + arrays), XML elements; root: depth 1
  bool inspect_file_contents = false;  // multipart parts with a filename
};

enum ExtractFlag : uint32_t {
  kExtractTooManyInputs = 1u << 0,  // max_inputs reached: later inputs were not extracted
  kExtractTooDeep = 1u << 1,        // JSON / XML deeper than max_depth: deeper values not extracted
  kExtractMalformed = 1u << 2,      // JSON / multipart / XML did not parse to the end
  kExtractStopped = 1u << 3,        // the sink returned false
};

struct ExtractResult {
  uint32_t flags = 0;
  bool has(ExtractFlag f) const { return (flags & f) != 0; }
};

enum class BodyKind : uint8_t { kNone, kForm, kJson, kMultipart, kXml };

// From a Content-Type value: application/x-www-form-urlencoded, application/json (and any
// "+json" type), multipart/form-data (with its boundary), application/xml, text/xml (and any
// "+xml" type: SOAP 1.2 application/soap+xml, Atom, RSS, SVG, RFC 7303). Parameters and case are
// handled per RFC 9110 8.3.1 (type/subtype case-insensitive, boundary may be quoted).
struct BodyType {
  BodyKind kind = BodyKind::kNone;
  std::string_view boundary;  // multipart only; view into the header value
};
BodyType classify_body(std::string_view content_type);

// XML locations ("body.xml:/a/b/c@attr") longer than this are cut: nesting up to max_depth must
// not make one location (copied into every finding) grow with the document.
inline constexpr size_t kMaxXmlLocation = 256;

class Extractor {
 public:
  Extractor();
  ~Extractor();
  Extractor(const Extractor&) = delete;
  Extractor& operator=(const Extractor&) = delete;

  // Starts a new request: the input counter goes back to zero.
  void reset(const ExtractLimits& limits);
  uint32_t inputs() const { return count_; }

  // "a=1&b[c]=2" (without the '?'). Keys and values; `source` is kQuery or kForm.
  ExtractResult query(std::string_view qs, InputSource source, InputSink& sink);
  // The request path (before '?'): the whole path (path detector only) and each segment.
  ExtractResult path(std::string_view path, InputSink& sink);
  // A Cookie header value: "a=1; b=2" (RFC 6265 5.4).
  ExtractResult cookies(std::string_view header_value, InputSink& sink);
  // One header value; `lower_name` is used in the location ("header:user-agent").
  ExtractResult header(std::string_view lower_name, std::string_view value, InputSink& sink);
  // A JSON document: every object key (as a key input with its path) and string leaf.
  // `truncated`: the body is a prefix; a parse error at its end is expected, not malformed.
  ExtractResult json(std::string_view body, bool truncated, InputSink& sink);
  // multipart/form-data (RFC 7578): field names and values, filenames; file contents only with
  // inspect_file_contents.
  ExtractResult multipart(std::string_view body, std::string_view boundary, InputSink& sink);
  // An XML document (RFC 7303; XML 1.0 5th ed.), with our own bounded tokenizer
  // (rules/inputs/xml_tokenizer.h: no DTD processing, no entity expansion, ever):
  //   attribute values   "body.xml:/Envelope/Body/login@id"  (element path of local names)
  //   character data     "body.xml:/Envelope/Body/login/user" (text and CDATA of an element up to
  //                      its next child or end tag, joined across comments and PIs as the app's
  //                      DOM joins them; whitespace-only runs are skipped)
  //   a DOCTYPE          "body.xml:doctype" (the raw declaration, internal subset included, for
  //                      the XXE / entity-expansion check)
  // Raw values keep entity references as typed. Locations are capped at kMaxXmlLocation bytes.
  // Elements deeper than max_depth: their contents are skipped and kExtractTooDeep is set.
  // Not well-formed: kExtractMalformed, and the text from the offending construct to the end is
  // inspected as one "body" input (a lenient app parser may still read it). `truncated`: the body
  // is a prefix; running out of input (open elements, a cut construct) is then not malformed,
  // and a cut text, attribute value or DOCTYPE is inspected as far as it goes.
  // UTF-16 documents (BOM or "<\0" start, RFC 7303 4.3) are transcoded to UTF-8 first.
  ExtractResult xml(std::string_view body, bool truncated, InputSink& sink);
  // Dispatches on the body type; a JSON body that does not parse is inspected whole ("body").
  ExtractResult body(const BodyType& type, std::string_view body, bool truncated, InputSink& sink);

 private:
  friend struct JsonWalker;
  friend struct XmlWalker;
  // Counts and forwards one input; false when extraction must stop.
  bool emit(const Input& in, ExtractResult& r, InputSink& sink);
  ExtractResult params(std::string_view text, char separator, InputSource source,
                       std::string_view prefix, bool keys, InputSink& sink);

  ExtractLimits limits_;
  uint32_t count_ = 0;
  std::string loc_;                     // location being built
  std::vector<std::string_view> path_;  // key path being built (JSON / bracket keys)
  std::string json_buf_;                // body copy with simdjson padding
  struct JsonParser;  // simdjson::ondemand::parser (an alias namespace: not forward-declarable)
  std::unique_ptr<JsonParser> parser_;
  struct XmlFrame {
    std::string_view name;  // qualified name, for the end-tag match (sec. 3 WFC: Element Type)
    uint32_t loc_mark;      // loc_ size before this element's segment
  };
  std::vector<XmlFrame> xml_stack_;  // open elements up to max_depth
  std::string xml_text_;             // character data joined across comments / CDATA
  std::string xml_utf8_;             // a UTF-16 document transcoded
};

}  // namespace portcullis::rules
