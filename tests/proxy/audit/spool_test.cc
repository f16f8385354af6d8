#include "proxy/audit/spool.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>

namespace portcullis::audit {
namespace {

namespace fs = std::filesystem;

class SpoolTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/audit-spool-XXXXXX";
    dir_ = mkdtemp(tmpl);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::unique_ptr<Spool> Open(uint64_t seg = 4096, uint64_t max = 1 << 20) {
    Spool::Options o;
    o.dir = dir_ + "/sink";
    o.segment_bytes = seg;
    o.max_bytes = max;
    o.fsync = config::AuditFsync::kNever;
    auto s = Spool::open(o);
    EXPECT_TRUE(s.ok()) << (s.ok() ? "" : s.error().reason);
    return std::move(s.value());
  }
  static Record Rec(int i) {
    Record r;
    r.priority = static_cast<uint8_t>(i % 5);
    r.created_us = 1000 + i;
    r.json = "{\"n\":" + std::to_string(i) + ",\"pad\":\"" + std::string(100, 'x') + "\"}";
    return r;
  }
  size_t Segments() const {
    size_t n = 0;
    for (auto& e : fs::directory_iterator(dir_ + "/sink")) n += e.path().extension() == ".seg";
    return n;
  }
  std::string dir_;
};

TEST_F(SpoolTest, RotatesSegmentsAndReplaysInOrder) {
  auto s = Open();
  for (int i = 0; i < 200; ++i) ASSERT_TRUE(s->append(Rec(i)));
  ASSERT_TRUE(s->flush().ok());
  EXPECT_GT(Segments(), 5u);  // ~130 bytes/record, 4 KiB segments
  EXPECT_EQ(s->pending(), 200u);
  std::vector<Record> got;
  int next = 0;
  while (true) {
    got.clear();
    size_t n = s->read(37, got);
    if (n == 0) break;
    for (const Record& r : got) {
      EXPECT_EQ(r.json, Rec(next).json);
      EXPECT_EQ(r.priority, Rec(next).priority);
      EXPECT_EQ(r.created_us, Rec(next).created_us);
      ++next;
    }
    s->ack(n);
  }
  EXPECT_EQ(next, 200);
  EXPECT_TRUE(s->empty());
  EXPECT_EQ(Segments(), 0u);  // everything delivered: nothing left on disk
  EXPECT_EQ(s->bytes(), 0u);
}

TEST_F(SpoolTest, RewindResendsUnacknowledged) {
  auto s = Open();
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(s->append(Rec(i)));
  std::vector<Record> got;
  ASSERT_EQ(s->read(4, got), 4u);
  s->ack(2);
  s->rewind();
  got.clear();
  ASSERT_EQ(s->read(100, got), 8u);
  EXPECT_EQ(got.front().json, Rec(2).json);
  EXPECT_EQ(got.back().json, Rec(9).json);
}

TEST_F(SpoolTest, SurvivesRestartFromCursor) {
  {
    auto s = Open();
    for (int i = 0; i < 100; ++i) ASSERT_TRUE(s->append(Rec(i)));
    std::vector<Record> got;
    ASSERT_EQ(s->read(30, got), 30u);
    s->ack(30);
  }
  auto s = Open();
  EXPECT_EQ(s->pending(), 70u);
  std::vector<Record> got;
  ASSERT_EQ(s->read(1000, got), 70u);
  EXPECT_EQ(got.front().json, Rec(30).json);
  // Appends after a restart go after the old records.
  ASSERT_TRUE(s->append(Rec(100)));
  got.clear();
  ASSERT_EQ(s->read(1000, got), 1u);
  EXPECT_EQ(got.front().json, Rec(100).json);
}

TEST_F(SpoolTest, CorruptionIsDetectedAndSkipped) {
  {
    auto s = Open();
    for (int i = 0; i < 100; ++i) ASSERT_TRUE(s->append(Rec(i)));
  }
  // Flip one byte in the payload of the first record of the second segment.
  std::vector<fs::path> segs;
  for (auto& e : fs::directory_iterator(dir_ + "/sink")) {
    if (e.path().extension() == ".seg") segs.push_back(e.path());
  }
  std::sort(segs.begin(), segs.end());
  ASSERT_GE(segs.size(), 3u);
  FILE* f = fopen(segs[1].c_str(), "r+b");
  fseek(f, 30, SEEK_SET);
  fputc('#', f);
  fclose(f);
  auto s = Open();
  std::vector<Record> got;
  while (s->read(1000, got) > 0) {
  }
  EXPECT_GE(s->corrupt_records(), 1u);
  // Every record outside the damaged segment is still delivered, in order.
  ASSERT_GT(got.size(), 50u);
  EXPECT_LT(got.size(), 100u);
  int prev = -1;
  for (const Record& r : got) {
    int n = std::stoi(r.json.substr(5));
    EXPECT_GT(n, prev);
    prev = n;
  }
  EXPECT_EQ(prev, 99);
}

TEST_F(SpoolTest, TornTailIsCutAtOpen) {
  {
    auto s = Open(1 << 20);
    for (int i = 0; i < 5; ++i) ASSERT_TRUE(s->append(Rec(i)));
  }
  std::string seg;
  for (auto& e : fs::directory_iterator(dir_ + "/sink")) {
    if (e.path().extension() == ".seg") seg = e.path();
  }
  uintmax_t size = fs::file_size(seg);
  fs::resize_file(seg, size - 7);  // crash in the middle of the last record
  auto s = Open(1 << 20);
  EXPECT_EQ(s->pending(), 4u);
  ASSERT_TRUE(s->append(Rec(5)));
  std::vector<Record> got;
  ASSERT_EQ(s->read(100, got), 5u);
  EXPECT_EQ(got[3].json, Rec(3).json);
  EXPECT_EQ(got[4].json, Rec(5).json);
  EXPECT_EQ(s->corrupt_records(), 0u);
}

TEST_F(SpoolTest, SizeLimitRefusesAppends) {
  auto s = Open(4096, 2000);
  int ok = 0;
  for (int i = 0; i < 100; ++i) ok += s->append(Rec(i));
  EXPECT_GT(ok, 5);
  EXPECT_LT(ok, 20);
  EXPECT_LE(s->bytes(), 2000u);
}

}  // namespace
}  // namespace portcullis::audit
