// HtmlTokenizer: an allocation-free tokenizer following the WHATWG HTML tokenization states that
// matter for injection (sec. 13.2.5: data, tag open, tag name, attribute name, attribute value in
// double/single/unquoted form, comment, bogus comment / markup declaration, processing
// instruction). It can START in an attribute-value state, which is how an input that lands inside
// `<x a="INPUT">` is read: the first `"` ends the value and what follows is markup.
//
// Deliberate deviation: a `<` inside a tag name starts a new tag (`<sc<script>ript>`), matching
// what filters that strip tags leave behind.
#pragma once

#include <cstdint>
#include <string_view>

namespace portcullis::rules::html {

enum class Start : uint8_t {
  kData,              // between tags
  kAttrDoubleQuoted,  // inside `a="..."`
  kAttrSingleQuoted,  // inside `a='...'`
  kAttrUnquoted,      // inside `a=...`
  kAttrBackQuoted,    // inside `a=`...`` (legacy IE quoting)
  kComment,           // inside `<!-- ... -->`
};

enum class TokKind : uint8_t {
  kText,       // character data
  kTagOpen,    // `<name`: text is the name
  kTagClose,   // `</name ...>`: text is the name
  kTagEnd,     // `>` or `/>` closing a start tag
  kAttrName,   // text is the name
  kAttrValue,  // text is the raw (entity-encoded) value, quotes removed
  kComment,    // `<!-- ... -->`: text is the content
  kBang,       // `<!...>` other than a comment (doctype, CDATA, bogus comment)
  kPi,         // `<?...>`
};

struct Token {
  TokKind kind = TokKind::kText;
  std::string_view text;
  bool from_markup = false;  // for attributes: the tag was opened by a `<` in the input
};

class Tokenizer {
 public:
  Tokenizer(std::string_view src, Start start);
  bool next(Token& tok);

 private:
  enum class State : uint8_t {
    kData,
    kBeforeAttrName,
    kAfterAttrName,
    kBeforeAttrValue,
    kInitialValue,
  };
  bool emit_value(Token& tok, char quote);

  std::string_view src_;
  size_t pos_ = 0;
  State state_;
  char initial_quote_ = 0;  // for kInitialValue: 0 = unquoted
  bool in_markup_tag_ = false;
};

}  // namespace portcullis::rules::html
