// Data-driven tests of parse_response over data/responses.txt, with the same incremental property
// as the request tests: every strict prefix of a head is kIncomplete (or the same error).
#include "proxy/http/response_parser.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "tests/proxy/http/case_file.h"

namespace portcullis::http {
namespace {

using testing::Case;

const char* framing_name(BodyFraming f) {
  switch (f) {
    case BodyFraming::kNone:
      return "none";
    case BodyFraming::kContentLength:
      return "content-length";
    case BodyFraming::kChunked:
      return "chunked";
    case BodyFraming::kUntilClose:
      return "until-close";
  }
  return "?";
}

std::string actual_field(const ResponseHead& h, std::string_view buf, const std::string& key) {
  if (key == "status") return std::to_string(h.status);
  if (key == "reason") return std::string(h.reason);
  if (key == "version_minor") return std::to_string(h.version_minor);
  if (key == "num_headers") return std::to_string(h.num_headers);
  if (key == "framing") return framing_name(h.framing);
  if (key == "content_length") return std::to_string(h.content_length);
  if (key == "keep_alive") return h.keep_alive ? "true" : "false";
  if (key == "head_bytes") return std::to_string(h.head_bytes);
  if (key == "rest") return std::string(buf.substr(h.head_bytes));
  if (key.rfind("header.", 0) == 0) {
    const uint32_t i = static_cast<uint32_t>(std::stoul(key.substr(7)));
    if (i >= h.num_headers) return "<no such header>";
    return std::string(h.headers[i].name) + ":" + std::string(h.headers[i].value);
  }
  return "<unknown field " + key + ">";
}

struct Parsed {
  ParseStatus status;
  ResponseHead head;
  ParseError err;
};

Parsed parse(std::string_view bytes, const ParseLimits& limits, bool head, Header* storage,
             uint32_t cap, std::unique_ptr<char[]>& holder) {
  holder.reset(new char[bytes.size() + 1]);  // exact copy: ASan catches reads past the end
  std::copy(bytes.begin(), bytes.end(), holder.get());
  const std::string_view buf(holder.get(), bytes.size());
  Parsed p;
  p.status = parse_response(buf, limits, head, storage, cap, p.head, p.err);
  if (p.status == ParseStatus::kComplete) {
    EXPECT_LE(p.head.head_bytes, buf.size());
    for (uint32_t i = 0; i < p.head.num_headers; ++i) {
      EXPECT_GE(p.head.headers[i].name.data(), buf.data());
      EXPECT_LE(p.head.headers[i].value.data() + p.head.headers[i].value.size(),
                buf.data() + buf.size());
    }
  }
  return p;
}

class ResponseCases : public ::testing::TestWithParam<Case> {};

TEST_P(ResponseCases, Matches) {
  const Case& c = GetParam();
  SCOPED_TRACE("case '" + c.name + "' at responses.txt:" + std::to_string(c.line));
  ParseLimits limits;
  limits.max_head_bytes = std::stoul(c.get("max_head_bytes", "16384"));
  limits.max_headers = std::stoul(c.get("max_headers", "100"));
  const bool head = c.get("head", "false") == "true";
  Header storage[128];
  const uint32_t cap = 100;
  std::unique_ptr<char[]> holder, prefix_holder;
  const std::string expect = c.get("expect");
  ASSERT_FALSE(expect.empty());

  const Parsed full = parse(c.raw, limits, head, storage, cap, holder);
  if (expect == "complete") {
    ASSERT_EQ(full.status, ParseStatus::kComplete) << full.err.reason;
    const std::string_view buf(holder.get(), c.raw.size());
    for (const auto& [k, v] : c.fields) EXPECT_EQ(actual_field(full.head, buf, k), v) << k;
  } else if (expect == "incomplete") {
    ASSERT_EQ(full.status, ParseStatus::kIncomplete) << full.err.reason;
  } else {
    ASSERT_EQ(expect.rfind("error ", 0), 0u) << "bad expect: " << expect;
    ASSERT_EQ(full.status, ParseStatus::kError);
    EXPECT_EQ(std::to_string(full.err.status), expect.substr(6));
    if (c.keys.count("reason")) {
      EXPECT_EQ(full.err.reason, c.get("reason"));
    }
  }
  for (size_t k = 0; k < c.raw.size(); ++k) {
    Header ps[128];
    const Parsed p =
        parse(std::string_view(c.raw).substr(0, k), limits, head, ps, cap, prefix_holder);
    if (full.status == ParseStatus::kComplete && k >= full.head.head_bytes) {
      ASSERT_EQ(p.status, ParseStatus::kComplete) << "prefix " << k;
      ASSERT_EQ(p.head.head_bytes, full.head.head_bytes);
      ASSERT_EQ(p.head.status, full.head.status);
      ASSERT_EQ(p.head.framing, full.head.framing);
    } else if (full.status == ParseStatus::kError && p.status == ParseStatus::kError) {
      ASSERT_EQ(p.err.status, full.err.status) << "prefix " << k;
    } else {
      ASSERT_EQ(p.status, ParseStatus::kIncomplete) << "prefix " << k << ": " << p.err.reason;
    }
  }
}

std::vector<Case> response_cases() {
  std::string error;
  auto cases = testing::load_cases(testing::data_path("responses.txt"), error);
  if (!error.empty()) {
    ADD_FAILURE() << error;
  }
  return cases;
}

INSTANTIATE_TEST_SUITE_P(Data, ResponseCases, ::testing::ValuesIn(response_cases()),
                         [](const ::testing::TestParamInfo<Case>& info) {
                           std::string n;
                           for (char ch : info.param.name) n += std::isalnum(ch) ? ch : '_';
                           return n + "_L" + std::to_string(info.param.line);
                         });

TEST(ResponseParser, DataFileHasManyCases) { EXPECT_GE(response_cases().size(), 30u); }

}  // namespace
}  // namespace portcullis::http
