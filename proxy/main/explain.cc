#include "proxy/main/explain.h"

#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "proxy/config/inspection_config.h"
#include "proxy/http/request_parser.h"
#include "proxy/stages/inspection/head_inputs.h"
#include "rules/inputs/extractor.h"
#include "rules/inspect/engine.h"
#include "rules/inspect/explain.h"

namespace portcullis::explain {
namespace {

int usage() {
  std::fprintf(stderr,
               "usage: portcullis explain [--detector NAME] INPUT\n"
               "       portcullis explain [--detector NAME] [--all] --request FILE\n"
               "detectors: sqli shell path ssrf nosql proto xss generic\n");
  return 2;
}

// Prints the explanation of every input (or only the flagged ones) as extraction finds them.
class ExplainSink : public rules::InputSink {
 public:
  ExplainSink(rules::DetectorSet which, bool all) : which_(which), all_(all) {}
  bool on_input(const rules::Input& in) override {
    ++inputs_;
    std::string text;
    bool hit = rules::explain_input(in, which_, text);
    if (hit) ++flagged_;
    if (hit || all_) std::fputs((text + "\n").c_str(), stdout);
    return true;
  }
  int inputs_ = 0;
  int flagged_ = 0;

 private:
  rules::DetectorSet which_;
  bool all_;
};

int explain_request(const std::string& file, rules::DetectorSet which, bool all) {
  std::ifstream f(file, std::ios::binary);
  if (!f) {
    std::fprintf(stderr, "portcullis explain: cannot read %s\n", file.c_str());
    return 2;
  }
  std::stringstream ss;
  ss << f.rdbuf();
  std::string raw = ss.str();
  if (raw.size() > (16u << 20)) {
    std::fprintf(stderr, "portcullis explain: %s is larger than 16 MiB\n", file.c_str());
    return 2;
  }
  // Hand-written request files usually have bare LF line ends: the strict parser wants CRLF.
  size_t head_end = raw.find("\r\n\r\n");
  if (head_end == std::string::npos) {
    size_t lf_end = raw.find("\n\n");
    std::string head = raw.substr(0, lf_end == std::string::npos ? raw.size() : lf_end);
    std::string body = lf_end == std::string::npos ? "" : raw.substr(lf_end + 2);
    std::string fixed;
    for (char c : head) {
      if (c == '\n') fixed += '\r';
      fixed += c;
    }
    if (!fixed.empty() && fixed.back() == '\r') fixed.pop_back();
    raw = fixed + "\r\n\r\n" + body;
  }
  http::ParseLimits limits;
  limits.max_head_bytes = 1 << 20;
  limits.max_headers = 1000;
  limits.max_target_bytes = 1 << 20;
  std::vector<http::Header> headers(1000);
  http::RequestHead head;
  http::ParseError err;
  http::ParseStatus st = http::parse_request(raw, limits, headers.data(),
                                             static_cast<uint32_t>(headers.size()), head, err);
  if (st != http::ParseStatus::kComplete) {
    std::fprintf(stderr, "portcullis explain: %s: not a complete HTTP request: %d %.*s\n",
                 file.c_str(), st == http::ParseStatus::kError ? err.status : 0,
                 static_cast<int>(err.reason.size()), err.reason.data());
    return 2;
  }
  std::string_view body = std::string_view(raw).substr(head.head_bytes);
  if (head.framing == http::BodyFraming::kContentLength && body.size() > head.content_length) {
    body = body.substr(0, head.content_length);
  }
  config::InspectionConfig defaults;
  rules::Extractor extractor;
  rules::ExtractLimits el;
  el.max_inputs = 100000;
  el.max_depth = defaults.max_depth;
  el.inspect_file_contents = true;
  extractor.reset(el);
  ExplainSink sink(which, all);
  stages::HeadSelection sel{true, true, defaults.headers};
  std::printf("request %.*s %.*s\n\n", static_cast<int>(head.method.size()), head.method.data(),
              static_cast<int>(head.target.size()), head.target.data());
  stages::extract_head(head, sel, extractor, sink);
  rules::BodyType type = rules::classify_body(stages::find_header(head, "content-type"));
  if (!body.empty() && type.kind == rules::BodyKind::kNone) {
    std::printf(
        "(body of %zu bytes not inspected: content type is not form, JSON or "
        "multipart)\n\n",
        body.size());
  }
  rules::ExtractResult r = extractor.body(type, body, false, sink);
  if (r.has(rules::kExtractTooDeep)) {
    std::printf("JSON deeper than max_depth %u: blocked by default (inspection.on_max_depth)\n",
                defaults.max_depth);
  }
  if (r.has(rules::kExtractMalformed)) std::printf("(body did not parse to the end)\n");
  std::printf("%d input(s), %d flagged%s\n", sink.inputs_, sink.flagged_,
              all ? "" : " (use --all to show every input)");
  return sink.flagged_ > 0 ? 1 : 0;
}

}  // namespace

int run_explain(int argc, char** argv) {
  rules::DetectorSet which = rules::kAllDetectors;
  std::string request_file;
  std::string input;
  bool have_input = false;
  bool all = false;
  for (int i = 0; i < argc; ++i) {
    std::string_view a = argv[i];
    if (a == "--detector" && i + 1 < argc) {
      auto d = rules::detector_from_name(argv[++i]);
      if (!d) {
        std::fprintf(stderr, "portcullis explain: unknown detector '%s'\n", argv[i]);
        return usage();
      }
      which = (which == rules::kAllDetectors ? 0 : which) | rules::detector_bit(*d);
    } else if (a == "--request" && i + 1 < argc) {
      request_file = argv[++i];
    } else if (a == "--all") {
      all = true;
    } else if (a == "-h" || a == "--help") {
      usage();
      return 0;
    } else if (a == "--") {
      if (i + 1 < argc) {
        input = argv[++i];
        have_input = true;
      }
    } else if (!have_input && (a.empty() || a[0] != '-' || a.size() == 1)) {
      input = std::string(a);
      have_input = true;
    } else if (!have_input) {
      // Inputs may start with '-' ("-1 OR 1=1"): anything not an option is the input.
      input = std::string(a);
      have_input = true;
    } else {
      return usage();
    }
  }
  if (!request_file.empty()) return explain_request(request_file, which, all);
  if (!have_input) return usage();
  rules::Input in;
  in.source = rules::InputSource::kQuery;
  in.plus_as_space = true;
  in.location = "query:input";
  in.raw = input;
  std::string out;
  bool hit = rules::explain_input(in, which, out);
  out += hit ? "verdict: FLAGGED\n" : "verdict: not flagged\n";
  std::fputs(out.c_str(), stdout);
  return hit ? 1 : 0;
}

}  // namespace portcullis::explain
