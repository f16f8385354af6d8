#include "rules/generic/js_lexer.h"

#include <array>

namespace portcullis::rules::js {
namespace {

bool is_ident_start(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == '$' || c >= 0x80;
}
bool is_ident_part(unsigned char c) { return is_ident_start(c) || (c >= '0' && c <= '9'); }
bool is_digit(unsigned char c) { return c >= '0' && c <= '9'; }
bool is_space(unsigned char c) {
  return c == ' ' || c == '\t' || c == '\v' || c == '\f' || c == '\r' || c == '\n';
}
int hex_value(unsigned char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Multi-character punctuators, longest first (ECMA-262 sec. 12.8).
constexpr std::array<std::string_view, 30> kPuncts = {
    ">>>=", "...", "===", "!==", "**=", "<<=", ">>=", ">>>", "&&=", "||=",
    "?\?=", "=>",  "==",  "!=",  "<=",  ">=",  "&&",  "||",  "??",  "?.",
    "++",   "--",  "+=",  "-=",  "*=",  "/=",  "%=",  "**",  "<<",  ">>"};

constexpr std::string_view kSinglePuncts = "{}()[];,.<>+-*/%&|^!~?:=";

}  // namespace

bool is_prefix_keyword(std::string_view n) {
  static constexpr std::array<std::string_view, 32> kWords = {
      "return", "typeof",   "new",     "void",  "delete",  "throw",  "await",  "yield",
      "case",   "var",      "let",     "const", "if",      "else",   "while",  "for",
      "do",     "function", "try",     "catch", "finally", "switch", "export", "import",
      "from",   "class",    "extends", "async", "default", "in",     "of",     "instanceof"};
  if (n.size() < 2 || n.size() > 10) return false;  // "do" .. "instanceof"
  for (auto w : kWords) {
    if (w.size() == n.size() && w[0] == n[0] && n == w) return true;
  }
  return false;
}

bool is_infix_keyword(std::string_view n) {
  return n == "in" || n == "of" || n == "instanceof" || n == "from" || n == "extends" || n == "as";
}

void Lexer::lex_ident(Token& tok) {
  const size_t start = pos_;
  while (pos_ < src_.size()) {
    unsigned char c = static_cast<unsigned char>(src_[pos_]);
    char decoded = 0;
    size_t width = 1;
    if (c == '\\' && pos_ + 5 < src_.size() + 0 && src_[pos_ + 1] == 'u') {
      // \uXXXX escape inside an identifier (sec. 12.7): `\u0072equire` spells `require`.
      int v = 0;
      bool ok = true;
      for (size_t i = 2; i < 6; ++i) {
        int h = pos_ + i < src_.size() ? hex_value(static_cast<unsigned char>(src_[pos_ + i])) : -1;
        if (h < 0) {
          ok = false;
          break;
        }
        v = v * 16 + h;
      }
      if (!ok) break;
      decoded = v < 0x80 ? static_cast<char>(v) : '?';
      width = 6;
    } else if (is_ident_part(c) || (pos_ == start && is_ident_start(c))) {
      decoded = static_cast<char>(c);
    } else {
      break;
    }
    if (decoded >= 'A' && decoded <= 'Z') decoded = static_cast<char>(decoded - 'A' + 'a');
    if (tok.name_len < Token::kNameMax) tok.name_buf[tok.name_len++] = decoded;
    pos_ += width;
  }
  tok.name_buf[tok.name_len] = '\0';
  tok.kind = TokKind::kIdent;
  tok.text = src_.substr(start, pos_ - start);
}

bool Lexer::next(Token& tok) {
  tok = Token{};
  // Skip whitespace, remembering line terminators for automatic semicolon insertion.
  while (pos_ < src_.size() && is_space(static_cast<unsigned char>(src_[pos_]))) {
    if (src_[pos_] == '\n' || src_[pos_] == '\r') tok.newline_before = true;
    ++pos_;
  }
  if (pos_ >= src_.size()) return false;
  const size_t start = pos_;
  const unsigned char c = static_cast<unsigned char>(src_[pos_]);
  auto rest = src_.substr(pos_);

  // Comments, including the Annex B HTML-like comments `<!--` and (at line start) `-->`.
  if (rest.starts_with("//") || rest.starts_with("<!--") ||
      (rest.starts_with("-->") && (tok.newline_before || start == 0))) {
    size_t end = src_.find('\n', pos_);
    pos_ = end == std::string_view::npos ? src_.size() : end;
    tok.kind = TokKind::kComment;
    tok.text = src_.substr(start, pos_ - start);
    return true;
  }
  if (rest.starts_with("/*")) {
    size_t end = src_.find("*/", pos_ + 2);
    tok.unterminated = end == std::string_view::npos;
    pos_ = tok.unterminated ? src_.size() : end + 2;
    tok.kind = TokKind::kComment;
    tok.text = src_.substr(start, pos_ - start);
    return true;
  }
  if (c == '\'' || c == '"' || c == '`') {
    ++pos_;
    tok.unterminated = true;
    while (pos_ < src_.size()) {
      char d = src_[pos_];
      if (d == '\\') {
        pos_ += 2;
        continue;
      }
      // Plain strings cannot span lines (sec. 12.9.4); template literals can.
      if (c != '`' && (d == '\n' || d == '\r')) break;
      ++pos_;
      if (d == static_cast<char>(c)) {
        tok.unterminated = false;
        break;
      }
    }
    if (pos_ > src_.size()) pos_ = src_.size();
    tok.kind = c == '`' ? TokKind::kTemplate : TokKind::kString;
    tok.quote = static_cast<char>(c);
    tok.text = src_.substr(start, pos_ - start);
    return true;
  }
  if (is_digit(c) ||
      (c == '.' && rest.size() > 1 && is_digit(static_cast<unsigned char>(rest[1])))) {
    ++pos_;
    while (pos_ < src_.size()) {
      unsigned char d = static_cast<unsigned char>(src_[pos_]);
      if (!(is_ident_part(d) || d == '.') || d >= 0x80) break;
      ++pos_;
    }
    tok.kind = TokKind::kNumber;
    tok.text = src_.substr(start, pos_ - start);
    return true;
  }
  if (is_ident_start(c) || (c == '\\' && rest.size() >= 6 && rest[1] == 'u')) {
    lex_ident(tok);
    if (pos_ > start) return true;
    pos_ = start;  // a lone backslash: fall through to invalid
  }
  // Every punctuator starts with a byte of kSinglePuncts: anything else is invalid at once, and
  // the first byte rejects most multi-byte entries without a string comparison.
  if (kSinglePuncts.find(static_cast<char>(c)) == std::string_view::npos) {
    ++pos_;
    tok.kind = TokKind::kInvalid;
    tok.text = src_.substr(start, 1);
    return true;
  }
  for (auto p : kPuncts) {
    if (p[0] == static_cast<char>(c) && rest.starts_with(p)) {
      pos_ += p.size();
      tok.kind = TokKind::kPunct;
      tok.text = src_.substr(start, p.size());
      return true;
    }
  }
  if (kSinglePuncts.find(static_cast<char>(c)) != std::string_view::npos) {
    ++pos_;
    tok.kind = TokKind::kPunct;
    tok.text = src_.substr(start, 1);
    return true;
  }
  ++pos_;
  tok.kind = TokKind::kInvalid;
  tok.text = src_.substr(start, 1);
  return true;
}

}  // namespace portcullis::rules::js
