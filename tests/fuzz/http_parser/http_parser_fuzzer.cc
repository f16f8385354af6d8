// Fuzzes parse_request, parse_response and ChunkedDecoder over the same input and checks the
// invariants the connection code relies on:
//   - every view handed out lies inside the input, head_bytes <= size, consumed <= size;
//   - parsing is prefix-consistent: a complete head stays complete (same head_bytes) when more
//     bytes follow, every strict prefix of it is kIncomplete, and an error on a prefix is the
//     same error on the whole input;
//   - the chunked decoder gives the same data / state / error fed whole or byte by byte.
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>

#include "proxy/http/chunked_decoder.h"
#include "proxy/http/request_parser.h"
#include "proxy/http/response_parser.h"

using namespace portcullis::http;

namespace {

#define CHECK(cond)                                                         \
  do {                                                                      \
    if (!(cond)) {                                                          \
      fprintf(stderr, "invariant failed: %s (line %d)\n", #cond, __LINE__); \
      abort();                                                              \
    }                                                                       \
  } while (0)

bool inside(std::string_view v, std::string_view buf) {
  return v.empty() || (v.data() >= buf.data() && v.data() + v.size() <= buf.data() + buf.size());
}

// Small limits so that the 414/431 paths are reachable by the fuzzer.
ParseLimits fuzz_limits() {
  ParseLimits l;
  l.max_head_bytes = 512;
  l.max_headers = 8;
  l.max_target_bytes = 128;
  return l;
}

// Parses from an exactly-sized heap copy so that ASan flags any read past the end.
struct Copy {
  explicit Copy(std::string_view s) : p(new char[s.size() ? s.size() : 1]), n(s.size()) {
    if (n) memcpy(p.get(), s.data(), n);
  }
  std::string_view view() const { return {p.get(), n}; }
  std::unique_ptr<char[]> p;
  size_t n;
};

ParseStatus request(std::string_view in, RequestHead& h, ParseError& e, Header* hs) {
  Copy c(in);
  const std::string_view buf = c.view();
  const ParseStatus s = parse_request(buf, fuzz_limits(), hs, 8, h, e);
  if (s == ParseStatus::kComplete) {
    CHECK(h.head_bytes <= buf.size());
    CHECK(inside(h.method, buf) && inside(h.target, buf) && inside(h.host, buf));
    CHECK(h.num_headers <= 8);
    for (uint32_t i = 0; i < h.num_headers; ++i) {
      CHECK(inside(h.headers[i].name, buf) && inside(h.headers[i].value, buf));
      CHECK(!h.headers[i].name.empty());
    }
    CHECK(!h.method.empty() && !h.target.empty());
    CHECK(h.framing != BodyFraming::kUntilClose);
  } else if (s == ParseStatus::kError) {
    CHECK(!e.reason.empty());
  }
  return s;
}

void fuzz_request(std::string_view data) {
  Header hs[8], hs2[8];
  RequestHead h, h2;
  ParseError e, e2;
  const ParseStatus s = request(data, h, e, hs);
  if (s == ParseStatus::kComplete) {
    // A strict prefix of a complete head is incomplete.
    CHECK(request(data.substr(0, h.head_bytes - 1), h2, e2, hs2) == ParseStatus::kIncomplete);
    CHECK(request(data.substr(0, h.head_bytes / 2), h2, e2, hs2) == ParseStatus::kIncomplete);
    // The head alone parses the same.
    CHECK(request(data.substr(0, h.head_bytes), h2, e2, hs2) == ParseStatus::kComplete);
    CHECK(h2.head_bytes == h.head_bytes && h2.num_headers == h.num_headers);
    CHECK(h2.framing == h.framing && h2.content_length == h.content_length);
    CHECK(h2.keep_alive == h.keep_alive && h2.target.size() == h.target.size());
  } else {
    // Any prefix is incomplete or already the same error.
    const ParseStatus s2 = request(data.substr(0, data.size() / 2), h2, e2, hs2);
    CHECK(s2 != ParseStatus::kComplete);
    if (s2 == ParseStatus::kError) CHECK(s == ParseStatus::kError && e2.status == e.status);
  }
}

ParseStatus response(std::string_view in, bool head, ResponseHead& h, ParseError& e, Header* hs) {
  Copy c(in);
  const std::string_view buf = c.view();
  const ParseStatus s = parse_response(buf, fuzz_limits(), head, hs, 8, h, e);
  if (s == ParseStatus::kComplete) {
    CHECK(h.head_bytes <= buf.size());
    CHECK(inside(h.reason, buf));
    CHECK(h.status >= 100 && h.status <= 599);
    for (uint32_t i = 0; i < h.num_headers; ++i) {
      CHECK(inside(h.headers[i].name, buf) && inside(h.headers[i].value, buf));
    }
    if (h.framing == BodyFraming::kUntilClose) CHECK(!h.keep_alive);
    if (head || h.status < 200 || h.status == 204 || h.status == 304)
      CHECK(h.framing == BodyFraming::kNone);
  } else if (s == ParseStatus::kError) {
    CHECK(e.status == 502 && !e.reason.empty());
  }
  return s;
}

void fuzz_response(std::string_view data, bool head) {
  Header hs[8], hs2[8];
  ResponseHead h, h2;
  ParseError e, e2;
  const ParseStatus s = response(data, head, h, e, hs);
  if (s == ParseStatus::kComplete) {
    CHECK(response(data.substr(0, h.head_bytes - 1), head, h2, e2, hs2) ==
          ParseStatus::kIncomplete);
    CHECK(response(data.substr(0, h.head_bytes), head, h2, e2, hs2) == ParseStatus::kComplete);
    CHECK(h2.head_bytes == h.head_bytes && h2.framing == h.framing);
  }
}

struct ChunkRun {
  std::string data;
  size_t consumed = 0;
  bool done = false, failed = false;
  uint16_t status = 0;
};

ChunkRun chunked(std::string_view in, size_t piece, uint64_t max_body) {
  Copy c(in);
  std::string_view buf = c.view();
  ChunkedDecoder d(max_body);
  ChunkRun r;
  while (!buf.empty() && !d.done() && !d.failed()) {
    std::string_view p = buf.substr(0, piece);
    const ChunkedDecoder::Step s = d.feed(p);
    CHECK(s.consumed <= p.size());
    if (!s.data.empty()) {
      CHECK(s.data.data() >= p.data() && s.data.data() + s.data.size() <= p.data() + s.consumed);
    }
    r.data.append(s.data);
    r.consumed += s.consumed;
    buf.remove_prefix(s.consumed);
    if (s.consumed == 0) break;
  }
  CHECK(d.body_bytes() == r.data.size());
  CHECK(d.body_bytes() <= max_body);
  r.done = d.done();
  r.failed = d.failed();
  if (r.failed) r.status = d.error().status;
  return r;
}

void fuzz_chunked(std::string_view data, uint64_t max_body) {
  const ChunkRun whole = chunked(data, data.size() + 1, max_body);
  const ChunkRun bytes = chunked(data, 1, max_body);
  const ChunkRun sevens = chunked(data, 7, max_body);
  for (const ChunkRun* r : {&bytes, &sevens}) {
    CHECK(r->data == whole.data && r->consumed == whole.consumed);
    CHECK(r->done == whole.done && r->failed == whole.failed && r->status == whole.status);
  }
  CHECK(whole.consumed <= data.size());
  if (!whole.done && !whole.failed) CHECK(whole.consumed == data.size());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* bytes, size_t size) {
  if (size == 0) return 0;
  // First byte: options (HEAD flag, body limit); the rest is the message.
  const uint8_t opt = bytes[0];
  const std::string_view data(reinterpret_cast<const char*>(bytes) + 1, size - 1);
  fuzz_request(data);
  fuzz_response(data, (opt & 1) != 0);
  fuzz_chunked(data, (opt & 2) ? 64 : UINT64_MAX);
  return 0;
}
