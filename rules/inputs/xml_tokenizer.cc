#include "rules/inputs/xml_tokenizer.h"

#include <array>

namespace portcullis::rules {
namespace {

// S ::= (#x20 | #x9 | #xD | #xA)+ (sec. 2.3).
bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

// Where a Name ends. Lenient on purpose (no NameStartChar check): the tokenizer finds values,
// it does not validate documents; anything odd in a name still ends up inspected. A table: this
// runs for every byte of every element and attribute name.
constexpr auto kEndsName = [] {
  std::array<bool, 256> t{};
  for (unsigned char c : std::string_view(" \t\r\n/><=\"'?&")) t[c] = true;
  return t;
}();
bool ends_name(char c) { return kEndsName[static_cast<unsigned char>(c)]; }

bool starts_with_at(std::string_view s, size_t at, std::string_view prefix) {
  return s.size() - at >= prefix.size() && s.compare(at, prefix.size(), prefix) == 0;
}

// "<!DOCTYPE" is upper case in XML (sec. 2.8); HTML parsers accept any case and so do we, so a
// "<!doctype" with an entity declaration is still handed to the XXE check.
bool starts_with_doctype(std::string_view s, size_t at) {
  constexpr std::string_view kDoctype = "<!DOCTYPE";
  if (s.size() - at < kDoctype.size()) return false;
  for (size_t i = 0; i < kDoctype.size(); ++i) {
    char c = s[at + i];
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 32);
    if (c != kDoctype[i]) return false;
  }
  return true;
}

// The rest of the buffer is a proper prefix of `construct`: the buffer was cut inside it.
bool is_cut_prefix(std::string_view rest, std::string_view construct) {
  return rest.size() < construct.size() && construct.substr(0, rest.size()) == rest;
}

// The buffer ends inside the construct at `at`, which has no value worth handing out.
XmlToken cut_at(size_t at) {
  XmlToken t;
  t.kind = XmlTokenKind::kEnd;
  t.start = at;
  t.cut = true;
  return t;
}

}  // namespace

XmlToken XmlTokenizer::error(size_t at) {
  done_ = true;
  XmlToken t;
  t.kind = XmlTokenKind::kError;
  t.start = at;
  return t;
}

XmlToken XmlTokenizer::next() {
  if (done_) {
    XmlToken t;
    t.start = pos_;
    return t;
  }
  if (in_tag_) return in_tag();
  if (pos_ >= doc_.size()) {
    done_ = true;
    XmlToken t;
    t.start = pos_;
    return t;
  }
  if (doc_[pos_] == '<') return markup();
  // CharData (sec. 2.4): up to the next markup; a '&' starts a reference left as typed.
  XmlToken t;
  t.kind = XmlTokenKind::kText;
  t.start = pos_;
  size_t lt = doc_.find('<', pos_);
  if (lt == std::string_view::npos) lt = doc_.size();
  t.value = doc_.substr(pos_, lt - pos_);
  pos_ = lt;
  return t;
}

XmlToken XmlTokenizer::until(XmlTokenKind kind, size_t content_start, std::string_view terminator) {
  XmlToken t;
  t.kind = kind;
  t.start = pos_;
  size_t end = doc_.find(terminator, content_start);
  if (end == std::string_view::npos) {
    t.value = doc_.substr(content_start);
    t.cut = true;
    pos_ = doc_.size();
    done_ = true;
    return t;
  }
  t.value = doc_.substr(content_start, end - content_start);
  pos_ = end + terminator.size();
  return t;
}

XmlToken XmlTokenizer::markup() {
  const size_t start = pos_;
  const std::string_view rest = doc_.substr(start);
  if (rest.size() < 2) {
    done_ = true;
    return cut_at(start);
  }
  if (rest[1] == '!') {
    if (rest.starts_with("<!--")) return until(XmlTokenKind::kComment, start + 4, "-->");
    if (rest.starts_with("<![CDATA[")) return until(XmlTokenKind::kCData, start + 9, "]]>");
    if (starts_with_doctype(doc_, start)) return doctype();
    if (is_cut_prefix(rest, "<!--") || is_cut_prefix(rest, "<![CDATA[") ||
        is_cut_prefix(rest, "<!DOCTYPE")) {
      done_ = true;
      return cut_at(start);
    }
    return error(start);  // other declarations only exist inside a DTD
  }
  if (rest[1] == '?') {
    // PI ::= '<?' PITarget (S ...)? '?>' (sec. 2.6); "<?xml" is the XML declaration (sec. 2.8).
    size_t name_end = start + 2;
    while (name_end < doc_.size() && !ends_name(doc_[name_end])) ++name_end;
    std::string_view target = doc_.substr(start + 2, name_end - start - 2);
    XmlToken t = until(XmlTokenKind::kPi, name_end, "?>");
    t.name = target;
    t.value = doc_.substr(start, pos_ - start);
    if (target == "xml") t.kind = XmlTokenKind::kXmlDecl;
    return t;
  }
  const bool end_tag = rest[1] == '/';
  pos_ = start + (end_tag ? 2 : 1);
  size_t name_start = pos_;
  while (pos_ < doc_.size() && !ends_name(doc_[pos_])) ++pos_;
  std::string_view name = doc_.substr(name_start, pos_ - name_start);
  if (pos_ >= doc_.size()) {
    done_ = true;
    return cut_at(start);
  }
  if (name.empty()) return error(start);
  XmlToken t;
  t.start = start;
  t.name = name;
  if (!end_tag) {
    t.kind = XmlTokenKind::kStartTag;
    in_tag_ = true;
    tag_start_ = start;
    return t;
  }
  // ETag ::= '</' Name S? '>' (sec. 3.1).
  while (pos_ < doc_.size() && is_space(doc_[pos_])) ++pos_;
  if (pos_ >= doc_.size()) {
    done_ = true;
    return cut_at(start);
  }
  if (doc_[pos_] != '>') return error(start);
  ++pos_;
  t.kind = XmlTokenKind::kEndTag;
  return t;
}

XmlToken XmlTokenizer::in_tag() {
  while (pos_ < doc_.size() && is_space(doc_[pos_])) ++pos_;
  if (pos_ >= doc_.size()) {
    done_ = true;
    return cut_at(tag_start_);
  }
  XmlToken t;
  t.start = pos_;
  if (doc_[pos_] == '>') {
    ++pos_;
    in_tag_ = false;
    t.kind = XmlTokenKind::kStartTagEnd;
    return t;
  }
  if (doc_[pos_] == '/') {
    if (pos_ + 1 >= doc_.size()) {
      done_ = true;
      return cut_at(tag_start_);
    }
    if (doc_[pos_ + 1] != '>') return error(tag_start_);
    pos_ += 2;
    in_tag_ = false;
    t.kind = XmlTokenKind::kEmptyTagEnd;
    return t;
  }
  // Attribute ::= Name Eq AttValue (sec. 3.1); Eq ::= S? '=' S?; AttValue is quoted with ' or ".
  size_t name_start = pos_;
  while (pos_ < doc_.size() && !ends_name(doc_[pos_])) ++pos_;
  t.name = doc_.substr(name_start, pos_ - name_start);
  while (pos_ < doc_.size() && is_space(doc_[pos_])) ++pos_;
  if (pos_ >= doc_.size()) {
    done_ = true;
    return cut_at(tag_start_);
  }
  if (t.name.empty() || doc_[pos_] != '=') return error(tag_start_);
  ++pos_;
  while (pos_ < doc_.size() && is_space(doc_[pos_])) ++pos_;
  if (pos_ >= doc_.size()) {
    done_ = true;
    return cut_at(tag_start_);
  }
  const char quote = doc_[pos_];
  if (quote != '"' && quote != '\'') return error(tag_start_);
  t.kind = XmlTokenKind::kAttribute;
  size_t close = doc_.find(quote, pos_ + 1);
  if (close == std::string_view::npos) {
    // Cut inside the value: what there is of it is still worth inspecting.
    t.value = doc_.substr(pos_ + 1);
    t.cut = true;
    pos_ = doc_.size();
    done_ = true;
    return t;
  }
  t.value = doc_.substr(pos_ + 1, close - pos_ - 1);
  pos_ = close + 1;
  return t;
}

// doctypedecl ::= '<!DOCTYPE' S Name (S ExternalID)? S? ('[' intSubset ']' S?)? '>' (sec. 2.8).
// The internal subset holds markup declarations whose quoted literals, comments and PIs may
// contain '>' and ']': skip those so the declaration ends where a parser would end it.
XmlToken XmlTokenizer::doctype() {
  const size_t start = pos_;
  XmlToken t;
  t.kind = XmlTokenKind::kDoctype;
  t.start = start;
  bool in_subset = false;
  size_t i = start + 9;
  while (i < doc_.size()) {
    const char c = doc_[i];
    if (c == '"' || c == '\'') {
      size_t close = doc_.find(c, i + 1);
      if (close == std::string_view::npos) break;
      i = close + 1;
      continue;
    }
    if (in_subset) {
      if (starts_with_at(doc_, i, "<!--")) {
        size_t close = doc_.find("-->", i + 4);
        if (close == std::string_view::npos) break;
        i = close + 3;
        continue;
      }
      if (starts_with_at(doc_, i, "<?")) {
        size_t close = doc_.find("?>", i + 2);
        if (close == std::string_view::npos) break;
        i = close + 2;
        continue;
      }
      if (c == ']') in_subset = false;
    } else if (c == '[') {
      in_subset = true;
    } else if (c == '>') {
      t.value = doc_.substr(start, i + 1 - start);
      pos_ = i + 1;
      return t;
    }
    ++i;
  }
  t.value = doc_.substr(start);
  t.cut = true;
  pos_ = doc_.size();
  done_ = true;
  return t;
}

}  // namespace portcullis::rules
