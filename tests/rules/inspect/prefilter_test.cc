// The prefilter (and the per-request clean-text memo) must never change a verdict: every line
// of the corpus, decoded as a query value and as a key, gets exactly the same findings from the
// engine as from running every detector on the decoded text directly.
#include "rules/inspect/prefilter.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "rules/decode/decoder.h"
#include "rules/inspect/engine.h"
#include "tests/support/corpus/corpus.h"

namespace portcullis::rules {
namespace {

std::string describe(const Finding& f) {
  return std::string(detector_name(f.detector)) + "/" + std::string(f.context) + "/" +
         std::string(f.reason) + "/" + std::string(f.fingerprint());
}

constexpr Detector kValueDetectors[] = {Detector::kSqli, Detector::kShell,  Detector::kPath,
                                        Detector::kSsrf, Detector::kNosql,  Detector::kProto,
                                        Detector::kXss,  Detector::kGeneric};

TEST(Prefilter, PlainWordsSkipEveryDetector) {
  // Prose whose first word cannot start a command line.
  EXPECT_EQ(prefilter_detectors("gift wrap please", kAllDetectors), 0);
  // A one-label bare host without '.', '%', '[', non-ASCII or "lo" is no internal name.
  EXPECT_EQ(prefilter_detectors("shoes", kAllDetectors), 0);
  EXPECT_EQ(prefilter_detectors("", kAllDetectors), 0);
  // "desc" is a SQL keyword (ORDER BY x DESC): sqli must still see it.
  EXPECT_TRUE(prefilter_detectors("desc", kAllDetectors) & detector_bit(Detector::kSqli));
}

TEST(Prefilter, KeepsDetectorsThatNeedTheirBytes) {
  const DetectorSet all = kAllDetectors;
  EXPECT_TRUE(prefilter_detectors("shutdown", all) & detector_bit(Detector::kSqli));
  EXPECT_TRUE(prefilter_detectors("1 or 1=1", all) & detector_bit(Detector::kSqli));
  EXPECT_TRUE(prefilter_detectors("sleep 10", all) & detector_bit(Detector::kShell));
  EXPECT_TRUE(prefilter_detectors("Li4vLi4vZXRjL3Bhc3N3ZA==", all) & detector_bit(Detector::kPath));
  EXPECT_TRUE(prefilter_detectors("..0x2f..0x2fetc", all) & detector_bit(Detector::kPath));
  EXPECT_TRUE(prefilter_detectors("if exist c echo", all) & detector_bit(Detector::kShell));
  EXPECT_TRUE(prefilter_detectors("time ifconfig", all) & detector_bit(Detector::kShell));
  EXPECT_TRUE(prefilter_detectors("cat -n x", all) & detector_bit(Detector::kShell));
  EXPECT_TRUE(prefilter_detectors("a; Whoami.EXE", all) & detector_bit(Detector::kShell));
  EXPECT_TRUE(prefilter_detectors("x && /usr/bin/id", all) & detector_bit(Detector::kShell));
  EXPECT_TRUE(prefilter_detectors("a|Invoke-WebRequest x", all) & detector_bit(Detector::kShell));
  EXPECT_TRUE(prefilter_detectors("10.0.0.1", all) & detector_bit(Detector::kSsrf));
  EXPECT_TRUE(prefilter_detectors("LocalHost", all) & detector_bit(Detector::kSsrf));
  EXPECT_TRUE(prefilter_detectors("ip6-loopback", all) & detector_bit(Detector::kSsrf));
  EXPECT_TRUE(prefilter_detectors("http:2130706433", all) & detector_bit(Detector::kSsrf));
  EXPECT_TRUE(prefilter_detectors("//2130706433/x", all) & detector_bit(Detector::kSsrf));
  EXPECT_TRUE(prefilter_detectors("localhost/admin", all) & detector_bit(Detector::kSsrf));
  EXPECT_TRUE(prefilter_detectors("169.254.169.254/latest", all) & detector_bit(Detector::kSsrf));
  EXPECT_TRUE(prefilter_detectors("x onmouseover=alert(1)", all) & detector_bit(Detector::kXss));
  EXPECT_TRUE(prefilter_detectors("{{7*7}}", all) & detector_bit(Detector::kGeneric));
  EXPECT_TRUE(prefilter_detectors("$ne", all) & detector_bit(Detector::kNosql));
  EXPECT_TRUE(prefilter_detectors("a __proto__", all) & detector_bit(Detector::kProto));
  EXPECT_TRUE(prefilter_detectors("constructor[prototype]", all) & detector_bit(Detector::kProto));
  // Only candidates come back.
  EXPECT_EQ(prefilter_detectors("1 or 1=1", detector_bit(Detector::kPath)), 0);
}

// The prefilter drops a detector only where it is silent: these would-be look-alikes stay quiet.
TEST(Prefilter, DroppedDetectorsAreSilent) {
  for (std::string_view t : {"2130706433", "shoes", "abc123", "0x7f000001", "/search/results",
                             "Mozilla/5.0 (X11; Linux x86_64) Chrome/124.0"}) {
    EXPECT_FALSE(prefilter_detectors(t, kAllDetectors) & detector_bit(Detector::kSsrf)) << t;
    EXPECT_FALSE(run_detector(Detector::kSsrf, t).has_value()) << t;
  }
  for (std::string_view t :
       {"gift wrap please", "Sleepy cat, nice!", "make it 10 percent",
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0",
        "Tom & Jerry; the sequel (2024)"}) {
    EXPECT_FALSE(prefilter_detectors(t, kAllDetectors) & detector_bit(Detector::kShell)) << t;
    EXPECT_FALSE(run_detector(Detector::kShell, t).has_value()) << t;
  }
}

// Random texts built from the bytes and words the prefilter rules reason about (command names,
// separators, quotes, URL and path pieces, SQL, markup): whenever a detector is dropped, it is
// silent on that text. Fixed seed, so a failure reproduces.
TEST(Prefilter, RandomTextsDroppedDetectorsAreSilent) {
  static constexpr std::string_view kPieces[] = {
      "cat",
      "ls",
      "id",
      "sleep",
      "10",
      "if",
      "for",
      "exist",
      "time",
      "ifconfig",
      "/etc/passwd",
      "./x",
      "../..",
      "C:",
      "\\",
      "/",
      "Mozilla/5.0",
      "(",
      ")",
      ";",
      "&",
      "|",
      "&&",
      "||",
      "\n",
      " ",
      "  ",
      "-la",
      "x86_64",
      "whoami.exe",
      "Echo",
      "System",
      "'",
      "\"",
      "$",
      "`",
      "<",
      ">",
      "=",
      "==",
      "%",
      "{",
      "}",
      "?",
      "*",
      "[",
      "]",
      ":",
      "//",
      "http:",
      "localhost",
      "127.0.0.1",
      "10.0.0.1",
      "lo",
      "..",
      "0x2f",
      "~root",
      "__proto__",
      "constructor",
      ".",
      "prototype",
      "$ne",
      "!",
      "!=",
      "db.",
      "this.",
      "a",
      "b",
      "SELECT",
      "union",
      "or",
      "1=1",
      "--",
      "#",
      "/*",
      "*/",
      "<script>",
      "onerror=",
      "javascript:",
      "{{",
      "}}",
      "${",
      "<%",
      "%>",
      "\t",
      "@",
      "@@version",
      "_",
      "IF",
      "nohup",
      "nc",
      "bin/sh",
      "Linux",
      "alert",
      "eval",
      "0",
      "x",
      "Win64",
      "exec",
      "system(",
      "Invoke-WebRequest",
      "sys",
      "class",
      "proc",
      "self",
      "environ",
      ".htaccess",
      "etc",
      "shadow",
      "%2e",
  };
  uint64_t state = 0x9E3779B97F4A7C15ull;
  auto next = [&state] {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return state;
  };
  size_t dropped = 0;
  for (int n = 0; n < 60000; ++n) {
    std::string text;
    const size_t pieces = 1 + next() % 8;
    for (size_t k = 0; k < pieces; ++k) {
      text += kPieces[next() % std::size(kPieces)];
      if (next() % 3 == 0) text += ' ';
    }
    const DetectorSet kept = prefilter_detectors(text, kAllDetectors);
    for (Detector d : kValueDetectors) {
      if (kept & detector_bit(d)) continue;
      ++dropped;
      auto f = run_detector(d, text);
      EXPECT_FALSE(f.has_value()) << detector_name(d) << " dropped but fires on: " << text;
    }
  }
  EXPECT_GT(dropped, 100000u);  // the test exercises the rules, not just the no-op path
}

// Whole corpus: engine (prefilter + memo) == every detector run directly on the decoded text.
TEST(Prefilter, CorpusFindingsIdenticalWithAndWithoutPrefilter) {
  const std::string dir = corpus::corpus_dir();
  if (dir.empty()) GTEST_SKIP() << "corpus not found (set PORTCULLIS_CORPUS)";
  InspectionEngine engine;
  InspectionEngine reference_engine;
  InspectOptions on;
  InspectOptions off;
  off.prefilter = false;
  InputFindings got, ref;
  Decoder decoder;
  size_t lines = 0, skipped_runs = 0, runs = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir)) {
    if (!entry.is_regular_file() || entry.path().extension() != ".txt") continue;
    std::vector<std::string> file_lines;
    corpus::read_lines(entry.path().string(), file_lines);
    for (const std::string& line : file_lines) {
      ++lines;
      if (lines % 50 == 0) engine.begin_request();  // memo hits within a "request" too
      engine.inspect_query_value(line, on, got);
      // Reference: decode exactly like the engine, run every detector with no shortcut.
      DecodeOptions dopts;
      dopts.plus_as_space = true;
      dopts.max_input = on.max_input_bytes;
      Decoded d = decoder.decode(line, dopts);
      std::vector<std::string> want;
      for (Detector det : kValueDetectors) {
        if (auto f = run_detector(det, d.text)) want.push_back(describe(*f));
      }
      // A clean text that is base64 of printable text is inspected again as that text.
      std::string b64;
      if (want.empty() && base64_printable_text(d.text, b64)) {
        for (Detector det : kValueDetectors) {
          if (auto f = run_detector(det, b64)) {
            f->context = "base64";
            want.push_back(describe(*f));
          }
        }
      }
      const DetectorSet kept = prefilter_detectors(d.text, kAllDetectors);
      for (Detector det : kValueDetectors) {
        ++runs;
        if ((kept & detector_bit(det)) == 0) ++skipped_runs;
      }
      std::vector<std::string> have;
      for (uint8_t i = 0; i < got.count; ++i) have.push_back(describe(got.items[i]));
      ASSERT_EQ(have, want) << entry.path().filename() << ": " << line;
      // The engine with the prefilter off agrees too (same memo logic, no skipping).
      reference_engine.begin_request();
      reference_engine.inspect_query_value(line, off, ref);
      ASSERT_EQ(ref.count, got.count) << line;
    }
  }
  EXPECT_GT(lines, 10000u);
  // Attack corpora dominate, so most runs cannot be skipped; the prefilter still must act.
  EXPECT_GT(skipped_runs, 0u);
  std::printf("corpus lines %zu, detector runs skipped by the prefilter: %zu of %zu\n", lines,
              skipped_runs, runs);
}

}  // namespace
}  // namespace portcullis::rules
