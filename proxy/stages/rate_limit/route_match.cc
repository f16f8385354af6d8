#include "proxy/stages/rate_limit/route_match.h"

#include <algorithm>

namespace portcullis::rate_limit {
namespace {

int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool unreserved(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

}  // namespace

RouteMatch::RouteMatch(std::vector<std::string> methods, std::string path_pattern)
    : methods_(std::move(methods)) {
  if (path_pattern == "*") {
    any_ = true;
  } else if (!path_pattern.empty() && path_pattern.back() == '*') {
    prefix_ = true;
    path_pattern.pop_back();
    if (path_pattern.size() > 1 && path_pattern.back() == '/') path_pattern.pop_back();
  }
  pattern_ = std::move(path_pattern);
}

bool RouteMatch::matches(std::string_view method, std::string_view path) const {
  if (!methods_.empty() && std::find(methods_.begin(), methods_.end(), method) == methods_.end()) {
    return false;
  }
  if (any_) return true;
  if (!prefix_) return path == pattern_;
  if (pattern_ == "/") return true;
  if (path.substr(0, pattern_.size()) != pattern_) return false;
  return path.size() == pattern_.size() || path[pattern_.size()] == '/';
}

size_t normalize_path(std::string_view target, char* out, size_t cap) {
  size_t end = target.find_first_of("?#");
  std::string_view path = target.substr(0, end);
  if (cap == 0) return 0;
  size_t n = 0;
  auto put = [&](char c) {
    if (n < cap) out[n++] = c;
  };
  // absolute-form targets ("http://host/path") are reduced to their path.
  if (!path.empty() && path.front() != '/') {
    size_t scheme = path.find("://");
    if (scheme != std::string_view::npos) {
      size_t slash = path.find('/', scheme + 3);
      path = slash == std::string_view::npos ? std::string_view("/") : path.substr(slash);
    }
  }
  put('/');
  size_t i = 0;
  while (i < path.size()) {
    // One segment: decode unreserved %XX, then resolve "." and "..".
    while (i < path.size() && path[i] == '/') ++i;
    if (i >= path.size()) break;
    size_t seg_start = n;
    while (i < path.size() && path[i] != '/') {
      char c = path[i];
      if (c == '%' && i + 2 < path.size() && hexval(path[i + 1]) >= 0 && hexval(path[i + 2]) >= 0) {
        unsigned char d =
            static_cast<unsigned char>(hexval(path[i + 1]) * 16 + hexval(path[i + 2]));
        if (unreserved(d)) {
          put(static_cast<char>(d));
          i += 3;
          continue;
        }
      }
      put(c);
      ++i;
    }
    std::string_view seg(out + seg_start, n - seg_start);
    if (seg == ".") {
      n = seg_start;
    } else if (seg == "..") {
      n = seg_start;
      // drop the previous segment (and its '/')
      if (n >= 2) {
        size_t k = n - 1;  // out[k] == '/'
        while (k > 0 && out[k - 1] != '/') --k;
        n = k;
      }
    } else {
      put('/');
    }
  }
  // Drop the trailing '/' we added after the last segment unless the input ended with '/'.
  if (n > 1 && out[n - 1] == '/' && !(path.size() > 0 && path.back() == '/')) --n;
  return n;
}

}  // namespace portcullis::rate_limit
