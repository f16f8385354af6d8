// Data-driven tests of ChunkedDecoder over data/chunked.txt. Every case is fed whole, byte by byte
// and split in two at every offset: all feedings must give the same data, end state and error.
#include "proxy/http/chunked_decoder.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/proxy/http/case_file.h"

namespace portcullis::http {
namespace {

using testing::Case;

struct Outcome {
  std::string data;
  size_t consumed = 0;
  bool done = false;
  bool failed = false;
  uint16_t status = 0;
  std::string reason;
};

// Feeds `pieces` in order like a connection would: loop on each piece until it is used up, the
// decoder stops making progress, or it is done / failed.
Outcome run(uint64_t max_body, const std::vector<std::string_view>& pieces) {
  ChunkedDecoder d(max_body);
  Outcome o;
  for (std::string_view in : pieces) {
    while (!in.empty() && !d.done() && !d.failed()) {
      const ChunkedDecoder::Step s = d.feed(in);
      EXPECT_LE(s.consumed, in.size());
      if (!s.data.empty()) {
        // data must be a sub-view of the consumed prefix
        EXPECT_GE(s.data.data(), in.data());
        EXPECT_LE(s.data.data() + s.data.size(), in.data() + s.consumed);
      }
      o.data.append(s.data);
      o.consumed += s.consumed;
      in.remove_prefix(s.consumed);
      if (s.consumed == 0) break;
    }
    if (d.done() || d.failed()) break;
  }
  EXPECT_EQ(d.body_bytes(), o.data.size());
  o.done = d.done();
  o.failed = d.failed();
  if (o.failed) {
    o.status = d.error().status;
    o.reason = std::string(d.error().reason);
  }
  return o;
}

void expect_same(const Outcome& a, const Outcome& b, const std::string& how) {
  EXPECT_EQ(a.data, b.data) << how;
  EXPECT_EQ(a.consumed, b.consumed) << how;
  EXPECT_EQ(a.done, b.done) << how;
  EXPECT_EQ(a.failed, b.failed) << how;
  EXPECT_EQ(a.status, b.status) << how;
  EXPECT_EQ(a.reason, b.reason) << how;
}

class ChunkedCases : public ::testing::TestWithParam<Case> {};

TEST_P(ChunkedCases, Matches) {
  const Case& c = GetParam();
  SCOPED_TRACE("case '" + c.name + "' at chunked.txt:" + std::to_string(c.line));
  const uint64_t max_body = std::stoull(c.get("max_body", "18446744073709551615"));
  const std::string expect = c.get("expect");
  const std::string_view raw = c.raw;

  const Outcome whole = run(max_body, {raw});
  if (expect == "done") {
    EXPECT_TRUE(whole.done) << whole.reason;
    EXPECT_EQ(whole.data, c.get("data"));
    EXPECT_EQ(std::to_string(whole.consumed), c.get("consumed", std::to_string(raw.size())));
  } else if (expect == "incomplete") {
    EXPECT_FALSE(whole.done);
    EXPECT_FALSE(whole.failed) << whole.reason;
    EXPECT_EQ(whole.consumed, raw.size());
    if (c.keys.count("data")) {
      EXPECT_EQ(whole.data, c.get("data"));
    }
  } else {
    ASSERT_EQ(expect.rfind("error ", 0), 0u) << "bad expect: " << expect;
    EXPECT_TRUE(whole.failed);
    EXPECT_EQ(std::to_string(whole.status), expect.substr(6)) << whole.reason;
    if (c.keys.count("reason")) {
      EXPECT_EQ(whole.reason, c.get("reason"));
    }
  }

  std::vector<std::string_view> bytes;
  for (size_t i = 0; i < raw.size(); ++i) bytes.push_back(raw.substr(i, 1));
  expect_same(whole, run(max_body, bytes), "byte by byte");
  for (size_t k = 0; k <= raw.size(); ++k) {
    expect_same(whole, run(max_body, {raw.substr(0, k), raw.substr(k)}),
                "split at " + std::to_string(k));
  }
}

std::vector<Case> chunked_cases() {
  std::string error;
  auto cases = testing::load_cases(testing::data_path("chunked.txt"), error);
  if (!error.empty()) {
    ADD_FAILURE() << error;
  }
  return cases;
}

INSTANTIATE_TEST_SUITE_P(Data, ChunkedCases, ::testing::ValuesIn(chunked_cases()),
                         [](const ::testing::TestParamInfo<Case>& info) {
                           std::string n;
                           for (char ch : info.param.name) n += std::isalnum(ch) ? ch : '_';
                           return n + "_L" + std::to_string(info.param.line);
                         });

TEST(ChunkedDecoder, DataFileHasManyCases) { EXPECT_GE(chunked_cases().size(), 30u); }

TEST(ChunkedDecoder, ResetAllowsReuse) {
  ChunkedDecoder d(100);
  const std::string_view body = "3\r\nabc\r\n0\r\n\r\n";
  auto s = d.feed(body);
  EXPECT_EQ(s.data, "abc");
  s = d.feed(body.substr(s.consumed));
  EXPECT_TRUE(d.done());
  EXPECT_EQ(d.body_bytes(), 3u);
  d.reset();
  EXPECT_FALSE(d.done());
  EXPECT_EQ(d.body_bytes(), 0u);
  s = d.feed("zz");
  EXPECT_TRUE(d.failed());
  EXPECT_EQ(s.consumed, 0u);
  d.reset();
  EXPECT_FALSE(d.failed());
  s = d.feed("1\r\nx");
  EXPECT_EQ(s.data, "x");
}

TEST(ChunkedDecoder, MaxBodyCountsAcrossChunks) {
  ChunkedDecoder d(5);
  std::string_view in = "3\r\nabc\r\n3\r\ndef\r\n0\r\n\r\n";
  std::string data;
  while (!in.empty() && !d.failed() && !d.done()) {
    auto s = d.feed(in);
    data.append(s.data);
    in.remove_prefix(s.consumed);
    if (s.consumed == 0) break;
  }
  EXPECT_TRUE(d.failed());
  EXPECT_EQ(d.error().status, 413);
  EXPECT_EQ(data, "abc");  // nothing of the oversized chunk was emitted
}

}  // namespace
}  // namespace portcullis::http
