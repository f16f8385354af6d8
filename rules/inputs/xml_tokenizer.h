// XmlTokenizer: a small pull tokenizer over one XML document in memory (XML 1.0, 5th ed.), for
// input extraction only. picohttpparser-style: a pure function of the buffer that hands out
// views into it and allocates nothing.
//
// Deliberately NOT an XML processor (sec. 5.1): it never reads a DTD, never expands an entity
// reference (&name; stays as typed, so a billion-laughs document costs one linear pass: the
// XXE / entity-expansion class of attacks, CWE-611 / CWE-776, cannot happen here), does not
// check names against the Name production nor decode anything. Each call to next() scans
// forward from the current position and never revisits bytes, except that a construct cut by
// the end of the buffer is reported once as `cut`: the whole scan is O(n) and uses O(1) state
// (no recursion, no stack: element nesting is the caller's business).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace portcullis::rules {

enum class XmlTokenKind : uint8_t {
  kStartTag,     // "<name": name; attributes follow, then kStartTagEnd or kEmptyTagEnd
  kAttribute,    // name="value" inside a start tag: name, value (between the quotes, raw)
  kStartTagEnd,  // ">"
  kEmptyTagEnd,  // "/>" (sec. 3.1 EmptyElemTag: a start and an end tag)
  kEndTag,       // "</name>": name
  kText,         // character data between markup: value (raw, entity references as typed)
  kCData,        // "<![CDATA[...]]>": value is the content (sec. 2.7)
  kComment,      // "<!--...-->": value is the content
  kPi,           // "<?target data?>": name is the target, value the whole construct
  kXmlDecl,      // "<?xml ...?>" (sec. 2.8): value the whole construct
  kDoctype,      // "<!DOCTYPE ...[...]>" (sec. 2.8): value the whole declaration, internal
                 // subset included
  kEnd,          // end of the buffer, between constructs
  kError,        // not well-formed at `start` (the construct there cannot be tokenized)
};

struct XmlToken {
  XmlTokenKind kind = XmlTokenKind::kEnd;
  std::string_view name;
  std::string_view value;
  size_t start = 0;  // offset of the construct in the buffer (errors: where it went wrong)
  // The buffer ended inside this construct (a truncated prefix, or an unterminated construct):
  // value holds what there is of it (text, CDATA, attribute value, DOCTYPE); next() returns kEnd.
  bool cut = false;
};

class XmlTokenizer {
 public:
  explicit XmlTokenizer(std::string_view doc) : doc_(doc) {}

  XmlToken next();
  size_t position() const { return pos_; }

 private:
  XmlToken markup();   // at '<' outside a tag
  XmlToken in_tag();   // inside a start tag: an attribute or the tag's end
  XmlToken doctype();  // at "<!DOCTYPE"
  XmlToken until(XmlTokenKind kind, size_t content_start, std::string_view terminator);
  XmlToken error(size_t at);

  std::string_view doc_;
  size_t pos_ = 0;
  size_t tag_start_ = 0;  // the '<' of the start tag being read
  bool in_tag_ = false;
  bool done_ = false;
};

}  // namespace portcullis::rules
