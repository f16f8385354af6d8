// Which parts of a request head are inspected, and the walk over them: the path and query of the
// request-target, cookies, and the configured headers. Shared by the inspection stage and
// `portcullis explain --request`.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "proxy/http/request_parser.h"
#include "rules/inputs/extractor.h"

namespace portcullis::stages {

struct HeadSelection {
  bool path = true;
  bool cookies = true;
  std::span<const std::string> headers;  // lowercase names
};

// The value of the first header named `lower_name` (ASCII case-insensitive), or empty.
std::string_view find_header(const http::RequestHead& head, std::string_view lower_name);

// Path and query of the request-target (absolute-form "http://h/p?q" is reduced to "/p?q").
void split_target(std::string_view target, std::string_view* path, std::string_view* query);

rules::ExtractResult extract_head(const http::RequestHead& head, const HeadSelection& sel,
                                  rules::Extractor& extractor, rules::InputSink& sink);

}  // namespace portcullis::stages
