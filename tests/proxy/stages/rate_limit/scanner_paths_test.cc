#include "proxy/stages/rate_limit/scanner_paths.h"

#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <vector>

namespace portcullis::rate_limit {
namespace {

TEST(ScannerPaths, DataFile) {
  auto sp = ScannerPaths::build({});
  ASSERT_TRUE(sp.ok()) << sp.error().reason;
  std::ifstream in(PORTCULLIS_SOURCE_DIR "/tests/proxy/stages/rate_limit/scanner_paths.txt");
  ASSERT_TRUE(in.good());
  std::string line;
  int cases = 0;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    bool expected = line[0] == '1';
    std::string path = line.substr(2);
    EXPECT_EQ(sp->matches(path), expected) << path;
    ++cases;
  }
  EXPECT_GT(cases, 20);
}

TEST(ScannerPaths, ExtraPatternsAndGrammar) {
  std::vector<std::string> extra = {"internal-admin", "*.inc", "/debug/vars"};
  auto sp = ScannerPaths::build(extra);
  ASSERT_TRUE(sp.ok());
  EXPECT_TRUE(sp->matches("/x/Internal-Admin/y"));
  EXPECT_TRUE(sp->matches("/lib/db.INC"));
  EXPECT_TRUE(sp->matches("/debug/vars"));
  EXPECT_TRUE(sp->matches("/debug/vars/x"));
  EXPECT_FALSE(sp->matches("/debug/variables"));
  EXPECT_FALSE(ScannerPaths::build(std::vector<std::string>{"a/b"}).ok());
  EXPECT_FALSE(ScannerPaths::build(std::vector<std::string>{"*"}).ok());
  EXPECT_FALSE(ScannerPaths::build(std::vector<std::string>{"*/x"}).ok());
  EXPECT_FALSE(ScannerPaths::build(std::vector<std::string>{""}).ok());
}

TEST(ScannerPaths, CoversMostOfAikidoZenScannerLists) {
  // The shipped list is a generalisation (segments + extensions), not a copy: it should still
  // recognise most of the real scanner file names.
  std::ifstream in(PORTCULLIS_SOURCE_DIR "/../shared/corpus/aikido-zen/scanner-filenames.txt");
  if (!in.good()) GTEST_SKIP() << "shared corpus not present";
  auto sp = ScannerPaths::build({});
  ASSERT_TRUE(sp.ok());
  std::string name;
  int total = 0, hit = 0;
  while (std::getline(in, name)) {
    if (name.empty()) continue;
    ++total;
    if (sp->matches("/" + name)) ++hit;
  }
  ASSERT_GT(total, 100);
  std::printf("scanner-filenames covered: %d / %d\n", hit, total);
  EXPECT_GT(hit * 100 / total, 80);  // the rest are config.json|txt|xml: page assets
}

}  // namespace
}  // namespace portcullis::rate_limit
