// Micro benchmarks of the HTTP/1.1 parsers. Bytes/s is over the head (or chunked body) bytes.
// Run: bench_proxy_http --benchmark_min_time=0.2
#include <benchmark/benchmark.h>

#include <string>

#include "proxy/http/chunked_decoder.h"
#include "proxy/http/request_parser.h"
#include "proxy/http/response_parser.h"

namespace portcullis::http {
namespace {

// A typical desktop browser navigation request (~500 bytes).
const std::string kBrowserRequest =
    "GET /products/search?q=wireless+headphones&category=audio&sort=price_asc&page=2 HTTP/1.1\r\n"
    "Host: shop.example.com\r\n"
    "User-Agent: Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.0.0 Safari/537.36\r\n"
    "Accept: "
    "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8\r\n"
    "Accept-Language: en-US,en;q=0.9,de;q=0.8\r\n"
    "Accept-Encoding: gzip, deflate, br\r\n"
    "Cookie: session_id=7f3a9c2e4b1d8f6a; cart=3; theme=dark; _ga=GA1.2.123456789.1700000000\r\n"
    "Referer: https://shop.example.com/products/audio\r\n"
    "Connection: keep-alive\r\n"
    "\r\n";

const std::string kMinimalRequest = "GET / HTTP/1.1\r\nHost: example.com\r\n\r\n";

const std::string kApiRequest =
    "POST /api/v2/orders HTTP/1.1\r\n"
    "Host: api.example.com\r\n"
    "Content-Type: application/json\r\n"
    "Content-Length: 512\r\n"
    "Authorization: Bearer eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.abc\r\n"
    "X-Request-Id: 0f8fad5b-d9cb-469f-a165-70867728950e\r\n"
    "\r\n";

const std::string kResponse =
    "HTTP/1.1 200 OK\r\n"
    "Date: Mon, 04 Dec 2023 16:00:00 GMT\r\n"
    "Content-Type: text/html; charset=utf-8\r\n"
    "Content-Length: 12345\r\n"
    "Cache-Control: private, max-age=0\r\n"
    "Set-Cookie: session_id=7f3a9c2e4b1d8f6a; Path=/; HttpOnly; Secure; SameSite=Lax\r\n"
    "Server: origin\r\n"
    "\r\n";

void parse_request_bench(benchmark::State& state, const std::string& req) {
  Header headers[100];
  ParseLimits limits;
  for (auto _ : state) {
    RequestHead head;
    ParseError err;
    const ParseStatus s = parse_request(req, limits, headers, 100, head, err);
    benchmark::DoNotOptimize(s);
    benchmark::DoNotOptimize(head);
    if (s != ParseStatus::kComplete) state.SkipWithError("parse failed");
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * req.size()));
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
  state.counters["head_bytes"] = static_cast<double>(req.size());
}

void BM_ParseRequest_Browser(benchmark::State& s) { parse_request_bench(s, kBrowserRequest); }
void BM_ParseRequest_Minimal(benchmark::State& s) { parse_request_bench(s, kMinimalRequest); }
void BM_ParseRequest_Api(benchmark::State& s) { parse_request_bench(s, kApiRequest); }
BENCHMARK(BM_ParseRequest_Browser);
BENCHMARK(BM_ParseRequest_Minimal);
BENCHMARK(BM_ParseRequest_Api);

// A browser request arriving in 4 reads: each read reparses the whole buffer so far (the API
// keeps no state), the cost a connection pays for a head split across packets.
void BM_ParseRequest_BrowserIn4Reads(benchmark::State& state) {
  Header headers[100];
  const std::string& req = kBrowserRequest;
  for (auto _ : state) {
    RequestHead head;
    ParseError err;
    ParseStatus s = ParseStatus::kIncomplete;
    for (size_t k = 1; k <= 4; ++k) {
      s = parse_request(std::string_view(req).substr(0, req.size() * k / 4), {}, headers, 100, head,
                        err);
    }
    benchmark::DoNotOptimize(s);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * req.size()));
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_ParseRequest_BrowserIn4Reads);

void BM_ParseResponse(benchmark::State& state) {
  Header headers[100];
  for (auto _ : state) {
    ResponseHead head;
    ParseError err;
    const ParseStatus s = parse_response(kResponse, {}, false, headers, 100, head, err);
    benchmark::DoNotOptimize(s);
    benchmark::DoNotOptimize(head);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * kResponse.size()));
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_ParseResponse);

// Chunked body of `chunks` chunks of `chunk_size` bytes each, decoded in one feed loop.
void BM_ChunkedDecode(benchmark::State& state) {
  const size_t chunk_size = static_cast<size_t>(state.range(0));
  const size_t chunks = 64;
  std::string body;
  char size_line[32];
  for (size_t i = 0; i < chunks; ++i) {
    snprintf(size_line, sizeof(size_line), "%zx\r\n", chunk_size);
    body += size_line;
    body.append(chunk_size, 'x');
    body += "\r\n";
  }
  body += "0\r\n\r\n";
  for (auto _ : state) {
    ChunkedDecoder d;
    std::string_view in = body;
    size_t data = 0;
    while (!in.empty() && !d.done()) {
      const ChunkedDecoder::Step s = d.feed(in);
      data += s.data.size();
      in.remove_prefix(s.consumed);
      if (s.consumed == 0) break;
    }
    benchmark::DoNotOptimize(data);
    if (!d.done()) state.SkipWithError("decode failed");
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * body.size()));
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * chunks));
}
BENCHMARK(BM_ChunkedDecode)->Arg(16)->Arg(1024)->Arg(16384);

}  // namespace
}  // namespace portcullis::http
