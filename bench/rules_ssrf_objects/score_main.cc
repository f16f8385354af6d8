// Scorer: prints per-file detection rates (attack-ssrf/nosql/proto) and false-positive rates
// (every benign file) of the SSRF, NoSQL and prototype-pollution detectors.
//   rules_ssrf_objects_score [corpus_dir] [-v]    (-v lists misses and false positives)
#include <simdjson.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "bench/rules_ssrf_objects/corpus_feed.h"

namespace fs = std::filesystem;
using portcullis::rules::corpus::evaluate_line;
using portcullis::rules::corpus::read_lines;
using portcullis::rules::corpus::Verdict;

namespace {

bool hit_for_class(const Verdict& v, const std::string& cls) {
  if (cls == "ssrf") return v.ssrf;
  if (cls == "nosql") return v.nosql;
  if (cls == "proto") return v.proto;
  return v.any();
}

// Zen's findHostnameInUserInput pairs: the input must be flagged when Zen finds the sink's
// hostname in it AND that hostname is internal (a proxy only blocks internal targets).
void score_zen_pairs(const fs::path& file, bool verbose, simdjson::dom::parser& parser) {
  simdjson::dom::parser line_parser;
  int must = 0, caught = 0, must_not = 0, flagged = 0;
  for (const std::string& line : read_lines(file.string())) {
    simdjson::dom::element e;
    if (line_parser.parse(line).get(e) != simdjson::SUCCESS) continue;
    std::string_view cls, input, context;
    if (e["class"].get(cls) || cls != "ssrf") continue;
    if (e["input"].get(input) || e["context"].get(context)) continue;
    bool expected = false;
    if (e["expected"].get(expected)) continue;
    // The sink hostname is internal when our own host classifier says so for a bare URL.
    std::string url = "http://" + std::string(context);
    bool internal = portcullis::rules::detect_ssrf(url).has_value();
    Verdict v = evaluate_line(std::string(input), parser);
    if (expected && internal) {
      ++must;
      caught += v.ssrf;
      if (!v.ssrf && verbose)
        std::printf("  MISS  zen-pair %s -> %s\n", std::string(input).c_str(),
                    std::string(context).c_str());
    } else if (!expected) {
      ++must_not;
      flagged += v.ssrf;
      if (v.ssrf && verbose)
        std::printf("  FP    zen-pair %s (sink %s): %s\n", std::string(input).c_str(),
                    std::string(context).c_str(), v.why.c_str());
    }
  }
  std::printf("%-44s %6d  detect %6.1f%%   (expected-false pairs flagged: %d/%d)\n",
              "aikido-zen/zen-pairs.jsonl [ssrf]", must, must ? 100.0 * caught / must : 0.0,
              flagged, must_not);
}

}  // namespace

int main(int argc, char** argv) {
  std::string dir = PORTCULLIS_SOURCE_DIR "/../shared/corpus";
  bool verbose = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "-v") {
      verbose = true;
    } else {
      dir = a;
    }
  }
  if (!fs::exists(dir)) {
    std::fprintf(stderr, "corpus not found: %s\n", dir.c_str());
    return 1;
  }
  std::vector<fs::path> files;
  for (auto& entry : fs::recursive_directory_iterator(dir)) {
    std::string name = entry.path().filename().string();
    if (name == "attack-ssrf.txt" || name == "attack-nosql.txt" || name == "attack-proto.txt" ||
        (name.rfind("benign-", 0) == 0 && entry.path().extension() == ".txt")) {
      files.push_back(entry.path());
    }
  }
  std::sort(files.begin(), files.end());
  simdjson::dom::parser parser;
  std::printf("%-44s %6s  %s\n", "file", "lines", "rate");
  for (const fs::path& f : files) {
    std::string rel = f.parent_path().filename().string() + "/" + f.filename().string();
    std::string name = f.filename().string();
    bool attack = name.rfind("attack-", 0) == 0;
    std::string cls = name.substr(name.find('-') + 1);
    cls = cls.substr(0, cls.find('.'));
    int n = 0, hits = 0, ssrf = 0, nosql = 0, proto = 0;
    std::vector<std::string> report;
    for (const std::string& line : read_lines(f.string())) {
      Verdict v = evaluate_line(line, parser);
      ++n;
      bool hit = attack ? hit_for_class(v, cls) : v.any();
      hits += hit;
      ssrf += v.ssrf;
      nosql += v.nosql;
      proto += v.proto;
      if (verbose && attack && !hit) report.push_back("  MISS  " + line);
      if (verbose && !attack && hit) report.push_back("  FP    " + line + "   <- " + v.why);
    }
    std::printf("%-44s %6d  %s %6.2f%%   (ssrf %d, nosql %d, proto %d)\n", rel.c_str(), n,
                attack ? "detect" : "FP    ", n ? 100.0 * hits / n : 0.0, ssrf, nosql, proto);
    for (const std::string& r : report) std::printf("%s\n", r.c_str());
  }
  fs::path pairs = fs::path(dir) / "aikido-zen" / "zen-pairs.jsonl";
  if (fs::exists(pairs)) score_zen_pairs(pairs, verbose, parser);
  return 0;
}
