// The header-value memo (InspectionEngine::StableCleanSet) outlives requests: it must never
// change a verdict. Every corpus line inspected as a header value, in one long-lived engine that
// has already seen the whole corpus once (so clean texts are remembered, colliding ones evicted),
// gets exactly the findings of a fresh engine that has never seen it.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "rules/inspect/engine.h"
#include "tests/support/corpus/corpus.h"

namespace portcullis::rules {
namespace {

std::string describe(uint8_t n, const InputFindings& f) {
  std::string out = std::to_string(n);
  for (uint8_t i = 0; i < n; ++i) {
    const Finding& x = f.items[i];
    out += " " + std::string(detector_name(x.detector)) + "/" + std::string(x.context) + "/" +
           std::string(x.reason) + "/" + std::string(x.fingerprint());
  }
  return out;
}

uint8_t inspect_header(InspectionEngine& e, std::string_view raw, DetectorSet enabled,
                       InputFindings& out) {
  Input in;
  in.source = InputSource::kHeader;
  in.location = "header:user-agent";
  in.raw = raw;
  InspectOptions opts;
  opts.enabled = enabled;
  e.begin_request();
  return e.inspect(in, opts, out);
}

TEST(HeaderMemo, RepeatedHeaderValuesKeepTheirVerdicts) {
  const std::string dir = corpus::corpus_dir();
  if (dir.empty()) GTEST_SKIP() << "corpus not found";
  std::vector<corpus::CorpusFile> files = corpus::load_corpus(dir);
  ASSERT_FALSE(files.empty());
  InspectionEngine warm;
  InputFindings f1, f2;
  size_t lines = 0, flagged = 0;
  for (int pass = 0; pass < 2; ++pass) {
    for (const corpus::CorpusFile& file : files) {
      for (const std::string* line : corpus::sample(file, 400)) {
        // A subset first, then every detector: a memo entry for a subset must not answer for
        // a larger set.
        for (DetectorSet set : {static_cast<DetectorSet>(detector_bit(Detector::kSqli) |
                                                         detector_bit(Detector::kXss)),
                                kAllDetectors}) {
          uint8_t n1 = inspect_header(warm, *line, set, f1);
          InspectionEngine fresh;
          uint8_t n2 = inspect_header(fresh, *line, set, f2);
          ASSERT_EQ(describe(n1, f1), describe(n2, f2))
              << file.folder << "/" << file.name << ": " << *line;
          if (pass == 1 && set == kAllDetectors) {
            ++lines;
            flagged += n1 != 0;
          }
        }
      }
    }
  }
  EXPECT_GT(lines, 1000u);
  EXPECT_GT(flagged, 100u);  // attack lines stay flagged on the second pass
}

TEST(HeaderMemo, SameTextCleanThenHostile) {
  InspectionEngine e;
  InputFindings f;
  const std::string ua = "Mozilla/5.0 (X11; Linux x86_64) Chrome/124.0";
  for (int i = 0; i < 3; ++i) EXPECT_EQ(inspect_header(e, ua, kAllDetectors, f), 0);
  // A hostile value is never remembered as clean, however often it repeats.
  for (int i = 0; i < 3; ++i) {
    EXPECT_GT(inspect_header(e, "' OR 1=1 --", kAllDetectors, f), 0);
    EXPECT_GT(inspect_header(e, "<script>alert(1)</script>", kAllDetectors, f), 0);
  }
  // Clean for sqli alone says nothing about xss.
  EXPECT_EQ(inspect_header(e, "<img src=x onerror=alert(1)>", detector_bit(Detector::kSqli), f), 0);
  EXPECT_GT(inspect_header(e, "<img src=x onerror=alert(1)>", kAllDetectors, f), 0);
}

}  // namespace
}  // namespace portcullis::rules
