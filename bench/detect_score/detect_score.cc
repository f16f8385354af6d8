// detect_score: how much of the corpus the inspection engine catches, and how much harmless text
// it blocks. Per source and file (class): detection rate on attack-*.txt, false-positive rate on
// benign-*.txt (ANY detector firing on a benign line counts), and per-source macro averages over
// classes, as a Markdown table.
//   detect_score [--corpus DIR] [--dump DIR]         library mode: each line is a query-parameter
//                                                   value as it arrives on the wire (the engine
//                                                   decodes it)
//   detect_score --findings FILE                    library mode, and also writes every finding of
//                                                   every line (as a query value, a JSON string
//                                                   and a JSON key) to FILE: the byte-exact proof
//                                                   that a speed change leaves verdicts alone
//   detect_score --proxy HOST:PORT [--corpus DIR]    proxy mode: each sampled line (600 per file,
//                                                   2,000 for fortunes-prose) is sent as a query
//                                                   parameter, a form field and a JSON string
//                                                   field; a 403 counts as blocked
// --dump DIR writes the misses and false positives of each file for triage (proxy mode: a miss is
// an attack line not blocked in all three locations, with the locations that did block: q, f, j).
#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "bench/detect_score/proxy_client.h"
#include "rules/inspect/engine.h"
#include "rules/inspect/explain.h"
#include "tests/support/corpus/corpus.h"

namespace {

using portcullis::corpus::CorpusFile;

struct FileScore {
  const CorpusFile* file = nullptr;
  size_t trials = 0;
  size_t flagged = 0;
  std::array<size_t, 8> by_detector{};
  std::array<size_t, 3> by_location{};  // proxy mode: query, form, json
  double rate() const { return trials == 0 ? 0 : 100.0 * flagged / trials; }
};

std::string detectors_text(const FileScore& s) {
  std::string out;
  for (size_t i = 0; i < s.by_detector.size(); ++i) {
    if (s.by_detector[i] == 0) continue;
    if (!out.empty()) out += ", ";
    out +=
        std::string(portcullis::rules::detector_name(static_cast<portcullis::rules::Detector>(i))) +
        " " + std::to_string(s.by_detector[i]);
  }
  return out.empty() ? "-" : out;
}

void print_tables(const std::vector<FileScore>& scores, bool proxy) {
  std::printf(
      "| source | file | %s | flagged | rate | %s |\n| --- | --- | ---: | ---: | ---: | --- |\n",
      proxy ? "requests" : "lines",
      proxy ? "blocked as query / form / json" : "detectors that fired");
  for (const FileScore& s : scores) {
    std::string extra = proxy ? std::to_string(s.by_location[0]) + " / " +
                                    std::to_string(s.by_location[1]) + " / " +
                                    std::to_string(s.by_location[2])
                              : detectors_text(s);
    std::printf("| %s | %s | %zu | %zu | %.1f%% | %s |\n", s.file->folder.c_str(),
                s.file->name.c_str(), s.trials, s.flagged, s.rate(), extra.c_str());
  }
  std::printf(
      "\n| source | macro detection | macro false positives | classes |\n| --- | ---: | ---: | --- "
      "|\n");
  std::map<std::string, std::vector<const FileScore*>> by_source;
  for (const FileScore& s : scores) by_source[s.file->folder].push_back(&s);
  for (const auto& [source, list] : by_source) {
    double det = 0, fp = 0;
    int na = 0, nb = 0;
    std::string classes;
    for (const FileScore* s : list) {
      if (s->file->attack) {
        det += s->rate();
        ++na;
      } else {
        fp += s->rate();
        ++nb;
      }
      char buf[64];
      std::snprintf(buf, sizeof(buf), "%s%s %s %.1f%%", classes.empty() ? "" : ", ",
                    s->file->attack ? "atk" : "ben", s->file->cls.c_str(), s->rate());
      classes += buf;
    }
    char d[16] = "—", f[16] = "—";
    if (na > 0) std::snprintf(d, sizeof(d), "%.1f%%", det / na);
    if (nb > 0) std::snprintf(f, sizeof(f), "%.2f%%", fp / nb);
    std::printf("| %s | %s | %s | %s |\n", source.c_str(), d, f, classes.c_str());
  }
}

// One line per corpus line and placement: every finding with its context, reason and fingerprint.
void write_findings(const std::vector<CorpusFile>& files, const std::string& path) {
  using namespace portcullis::rules;
  InspectionEngine engine;
  InputFindings findings;
  InspectOptions opts;
  std::ofstream out(path);
  for (const CorpusFile& f : files) {
    for (const std::string& line : f.lines) {
      Input inputs[3];
      inputs[0].source = InputSource::kQuery;
      inputs[0].plus_as_space = true;
      inputs[1].source = InputSource::kJson;
      inputs[2].source = InputSource::kJson;
      inputs[2].is_key = true;
      for (int k = 0; k < 3; ++k) {
        inputs[k].raw = line;
        engine.begin_request();
        uint8_t n = engine.inspect(inputs[k], opts, findings);
        if (n == 0) continue;
        out << f.folder << "/" << f.name << "\t" << k << "\t" << printable(line, 120);
        for (uint8_t i = 0; i < n; ++i) {
          const Finding& x = findings.items[i];
          out << "\t" << detector_name(x.detector) << "|" << x.context << "|" << x.reason << "|"
              << x.fingerprint();
        }
        out << "\n";
      }
    }
  }
}

std::vector<FileScore> score_library(const std::vector<CorpusFile>& files,
                                     const std::string& dump) {
  portcullis::rules::InspectionEngine engine;
  portcullis::rules::InputFindings findings;
  portcullis::rules::InspectOptions opts;
  std::vector<FileScore> scores;
  for (const CorpusFile& f : files) {
    FileScore s;
    s.file = &f;
    std::ofstream out;
    if (!dump.empty()) out.open(dump + "/" + f.folder + "." + f.name);
    for (const std::string& line : f.lines) {
      ++s.trials;
      uint8_t n = engine.inspect_query_value(line, opts, findings);
      if (n > 0) ++s.flagged;
      for (uint8_t i = 0; i < n; ++i)
        ++s.by_detector[static_cast<size_t>(findings.items[i].detector)];
      if (!out.is_open()) continue;
      if (f.attack && n == 0) out << "MISS\t" << portcullis::rules::printable(line, 300) << "\n";
      if (!f.attack && n > 0) {
        out << "FP\t" << portcullis::rules::detector_name(findings.items[0].detector) << "\t"
            << findings.items[0].reason << "\t" << portcullis::rules::printable(line, 300) << "\n";
      }
    }
    scores.push_back(s);
  }
  return scores;
}

std::string pct_encode(const std::string& s) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

std::string json_escape(const std::string& s) {
  std::string out;
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "\\u%04x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

constexpr const char* kBrowserHeaders =
    "Host: app.example\r\n"
    "User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0\r\n"
    "Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8\r\n"
    "Accept-Language: en-US,en;q=0.5\r\n";

std::vector<FileScore> score_proxy(const std::vector<CorpusFile>& files, const std::string& host,
                                   uint16_t port, const std::string& dump) {
  portcullis::bench::ProxyClient client(host, port);
  std::vector<FileScore> scores;
  for (const CorpusFile& f : files) {
    FileScore s;
    s.file = &f;
    size_t max = f.folder == "fortunes-prose" ? 2000 : 600;
    std::ofstream out;
    if (!dump.empty()) out.open(dump + "/" + f.folder + "." + f.name);
    for (const std::string* line : portcullis::corpus::sample(f, max)) {
      char where[4] = "---";  // q, f, j: blocked as query / form / JSON field
      const std::string enc = pct_encode(*line);
      const std::string form = "q=" + enc;
      const std::string json = "{\"q\":\"" + json_escape(*line) + "\"}";
      const std::string reqs[3] = {
          "GET /search?q=" + enc + " HTTP/1.1\r\n" + kBrowserHeaders + "\r\n",
          "POST /submit HTTP/1.1\r\n" + std::string(kBrowserHeaders) +
              "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: " +
              std::to_string(form.size()) + "\r\n\r\n" + form,
          "POST /api HTTP/1.1\r\n" + std::string(kBrowserHeaders) +
              "Content-Type: application/json\r\nContent-Length: " + std::to_string(json.size()) +
              "\r\n\r\n" + json,
      };
      for (int i = 0; i < 3; ++i) {
        int status = client.send(reqs[i]);
        ++s.trials;
        if (status == 403) {
          ++s.flagged;
          ++s.by_location[i];
          where[i] = "qfj"[i];
        } else if (status < 0) {
          std::fprintf(stderr, "detect_score: no response from %s:%u\n", host.c_str(), port);
          std::exit(2);
        }
      }
      const bool all = std::strcmp(where, "qfj") == 0, none = std::strcmp(where, "---") == 0;
      if (out.is_open() && (f.attack ? !all : !none))
        out << (f.attack ? "MISS\t" : "FP\t") << where << "\t"
            << portcullis::rules::printable(*line, 300) << "\n";
    }
    scores.push_back(s);
    std::fprintf(stderr, "%s/%s: %.1f%%\n", f.folder.c_str(), f.name.c_str(), s.rate());
  }
  return scores;
}

}  // namespace

int main(int argc, char** argv) {
  std::string corpus, proxy, dump, findings;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--corpus") == 0 && i + 1 < argc)
      corpus = argv[++i];
    else if (std::strcmp(argv[i], "--proxy") == 0 && i + 1 < argc)
      proxy = argv[++i];
    else if (std::strcmp(argv[i], "--dump") == 0 && i + 1 < argc)
      dump = argv[++i];
    else if (std::strcmp(argv[i], "--findings") == 0 && i + 1 < argc)
      findings = argv[++i];
    else {
      std::fprintf(stderr,
                   "usage: detect_score [--corpus DIR] [--dump DIR] [--findings FILE] [--proxy "
                   "HOST:PORT]\n");
      return 2;
    }
  }
  if (corpus.empty()) corpus = portcullis::corpus::corpus_dir();
  if (corpus.empty()) {
    std::fprintf(stderr, "detect_score: corpus not found (set PORTCULLIS_CORPUS)\n");
    return 2;
  }
  std::vector<CorpusFile> files = portcullis::corpus::load_corpus(corpus);
  if (!dump.empty()) std::filesystem::create_directories(dump);
  auto t0 = std::chrono::steady_clock::now();
  std::vector<FileScore> scores;
  if (proxy.empty()) {
    std::printf("## Library mode (every line as a query-parameter value)\n\n");
    scores = score_library(files, dump);
    if (!findings.empty()) write_findings(files, findings);
  } else {
    size_t colon = proxy.rfind(':');
    std::string host = proxy.substr(0, colon);
    if (host == "localhost") host = "127.0.0.1";
    std::printf("## Proxy mode (%s; query, form and JSON field per input; 403 = blocked)\n\n",
                proxy.c_str());
    scores =
        score_proxy(files, host, static_cast<uint16_t>(std::atoi(proxy.c_str() + colon + 1)), dump);
  }
  print_tables(scores, !proxy.empty());
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("\n(%.1f s)\n", secs);
  return 0;
}
