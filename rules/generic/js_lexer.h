// JsLexer: a small, allocation-free JavaScript tokenizer (ECMA-262 sec. 12, simplified) used to
// decide whether an input, embedded in JS code, forms statements. It is deliberately forgiving:
// regex literals are not recognised ('/' is always a punctuator) and any byte >= 0x80 is an
// identifier part, so non-English prose lexes as identifiers instead of errors.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace portcullis::rules::js {

enum class TokKind : uint8_t {
  kIdent,     // identifier or keyword; `name()` is the decoded, lower-cased spelling
  kNumber,    // 12, 0x1f, 3.14, .5
  kString,    // '...' or "..." (possibly unterminated, see `unterminated`)
  kTemplate,  // `...`
  kPunct,     // ; , ( ) { } [ ] . => === && || etc.
  kComment,   // // ..., /* ... */, <!-- ... (Annex B HTML-like comment), --> at line start
  kInvalid,   // a byte that cannot start any JS token (#, @, \ not followed by u, controls)
};

struct Token {
  static constexpr size_t kNameMax = 31;
  TokKind kind = TokKind::kInvalid;
  std::string_view text;        // raw bytes of the token in the input
  bool unterminated = false;    // string/template/comment that ran to the end of input
  bool newline_before = false;  // a line terminator separates it from the previous token (ASI)
  char quote = 0;               // for kString/kTemplate: the quote character
  char name_buf[kNameMax + 1] = {};
  uint8_t name_len = 0;

  // Identifier spelling with \uXXXX escapes decoded and ASCII lower-cased (truncated).
  std::string_view name() const { return {name_buf, name_len}; }
  bool is_punct(std::string_view p) const { return kind == TokKind::kPunct && text == p; }
};

class Lexer {
 public:
  explicit Lexer(std::string_view src) : src_(src) {}
  // Fills `tok` with the next token; false at end of input.
  bool next(Token& tok);
  size_t position() const { return pos_; }

 private:
  void lex_ident(Token& tok);
  std::string_view src_;
  size_t pos_ = 0;
};

// Keywords that may legally be followed by an operand (so `return x` or `new X` is not two
// adjacent operands).
bool is_prefix_keyword(std::string_view lower_name);
// Keywords that may legally follow an operand (`a in b`, `x instanceof Y`).
bool is_infix_keyword(std::string_view lower_name);

}  // namespace portcullis::rules::js
