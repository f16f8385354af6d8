#include "proxy/stages/inspection/head_inputs.h"

namespace portcullis::stages {
namespace {

// ASCII case folding: field names are tokens (RFC 9110 5.1); std::tolower is a locale-aware
// libc call per byte, for every header of every request.
bool name_equals(std::string_view name, std::string_view lower) {
  if (name.size() != lower.size()) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
    if (c != lower[i]) return false;
  }
  return true;
}

}  // namespace

std::string_view find_header(const http::RequestHead& head, std::string_view lower_name) {
  for (uint32_t i = 0; i < head.num_headers; ++i) {
    if (name_equals(head.headers[i].name, lower_name)) return head.headers[i].value;
  }
  return {};
}

void split_target(std::string_view target, std::string_view* path, std::string_view* query) {
  if (size_t scheme = target.find("://"); scheme != std::string_view::npos && target[0] != '/') {
    size_t slash = target.find('/', scheme + 3);
    target = slash == std::string_view::npos ? std::string_view("/") : target.substr(slash);
  }
  size_t q = target.find('?');
  *path = target.substr(0, q);
  *query = q == std::string_view::npos ? std::string_view{} : target.substr(q + 1);
}

rules::ExtractResult extract_head(const http::RequestHead& head, const HeadSelection& sel,
                                  rules::Extractor& extractor, rules::InputSink& sink) {
  rules::ExtractResult total;
  auto merge = [&](rules::ExtractResult r) {
    total.flags |= r.flags;
    return (r.flags & (rules::kExtractTooManyInputs | rules::kExtractStopped)) == 0;
  };
  std::string_view path, query;
  split_target(head.target, &path, &query);
  if (!query.empty() && !merge(extractor.query(query, rules::InputSource::kQuery, sink))) {
    return total;
  }
  if (sel.path && !merge(extractor.path(path, sink))) return total;
  if (sel.cookies) {
    // RFC 6265 5.4: a user agent sends one Cookie header, but HTTP/1.1 clients may send several.
    for (uint32_t i = 0; i < head.num_headers; ++i) {
      if (!name_equals(head.headers[i].name, "cookie")) continue;
      if (!merge(extractor.cookies(head.headers[i].value, sink))) return total;
    }
  }
  for (const std::string& name : sel.headers) {
    for (uint32_t i = 0; i < head.num_headers; ++i) {
      if (!name_equals(head.headers[i].name, name)) continue;
      if (!merge(extractor.header(name, head.headers[i].value, sink))) return total;
    }
  }
  return total;
}

}  // namespace portcullis::stages
