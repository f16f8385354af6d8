// Extractor::xml: walks the XmlTokenizer's tokens, keeps the element path (bounded by max_depth
// and kMaxXmlLocation) and hands every attribute value, character-data run and DOCTYPE to the
// sink. ModSecurity's XML body processor exposes the same values as ARGS; here they keep a
// location an exclusion or custom rule can name ("body.xml:/Envelope/Body/*").
#include <algorithm>

#include "rules/inputs/extractor.h"
#include "rules/inputs/xml_tokenizer.h"

namespace portcullis::rules {
namespace {

constexpr std::string_view kXmlPrefix = "body.xml:";
constexpr std::string_view kDoctypeLocation = "body.xml:doctype";
constexpr size_t kMaxNameInXmlLocation = 128;

bool is_blank(std::string_view s) {
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; });
}

// Namespaces in XML 1.0 sec. 3: QName ::= Prefix ':' LocalPart. Prefixes are arbitrary per
// document ("soap:", "s:", "SOAP-ENV:"), local names are what a path should name. Namespace
// declarations keep their qualified name: there the prefix is the point ("xmlns:xi").
std::string_view local_name(std::string_view qname) {
  if (qname.starts_with("xmlns")) return qname;
  size_t colon = qname.rfind(':');
  return colon == std::string_view::npos ? qname : qname.substr(colon + 1);
}

// Appends sep + name without letting the location pass kMaxXmlLocation.
void append_segment(std::string& loc, char sep, std::string_view name) {
  if (loc.size() >= kMaxXmlLocation) return;
  size_t room = kMaxXmlLocation - loc.size() - 1;
  loc += sep;
  loc.append(name.substr(0, std::min(room, kMaxNameInXmlLocation)));
}

void append_utf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

// XML 1.0 appendix F.1: a document in UTF-16 starts with a BOM or with "<" as one 16-bit unit.
// Parsers (libxml2, Xerces, .NET) accept it, so a WAF reading the bytes as ASCII would see
// "'\0 \0O\0R\0" and miss what the app reads. Transcoded; unpaired surrogates become U+FFFD.
// Returns false when the document is not UTF-16.
bool utf16_to_utf8(std::string_view doc, std::string& out) {
  if (doc.size() < 2) return false;
  const auto b0 = static_cast<unsigned char>(doc[0]);
  const auto b1 = static_cast<unsigned char>(doc[1]);
  bool big_endian;
  size_t i = 0;
  if (b0 == 0xFE && b1 == 0xFF) {
    big_endian = true;
    i = 2;
  } else if (b0 == 0xFF && b1 == 0xFE) {
    big_endian = false;
    i = 2;
  } else if (b0 == 0 && b1 == '<') {
    big_endian = true;
  } else if (b0 == '<' && b1 == 0) {
    big_endian = false;
  } else {
    return false;
  }
  out.clear();
  out.reserve(doc.size() / 2 * 3);
  auto unit = [&](size_t at) -> uint32_t {
    const auto a = static_cast<unsigned char>(doc[at]);
    const auto b = static_cast<unsigned char>(doc[at + 1]);
    return big_endian ? (a << 8 | b) : (b << 8 | a);
  };
  for (; i + 1 < doc.size(); i += 2) {
    uint32_t u = unit(i);
    if (u >= 0xD800 && u <= 0xDBFF && i + 3 < doc.size()) {
      uint32_t lo = unit(i + 2);
      if (lo >= 0xDC00 && lo <= 0xDFFF) {
        append_utf8(out, 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00));
        i += 2;
        continue;
      }
    }
    append_utf8(out, (u >= 0xD800 && u <= 0xDFFF) ? 0xFFFD : u);
  }
  return true;
}

}  // namespace

struct XmlWalker {
  XmlWalker(Extractor& e, InputSink& s, ExtractResult& res) : x(e), sink(s), r(res) {}

  Extractor& x;
  InputSink& sink;
  ExtractResult& r;
  uint32_t depth = 0;  // open elements; frames exist for the first max_depth of them
  bool root_seen = false;
  bool root_closed = false;
  bool stop = false;
  // The character-data run of the current element: one view into the document while it is a
  // single piece, joined in x.xml_text_ once a comment / PI / CDATA boundary splits it.
  std::string_view run;
  bool run_any = false;
  bool run_joined = false;

  bool tracked() const { return depth <= x.limits_.max_depth; }

  void emit(std::string_view location, std::string_view raw) {
    Input in;
    in.source = InputSource::kXml;
    in.location = location;
    in.raw = raw;
    if (!x.emit(in, r, sink)) stop = true;
  }

  void add_chars(std::string_view v) {
    if (!tracked() || v.empty()) return;
    if (!run_any) {
      run = v;
      run_any = true;
      return;
    }
    if (!run_joined) {
      x.xml_text_.assign(run);
      run_joined = true;
    }
    x.xml_text_.append(v);
  }

  // Character data ends at the next element boundary (an <a>x<!--c-->y</a> is "xy" to the app:
  // splitting it would let "' OR<!---->1=1" pass as two harmless halves).
  void flush() {
    if (!run_any) return;
    std::string_view text = run_joined ? std::string_view(x.xml_text_) : run;
    run_any = false;
    run_joined = false;
    if (!is_blank(text)) emit(x.loc_, text);
  }

  void open(std::string_view name) {
    ++depth;
    if (!tracked()) {
      r.flags |= kExtractTooDeep;
      return;
    }
    x.xml_stack_.push_back({name, static_cast<uint32_t>(x.loc_.size())});
    append_segment(x.loc_, '/', local_name(name));
    // xml2js-style parsers turn element names into object keys (CVE-2023-0842: <__proto__>), so
    // a name the prototype-pollution check can fire on is also a key input with its element
    // path. Only such names: the check fires on nothing else, and every name as an input would
    // double the inputs of an ordinary document.
    if (local_name(name).find("proto") != std::string_view::npos) {
      x.path_.clear();
      for (const Extractor::XmlFrame& f : x.xml_stack_) x.path_.push_back(local_name(f.name));
      Input in;
      in.source = InputSource::kXml;
      in.is_key = true;
      in.location = x.loc_;
      in.raw = local_name(name);
      in.key_path = x.path_;
      in.detectors = detector_bit(Detector::kProto);
      if (!x.emit(in, r, sink)) stop = true;
    }
  }

  // False when the end tag does not match the open element (WFC: Element Type Match).
  bool close(std::string_view name, bool self_closing) {
    if (depth == 0) return false;
    if (tracked()) {
      const Extractor::XmlFrame& f = x.xml_stack_.back();
      if (!self_closing && f.name != name) return false;
      x.loc_.resize(f.loc_mark);
      x.xml_stack_.pop_back();
    }
    --depth;
    if (depth == 0) root_closed = true;
    return true;
  }

  void attribute(std::string_view name, std::string_view value) {
    if (!tracked() || value.empty()) return;
    const size_t mark = x.loc_.size();
    append_segment(x.loc_, '@', local_name(name));
    emit(x.loc_, value);
    x.loc_.resize(mark);
  }
};

ExtractResult Extractor::xml(std::string_view body, bool truncated, InputSink& sink) {
  ExtractResult r;
  std::string_view doc = body;
  if (utf16_to_utf8(body, xml_utf8_)) doc = xml_utf8_;
  if (doc.starts_with("\xEF\xBB\xBF")) doc.remove_prefix(3);  // UTF-8 BOM (appendix F.1)
  loc_.assign(kXmlPrefix);
  xml_stack_.clear();
  XmlWalker w(*this, sink, r);
  XmlTokenizer tok(doc);
  size_t bad = std::string_view::npos;  // offset of the construct that is not well-formed
  while (!w.stop) {
    const XmlToken t = tok.next();
    switch (t.kind) {
      case XmlTokenKind::kText:
      case XmlTokenKind::kCData:
        if (w.depth == 0) {
          // Only whitespace, comments and PIs may surround the root element (sec. 2.1 Misc).
          if (t.kind == XmlTokenKind::kCData || !is_blank(t.value)) bad = t.start;
          break;
        }
        w.add_chars(t.value);
        break;
      case XmlTokenKind::kComment:
      case XmlTokenKind::kPi:
      case XmlTokenKind::kXmlDecl:
        // Comments are not part of the data an app reads. PIs are handed to the app, but the
        // only common one (xml-stylesheet) is for browsers; the XSLT and XInclude checks
        // look at elements and namespaces, which are inspected.
        break;
      case XmlTokenKind::kDoctype:
        // Inspected wherever it appears: a DOCTYPE after the root is not well-formed, but a
        // lenient parser may still process its entity declarations.
        w.flush();
        if (!w.stop) w.emit(kDoctypeLocation, t.value);
        if (w.root_seen) bad = t.start;
        break;
      case XmlTokenKind::kStartTag:
        w.flush();
        if (w.root_closed) {
          bad = t.start;  // a second root element (sec. 2.1 document)
          break;
        }
        w.root_seen = true;
        w.open(t.name);
        break;
      case XmlTokenKind::kAttribute:
        w.attribute(t.name, t.value);
        break;
      case XmlTokenKind::kStartTagEnd:
        break;
      case XmlTokenKind::kEmptyTagEnd:
        w.close({}, /*self_closing=*/true);
        break;
      case XmlTokenKind::kEndTag:
        w.flush();
        if (!w.close(t.name, /*self_closing=*/false)) bad = t.start;
        break;
      case XmlTokenKind::kError:
        bad = t.start;
        break;
      case XmlTokenKind::kEnd:
        break;
    }
    if (w.stop) return r;
    if (bad != std::string_view::npos) break;
    if (t.cut) {
      // Out of input inside a construct: a prefix ends anywhere; a whole body must not.
      w.flush();
      if (!truncated && !w.stop) bad = t.start;
      break;
    }
    if (t.kind == XmlTokenKind::kEnd) {
      w.flush();
      if (!truncated && (w.depth > 0 || (!w.root_seen && !is_blank(doc)))) {
        r.flags |= kExtractMalformed;  // unclosed elements / no root: nothing left unread
      }
      break;
    }
  }
  if (w.stop || bad == std::string_view::npos) return r;
  w.flush();
  r.flags |= kExtractMalformed;
  std::string_view rest = doc.substr(bad);
  if (!w.stop && !is_blank(rest)) {
    // Not XML from here on, yet an app's recovering parser (libxml2 XML_PARSE_RECOVER, or one
    // that sniffs another format) may read it: inspect the rest as one text, like an unparsable
    // JSON body.
    Input in;
    in.source = InputSource::kBody;
    in.location = "body";
    in.raw = rest;
    emit(in, r, sink);
  }
  return r;
}

}  // namespace portcullis::rules
