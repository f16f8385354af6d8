#include "rules/custom/transform.h"

#include <array>

#include "rules/decode/decoder.h"

namespace portcullis::rules::custom {
namespace {

struct Named {
  std::string_view name;
  Transform t;
};
constexpr std::array<Named, 9> kTransforms{{
    {"lowercase", Transform::kLowercase},
    {"url_decode", Transform::kUrlDecode},
    {"html_decode", Transform::kHtmlDecode},
    {"json_unescape", Transform::kJsonUnescape},
    {"compress_whitespace", Transform::kCompressWhitespace},
    {"remove_whitespace", Transform::kRemoveWhitespace},
    {"remove_nulls", Transform::kRemoveNulls},
    {"trim", Transform::kTrim},
    {"normalize_path", Transform::kNormalizePath},
}};

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

// RFC 3986 5.2.4 remove_dot_segments, applied leniently: backslashes count as separators (IIS,
// Windows back ends) and ".." at the root stays at the root, as servers resolve it.
void normalize_path(std::string_view in, std::string* out) {
  const size_t base = out->size();
  const bool absolute = !in.empty() && (in[0] == '/' || in[0] == '\\');
  size_t i = 0;
  while (i < in.size()) {
    while (i < in.size() && (in[i] == '/' || in[i] == '\\')) ++i;
    size_t start = i;
    while (i < in.size() && in[i] != '/' && in[i] != '\\') ++i;
    std::string_view seg = in.substr(start, i - start);
    if (seg.empty() || seg == ".") continue;
    if (seg == "..") {
      size_t slash = out->find_last_of('/');
      if (slash == std::string::npos || slash < base) {
        out->resize(base);
      } else {
        out->resize(slash);
      }
      continue;
    }
    if (out->size() > base || absolute) out->push_back('/');
    out->append(seg);
  }
  // Keep a trailing separator: "/.git/" and "/.git" are different requests to a router.
  const bool trailing = !in.empty() && (in.back() == '/' || in.back() == '\\');
  if ((trailing || out->size() == base) && absolute) out->push_back('/');
  if (out->size() > base + 1 && (*out)[out->size() - 1] == '/' && (*out)[out->size() - 2] == '/') {
    out->pop_back();
  }
}

// Byte-wise filters write through a pointer into a buffer sized for the worst case (output never
// exceeds input), then trim: no per-byte capacity checks on the hot path.
template <typename Filter>
void filter_bytes(std::string_view in, std::string* out, Filter&& f) {
  const size_t base = out->size();
  out->resize(base + in.size());
  char* w = out->data() + base;
  char* const start = w;
  f(in, w);
  out->resize(base + static_cast<size_t>(w - start));
}

void apply_one(Transform t, std::string_view in, bool plus_as_space, std::string* out) {
  switch (t) {
    case Transform::kLowercase:
      filter_bytes(in, out, [](std::string_view s, char*& w) {
        for (char c : s) *w++ = c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c;
      });
      return;
    case Transform::kUrlDecode:
      percent_decode_once(in, plus_as_space, out);
      return;
    case Transform::kHtmlDecode:
      html_decode_once(in, out);
      return;
    case Transform::kJsonUnescape:
      json_unescape_once(in, out);
      return;
    case Transform::kCompressWhitespace:
      filter_bytes(in, out, [](std::string_view s, char*& w) {
        bool in_space = false;
        for (char c : s) {
          if (is_space(c)) {
            if (!in_space) *w++ = ' ';
            in_space = true;
          } else {
            *w++ = c;
            in_space = false;
          }
        }
      });
      return;
    case Transform::kRemoveWhitespace:
      filter_bytes(in, out, [](std::string_view s, char*& w) {
        for (char c : s) {
          if (!is_space(c)) *w++ = c;
        }
      });
      return;
    case Transform::kRemoveNulls:
      filter_bytes(in, out, [](std::string_view s, char*& w) {
        for (char c : s) {
          if (c != '\0') *w++ = c;
        }
      });
      return;
    case Transform::kTrim: {
      size_t b = 0, e = in.size();
      while (b < e && is_space(in[b])) ++b;
      while (e > b && is_space(in[e - 1])) --e;
      out->append(in.substr(b, e - b));
      return;
    }
    case Transform::kNormalizePath:
      normalize_path(in, out);
      return;
  }
}

}  // namespace

std::string_view transform_name(Transform t) {
  for (const Named& n : kTransforms) {
    if (n.t == t) return n.name;
  }
  return "unknown";
}

std::optional<Transform> parse_transform(std::string_view name) {
  for (const Named& n : kTransforms) {
    if (n.name == name) return n.t;
  }
  return std::nullopt;
}

std::string_view transform_names() {
  return "lowercase, url_decode, html_decode, json_unescape, compress_whitespace, "
         "remove_whitespace, remove_nulls, trim, normalize_path";
}

std::string_view TransformScratch::apply(std::span<const Transform> chain, std::string_view in,
                                         bool plus_as_space) {
  std::string_view cur = in;
  bool into_a = true;
  for (Transform t : chain) {
    std::string& out = into_a ? a_ : b_;
    out.clear();
    // Only the first url_decode of a chain treats '+' as space: a '+' that decoding produced
    // (from %2B) is a literal plus (WHATWG urlencoded parsing).
    apply_one(t, cur, plus_as_space, &out);
    if (t == Transform::kUrlDecode) plus_as_space = false;
    cur = out;
    into_a = !into_a;
  }
  return cur;
}

}  // namespace portcullis::rules::custom
