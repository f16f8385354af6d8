#include "rules/objects/bracket_key.h"

namespace portcullis::rules {
namespace {

// Appends a segment; when only one slot is left, the rest of the key becomes that segment.
bool push(BracketKey& k, std::string_view seg, std::string_view key, size_t rest_from) {
  if (k.count + 1 == BracketKey::kMaxSegments && rest_from < key.size()) {
    k.segments[k.count++] = key.substr(rest_from);
    k.truncated = true;
    return false;
  }
  k.segments[k.count++] = seg;
  return true;
}

}  // namespace

BracketKey parse_bracket_key(std::string_view key, bool split_dots) {
  BracketKey k;
  size_t i = 0;
  // Root: up to the first '[' (or '.', with split_dots).
  size_t start = 0;
  while (i < key.size()) {
    char c = key[i];
    if (c == '[') break;
    if (split_dots && c == '.') {
      if (!push(k, key.substr(start, i - start), key, start)) return k;
      start = i + 1;
    }
    ++i;
  }
  if (!push(k, key.substr(start, i - start), key, start)) return k;
  while (i < key.size()) {
    char c = key[i];
    if (c == '[') {
      size_t close = key.find(']', i + 1);
      if (close == std::string_view::npos) {
        k.malformed = true;  // PHP keeps "a[b" flat; we still expose "b" to the detectors
        push(k, key.substr(i + 1), key, i);
        return k;
      }
      if (!push(k, key.substr(i + 1, close - i - 1), key, i)) return k;
      i = close + 1;
    } else if (split_dots && c == '.') {
      size_t j = i + 1;
      while (j < key.size() && key[j] != '[' && key[j] != '.') ++j;
      if (!push(k, key.substr(i + 1, j - i - 1), key, i)) return k;
      i = j;
    } else {
      // Text after a ']' that is not a new segment ("a[b]c"): qs keeps it in the key.
      k.malformed = true;
      size_t j = i;
      while (j < key.size() && key[j] != '[') ++j;
      if (!push(k, key.substr(i, j - i), key, i)) return k;
      i = j;
    }
  }
  return k;
}

}  // namespace portcullis::rules
