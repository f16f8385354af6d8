#include "rules/xss/html_tokenizer.h"

namespace portcullis::rules::html {
namespace {

// HTML whitespace (sec. 13.2.5.1) plus NUL and vertical tab, which old parsers also split on.
bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v' || c == '\0';
}
bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

}  // namespace

Tokenizer::Tokenizer(std::string_view src, Start start) : src_(src) {
  switch (start) {
    case Start::kData:
      state_ = State::kData;
      break;
    case Start::kAttrDoubleQuoted:
      state_ = State::kInitialValue;
      initial_quote_ = '"';
      break;
    case Start::kAttrSingleQuoted:
      state_ = State::kInitialValue;
      initial_quote_ = '\'';
      break;
    case Start::kAttrBackQuoted:
      state_ = State::kInitialValue;
      initial_quote_ = '`';
      break;
    case Start::kAttrUnquoted:
      state_ = State::kInitialValue;
      initial_quote_ = 0;
      break;
    case Start::kComment: {
      // Inside `<!-- ... -->`: everything up to the first `-->` / `--!>` is inert.
      state_ = State::kData;
      size_t end = src.find("--");
      while (end != std::string_view::npos && !src.substr(end + 2).starts_with(">") &&
             !src.substr(end + 2).starts_with("!>")) {
        end = src.find("--", end + 1);
      }
      if (end == std::string_view::npos) {
        pos_ = src.size();
      } else {
        pos_ = src.find('>', end) + 1;
      }
      break;
    }
  }
}

bool Tokenizer::emit_value(Token& tok, char quote) {
  size_t start = pos_;
  if (quote != 0) {
    size_t end = src_.find(quote, pos_);
    if (end == std::string_view::npos) end = src_.size();
    tok.text = src_.substr(start, end - start);
    pos_ = end < src_.size() ? end + 1 : end;
  } else {
    while (pos_ < src_.size() && !is_space(src_[pos_]) && src_[pos_] != '>') ++pos_;
    tok.text = src_.substr(start, pos_ - start);
  }
  tok.kind = TokKind::kAttrValue;
  tok.from_markup = in_markup_tag_;
  state_ = State::kBeforeAttrName;
  return true;
}

bool Tokenizer::next(Token& tok) {
  tok = Token{};
  while (pos_ < src_.size()) {
    switch (state_) {
      case State::kInitialValue:
        return emit_value(tok, initial_quote_);

      case State::kData: {
        size_t lt = src_.find('<', pos_);
        if (lt == std::string_view::npos) {
          tok.kind = TokKind::kText;
          tok.text = src_.substr(pos_);
          pos_ = src_.size();
          return true;
        }
        if (lt > pos_) {
          tok.kind = TokKind::kText;
          tok.text = src_.substr(pos_, lt - pos_);
          pos_ = lt;
          return true;
        }
        std::string_view rest = src_.substr(pos_ + 1);
        if (!rest.empty() && is_alpha(rest[0])) {
          size_t i = 1;
          while (i < rest.size() && !is_space(rest[i]) && rest[i] != '/' && rest[i] != '>' &&
                 rest[i] != '<') {
            ++i;
          }
          tok.kind = TokKind::kTagOpen;
          tok.text = rest.substr(0, i);
          pos_ += 1 + i;
          state_ = State::kBeforeAttrName;
          in_markup_tag_ = true;
          return true;
        }
        if (rest.size() >= 2 && rest[0] == '/' && is_alpha(rest[1])) {
          size_t i = 2;
          while (i < rest.size() && !is_space(rest[i]) && rest[i] != '/' && rest[i] != '>') ++i;
          tok.kind = TokKind::kTagClose;
          tok.text = rest.substr(1, i - 1);
          size_t gt = src_.find('>', pos_ + 1 + i);
          pos_ = gt == std::string_view::npos ? src_.size() : gt + 1;
          return true;
        }
        if (rest.starts_with("!--")) {
          size_t body = pos_ + 4;
          size_t end = src_.find("--", body);
          // A comment ends at `-->` or `--!>` (sec. 13.2.5.50); `<!-->` is an empty comment.
          while (end != std::string_view::npos) {
            std::string_view after = src_.substr(end + 2);
            if (after.starts_with(">") || after.starts_with("!>")) break;
            end = src_.find("--", end + 1);
          }
          if (rest.starts_with("!-->")) end = body - 1;
          tok.kind = TokKind::kComment;
          if (end == std::string_view::npos) {
            tok.text = src_.substr(body);
            pos_ = src_.size();
          } else {
            tok.text = end >= body ? src_.substr(body, end - body) : std::string_view{};
            size_t gt = src_.find('>', end);
            pos_ = gt == std::string_view::npos ? src_.size() : gt + 1;
          }
          return true;
        }
        if (!rest.empty() && (rest[0] == '!' || rest[0] == '?' || rest[0] == '/')) {
          size_t gt = src_.find('>', pos_ + 1);
          size_t end = gt == std::string_view::npos ? src_.size() : gt;
          tok.kind = rest[0] == '?' ? TokKind::kPi : TokKind::kBang;
          tok.text = src_.substr(pos_ + 2, end > pos_ + 2 ? end - pos_ - 2 : 0);
          pos_ = gt == std::string_view::npos ? src_.size() : gt + 1;
          return true;
        }
        // A `<` that starts nothing ("a < b", "I <3 you") is text.
        tok.kind = TokKind::kText;
        tok.text = src_.substr(pos_, 1);
        ++pos_;
        return true;
      }

      case State::kBeforeAttrName: {
        while (pos_ < src_.size() && (is_space(src_[pos_]) || src_[pos_] == '/')) ++pos_;
        if (pos_ >= src_.size()) return false;
        if (src_[pos_] == '>') {
          ++pos_;
          tok.kind = TokKind::kTagEnd;
          tok.text = src_.substr(pos_ - 1, 1);
          state_ = State::kData;
          in_markup_tag_ = false;
          return true;
        }
        if (src_[pos_] == '<' && !in_markup_tag_) {
          // After an attribute break-out with no tag of our own, `<` starts new markup.
          state_ = State::kData;
          continue;
        }
        size_t start = pos_++;  // the first character may be `=` (sec. 13.2.5.32)
        while (pos_ < src_.size() && !is_space(src_[pos_]) && src_[pos_] != '/' &&
               src_[pos_] != '>' && src_[pos_] != '=') {
          ++pos_;
        }
        tok.kind = TokKind::kAttrName;
        tok.text = src_.substr(start, pos_ - start);
        tok.from_markup = in_markup_tag_;
        state_ = State::kAfterAttrName;
        return true;
      }

      case State::kAfterAttrName: {
        size_t p = pos_;
        while (p < src_.size() && is_space(src_[p])) ++p;
        if (p < src_.size() && src_[p] == '=') {
          pos_ = p + 1;
          state_ = State::kBeforeAttrValue;
        } else {
          pos_ = p;
          state_ = State::kBeforeAttrName;
        }
        continue;
      }

      case State::kBeforeAttrValue: {
        while (pos_ < src_.size() && is_space(src_[pos_])) ++pos_;
        if (pos_ >= src_.size()) {
          tok.kind = TokKind::kAttrValue;
          tok.from_markup = in_markup_tag_;
          return true;
        }
        char c = src_[pos_];
        if (c == '"' || c == '\'' || c == '`') {
          ++pos_;
          return emit_value(tok, c);
        }
        if (c == '>') {
          tok.kind = TokKind::kAttrValue;
          tok.from_markup = in_markup_tag_;
          state_ = State::kBeforeAttrName;
          return true;
        }
        return emit_value(tok, 0);
      }
    }
  }
  if (state_ == State::kBeforeAttrValue) {
    // `<x onload=` at the end of input: report the (empty) value so the attribute is judged.
    state_ = State::kBeforeAttrName;
    tok.kind = TokKind::kAttrValue;
    tok.text = src_.substr(src_.size());
    tok.from_markup = in_markup_tag_;
    return true;
  }
  return false;
}

}  // namespace portcullis::rules::html
