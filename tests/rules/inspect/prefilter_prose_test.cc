// The sqli prefilter's plain-text rule: multi-word text of plain words, ',', '!', '-' and digit
// runs skips the detector; anything that could make SQL structure still runs it.
#include <gtest/gtest.h>

#include "rules/inspect/prefilter.h"
#include "rules/sqli/sqli_detector.h"

namespace portcullis::rules {
namespace {

bool sqli_kept(std::string_view s) {
  return (prefilter_detectors(s, detector_bit(Detector::kSqli)) & detector_bit(Detector::kSqli)) !=
         0;
}

TEST(PrefilterProse, PlainTextSkipsSqli) {
  for (std::string_view s : {"red shoes", "Leave at the door, thanks!", "A-12", "gift wrap please",
                             "size 42 red", "x-1-2 y"}) {
    EXPECT_FALSE(sqli_kept(s)) << s;
    EXPECT_FALSE(detect_sqli(s).has_value()) << s;  // the proof agrees with the detector
  }
}

TEST(PrefilterProse, StructureStillRunsSqli) {
  for (std::string_view s :
       {"1 or 1", "a and b", "x union select y", "1union select 1", "red--", "1-- ",
        "select name from users", "a order by 1", "abc 3pm", "x || y", "sleep(5)", "red shoes;"}) {
    EXPECT_TRUE(sqli_kept(s)) << s;
  }
}

}  // namespace
}  // namespace portcullis::rules
