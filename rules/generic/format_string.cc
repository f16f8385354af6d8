#include "rules/generic/format_string.h"

namespace portcullis::rules {
namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }

struct Spec {
  size_t end = 0;      // index after the conversion character
  bool write = false;  // %n family
  bool huge = false;   // width or precision >= 1000
};

// Parses one conversion specification at in[i] == '%' (C11 7.21.6.1 plus %@ and %q/%Z/%C/%S):
// [argnum$] [flags] [width|*[argnum$]] [.precision] [length] conversion.
bool parse_spec(std::string_view in, size_t i, Spec& out) {
  size_t k = i + 1;
  auto digits = [&](size_t& v) {
    size_t start = k;
    v = 0;
    while (k < in.size() && is_digit(in[k])) {
      if (v < 1000000) v = v * 10 + static_cast<size_t>(in[k] - '0');
      ++k;
    }
    return k > start;
  };
  size_t num = 0;
  size_t save = k;
  if (digits(num) && k < in.size() && in[k] == '$') {
    ++k;  // positional argument
  } else {
    k = save;
  }
  while (k < in.size() && (in[k] == '-' || in[k] == '+' || in[k] == ' ' || in[k] == '#' ||
                           in[k] == '0' || in[k] == '\'')) {
    ++k;
  }
  size_t width = 0, precision = 0;
  if (k < in.size() && in[k] == '*') {
    ++k;
    save = k;
    if (digits(num) && k < in.size() && in[k] == '$') {
      ++k;
    } else {
      k = save;
    }
  } else {
    digits(width);
  }
  if (k < in.size() && in[k] == '.') {
    ++k;
    if (k < in.size() && in[k] == '*') {
      ++k;
    } else {
      digits(precision);
    }
  }
  while (k < in.size() && (in[k] == 'h' || in[k] == 'l' || in[k] == 'L' || in[k] == 'q' ||
                           in[k] == 'j' || in[k] == 'z' || in[k] == 't')) {
    ++k;
  }
  if (k >= in.size()) return false;
  constexpr std::string_view kConversions = "diouxXeEfFgGaAcspnCS@";
  if (kConversions.find(in[k]) == std::string_view::npos) return false;
  out.write = in[k] == 'n';
  out.huge = width >= 1000 || precision >= 1000;
  out.end = k + 1;
  return true;
}

}  // namespace

std::optional<Finding> detect_format_string(std::string_view in) {
  size_t chain = 0;
  size_t last_end = 0;
  for (size_t i = in.find('%'); i != std::string_view::npos; i = in.find('%', i + 1)) {
    Spec s;
    if (!parse_spec(in, i, s)) continue;
    // `%n` glued to a word ("50%nice") is prose; a write conversion stands alone or ends a spec
    // with flags/width/positional parts.
    const bool bare_n = s.write && s.end == i + 2;
    const bool word_follows = s.end < in.size() && ((in[s.end] >= 'a' && in[s.end] <= 'z') ||
                                                    (in[s.end] >= 'A' && in[s.end] <= 'Z'));
    if (s.write && !(bare_n && word_follows)) {
      return make_finding(Detector::kGeneric, "format", "write conversion (%n)", "%n");
    }
    if (s.huge) return make_finding(Detector::kGeneric, "format", "huge field width", "%99999s");
    chain = (chain > 0 && i <= last_end + 1) ? chain + 1 : 1;
    last_end = s.end;
    if (chain >= 3)
      return make_finding(Detector::kGeneric, "format", "chain of conversions", "%x%x%x");
    i = s.end - 1;
  }
  return std::nullopt;
}

}  // namespace portcullis::rules
