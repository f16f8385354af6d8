// Data-driven tests of parse_request over data/requests.txt, plus the properties every case must
// satisfy: incremental feeding (every prefix is kIncomplete or the same error), views inside the
// buffer, and exact head_bytes consumption for pipelined requests.
#include "proxy/http/request_parser.h"

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

const char* form_name(TargetForm f) {
  switch (f) {
    case TargetForm::kOrigin:
      return "origin";
    case TargetForm::kAbsolute:
      return "absolute";
    case TargetForm::kAuthority:
      return "authority";
    case TargetForm::kAsterisk:
      return "asterisk";
  }
  return "?";
}

std::string actual_field(const RequestHead& h, std::string_view buf, const std::string& key) {
  const auto b = [](bool v) { return std::string(v ? "true" : "false"); };
  if (key == "method") return std::string(h.method);
  if (key == "target") return std::string(h.target);
  if (key == "version_minor") return std::to_string(h.version_minor);
  if (key == "num_headers") return std::to_string(h.num_headers);
  if (key == "framing") return framing_name(h.framing);
  if (key == "content_length") return std::to_string(h.content_length);
  if (key == "keep_alive") return b(h.keep_alive);
  if (key == "expect_continue") return b(h.expect_continue);
  if (key == "upgrade") return b(h.upgrade);
  if (key == "host") return std::string(h.host);
  if (key == "head_bytes") return std::to_string(h.head_bytes);
  if (key == "target_form") return form_name(h.target_form);
  if (key == "rest") return std::string(buf.substr(h.head_bytes));
  if (key.rfind("header.", 0) == 0) {
    const uint32_t i = static_cast<uint32_t>(std::stoul(key.substr(7)));
    if (i >= h.num_headers) return "<no such header>";
    return std::string(h.headers[i].name) + ":" + std::string(h.headers[i].value);
  }
  return "<unknown field " + key + ">";
}

bool inside(std::string_view v, std::string_view buf) {
  return v.empty() || (v.data() >= buf.data() && v.data() + v.size() <= buf.data() + buf.size());
}

void check_views(const RequestHead& h, std::string_view buf) {
  EXPECT_TRUE(inside(h.method, buf));
  EXPECT_TRUE(inside(h.target, buf));
  EXPECT_TRUE(inside(h.host, buf));
  for (uint32_t i = 0; i < h.num_headers; ++i) {
    EXPECT_TRUE(inside(h.headers[i].name, buf));
    EXPECT_TRUE(inside(h.headers[i].value, buf));
  }
  EXPECT_LE(h.head_bytes, buf.size());
}

struct Parsed {
  ParseStatus status;
  RequestHead head;
  ParseError err;
};

// Parses from an exactly-sized heap copy so that ASan builds catch any read past the end.
Parsed parse(std::string_view bytes, const ParseLimits& limits, Header* storage, uint32_t cap,
             std::unique_ptr<char[]>& holder) {
  holder.reset(new char[bytes.size() + 1]);
  std::copy(bytes.begin(), bytes.end(), holder.get());
  const std::string_view buf(holder.get(), bytes.size());
  Parsed p;
  p.status = parse_request(buf, limits, storage, cap, p.head, p.err);
  if (p.status == ParseStatus::kComplete) check_views(p.head, buf);
  return p;
}

class RequestCases : public ::testing::TestWithParam<Case> {};

TEST_P(RequestCases, Matches) {
  const Case& c = GetParam();
  SCOPED_TRACE("case '" + c.name + "' at requests.txt:" + std::to_string(c.line));
  ParseLimits limits;
  limits.max_head_bytes = std::stoul(c.get("max_head_bytes", "16384"));
  limits.max_headers = std::stoul(c.get("max_headers", "100"));
  limits.max_target_bytes = std::stoul(c.get("max_target_bytes", "8192"));
  const uint32_t cap = std::stoul(c.get("capacity", "100"));
  std::unique_ptr<Header[]> storage(new Header[cap + 1]);
  std::unique_ptr<char[]> holder, prefix_holder;
  const std::string expect = c.get("expect");
  ASSERT_FALSE(expect.empty()) << "case has no 'expect:' line";

  const Parsed full = parse(c.raw, limits, storage.get(), cap, holder);
  if (expect == "complete") {
    ASSERT_EQ(full.status, ParseStatus::kComplete)
        << "error: " << full.err.status << " " << full.err.reason;
    const std::string_view buf(holder.get(), c.raw.size());
    for (const auto& [k, v] : c.fields) EXPECT_EQ(actual_field(full.head, buf, k), v) << k;
  } else if (expect == "incomplete") {
    ASSERT_EQ(full.status, ParseStatus::kIncomplete) << full.err.reason;
  } else {
    ASSERT_EQ(expect.rfind("error ", 0), 0u) << "bad expect: " << expect;
    ASSERT_EQ(full.status, ParseStatus::kError);
    EXPECT_EQ(std::to_string(full.err.status), expect.substr(6)) << full.err.reason;
    EXPECT_FALSE(full.err.reason.empty());
    if (c.keys.count("reason")) {
      EXPECT_EQ(full.err.reason, c.get("reason"));
    }
  }

  // Incremental: every strict prefix of the head is kIncomplete (or, for a rejected input, already
  // the same error); every prefix that contains the whole head gives the same result.
  for (size_t k = 0; k < c.raw.size(); ++k) {
    Header prefix_storage[128];
    const Parsed p = parse(std::string_view(c.raw).substr(0, k), limits, prefix_storage,
                           std::min<uint32_t>(cap, 128), prefix_holder);
    if (full.status == ParseStatus::kComplete && k >= full.head.head_bytes) {
      ASSERT_EQ(p.status, ParseStatus::kComplete) << "prefix " << k;
      ASSERT_EQ(p.head.head_bytes, full.head.head_bytes);
      ASSERT_EQ(p.head.num_headers, full.head.num_headers);
      ASSERT_EQ(p.head.target, full.head.target);
      ASSERT_EQ(p.head.framing, full.head.framing);
    } else if (full.status == ParseStatus::kError && p.status == ParseStatus::kError) {
      ASSERT_EQ(p.err.status, full.err.status) << "prefix " << k << ": " << p.err.reason;
    } else {
      ASSERT_EQ(p.status, ParseStatus::kIncomplete) << "prefix " << k << ": " << p.err.reason;
    }
  }
}

// The same case fed byte by byte, parsing only when needs_reparse() says so: a complete head is
// found at exactly head_bytes, an error is the same error (at the latest when the input ends).
TEST_P(RequestCases, GatedByNeedsReparse) {
  const Case& c = GetParam();
  SCOPED_TRACE("case '" + c.name + "' at requests.txt:" + std::to_string(c.line));
  ParseLimits limits;
  limits.max_head_bytes = std::stoul(c.get("max_head_bytes", "16384"));
  limits.max_headers = std::stoul(c.get("max_headers", "100"));
  limits.max_target_bytes = std::stoul(c.get("max_target_bytes", "8192"));
  const uint32_t cap = std::min<uint32_t>(std::stoul(c.get("capacity", "100")), 128);
  Header storage[128];
  std::unique_ptr<char[]> holder;
  const Parsed full = parse(c.raw, limits, storage, cap, holder);

  size_t prev = 0, parses = 0;
  Parsed last{ParseStatus::kIncomplete, {}, {}};
  for (size_t k = 1; k <= c.raw.size(); ++k) {
    const std::string_view buf = std::string_view(c.raw).substr(0, k);
    if (!needs_reparse(buf, prev, limits)) continue;
    ++parses;
    last = parse(buf, limits, storage, cap, holder);
    prev = k;
    if (last.status != ParseStatus::kIncomplete) break;
  }
  if (last.status == ParseStatus::kIncomplete && prev != c.raw.size()) {
    last = parse(c.raw, limits, storage, cap, holder);  // input ended: the caller would time out
  }
  ASSERT_EQ(last.status, full.status) << last.err.reason;
  if (full.status == ParseStatus::kComplete) {
    EXPECT_EQ(prev, full.head.head_bytes);
  } else if (full.status == ParseStatus::kError) {
    EXPECT_EQ(last.err.status, full.err.status);
  }
  size_t lines = 0;
  for (char ch : c.raw) lines += ch == '\n';
  EXPECT_LE(parses, lines + 3);
}

std::vector<Case> request_cases() {
  std::string error;
  auto cases = testing::load_cases(testing::data_path("requests.txt"), error);
  if (!error.empty()) {
    ADD_FAILURE() << error;
  }
  return cases;
}

INSTANTIATE_TEST_SUITE_P(Data, RequestCases, ::testing::ValuesIn(request_cases()),
                         [](const ::testing::TestParamInfo<Case>& info) {
                           std::string n;
                           for (char ch : info.param.name) n += std::isalnum(ch) ? ch : '_';
                           return n + "_L" + std::to_string(info.param.line);
                         });

TEST(RequestParser, DataFileHasManyCases) { EXPECT_GE(request_cases().size(), 80u); }

// Two requests in one buffer: the first parse consumes exactly its head (and then the caller skips
// the body); the second parses from there.
TEST(RequestParser, PipelinedRequestsConsumeExactlyHeadBytes) {
  const std::string first = "POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\n";
  const std::string second = "GET /b HTTP/1.1\r\nHost: y\r\n\r\n";
  const std::string buf = first + "abc" + second;
  Header hs[8];
  RequestHead h;
  ParseError err;
  ASSERT_EQ(parse_request(buf, {}, hs, 8, h, err), ParseStatus::kComplete);
  EXPECT_EQ(h.head_bytes, first.size());
  EXPECT_EQ(h.content_length, 3u);
  const std::string_view rest = std::string_view(buf).substr(h.head_bytes + h.content_length);
  RequestHead h2;
  ASSERT_EQ(parse_request(rest, {}, hs, 8, h2, err), ParseStatus::kComplete);
  EXPECT_EQ(h2.target, "/b");
  EXPECT_EQ(h2.host, "y");
  EXPECT_EQ(h2.head_bytes, second.size());
}

TEST(RequestParser, HeaderCapacitySmallerThanLimitGives431) {
  const std::string buf = "GET / HTTP/1.1\r\nHost: x\r\nA: 1\r\nB: 2\r\n\r\n";
  Header hs[2];
  RequestHead h;
  ParseError err;
  ASSERT_EQ(parse_request(buf, {}, hs, 2, h, err), ParseStatus::kError);
  EXPECT_EQ(err.status, 431);
  Header hs3[3];
  ASSERT_EQ(parse_request(buf, {}, hs3, 3, h, err), ParseStatus::kComplete);
  EXPECT_EQ(h.num_headers, 3u);
}

// Every single byte value in a header value: only HTAB, SP..~ and obs-text (>= 0x80) are allowed.
TEST(RequestParser, EveryByteInHeaderValue) {
  for (int b = 0; b < 256; ++b) {
    std::string buf = "GET / HTTP/1.1\r\nHost: x\r\nX: a";
    buf += static_cast<char>(b);
    buf += "b\r\n\r\n";
    Header hs[4];
    RequestHead h;
    ParseError err;
    const ParseStatus s = parse_request(buf, {}, hs, 4, h, err);
    const bool allowed = b == '\t' || (b >= 0x20 && b != 0x7f);
    EXPECT_EQ(s, allowed ? ParseStatus::kComplete : ParseStatus::kError) << "byte " << b;
    if (!allowed) {
      EXPECT_EQ(err.status, 400);
    }
  }
}

// Every single byte value in the request-target: only 0x21-0x7E are allowed.
TEST(RequestParser, EveryByteInTarget) {
  for (int b = 0; b < 256; ++b) {
    std::string buf = "GET /a";
    buf += static_cast<char>(b);
    buf += "b HTTP/1.1\r\nHost: x\r\n\r\n";
    Header hs[4];
    RequestHead h;
    ParseError err;
    const ParseStatus s = parse_request(buf, {}, hs, 4, h, err);
    const bool allowed = b >= 0x21 && b <= 0x7e;
    EXPECT_EQ(s, allowed ? ParseStatus::kComplete : ParseStatus::kError) << "byte " << b;
  }
}

// Long targets and values exercise the 8-byte-at-a-time scanning paths: a bad byte at every
// offset of a long run must still be found.
TEST(RequestParser, BadByteAtEveryOffsetOfLongValue) {
  for (size_t off = 0; off < 40; ++off) {
    std::string value(40, 'v');
    value[off] = '\x01';
    const std::string buf = "GET / HTTP/1.1\r\nHost: x\r\nCookie: " + value + "\r\n\r\n";
    Header hs[4];
    RequestHead h;
    ParseError err;
    EXPECT_EQ(parse_request(buf, {}, hs, 4, h, err), ParseStatus::kError) << off;
    std::string target = "/" + std::string(40, 't');
    target[off + 1] = '\x7f';
    const std::string buf2 = "GET " + target + " HTTP/1.1\r\nHost: x\r\n\r\n";
    EXPECT_EQ(parse_request(buf2, {}, hs, 4, h, err), ParseStatus::kError) << off;
  }
}

}  // namespace
}  // namespace portcullis::http
