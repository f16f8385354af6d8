// Incremental decoder for the chunked transfer coding (RFC 9112 section 7.1). A tiny state machine
// that never buffers: data is emitted as views into the caller's input, framing bytes (sizes,
// extensions, CRLFs, trailer section) are validated and consumed silently.
//
// Strictness (chunked framing is a classic request smuggling vector, e.g. TE.0 / chunk-ext tricks):
//   - chunk-size: HEXDIG only (no "0x", sign or whitespace); overflow of uint64 -> 400.
//   - chunk-ext: ";" token [ "=" ( token / quoted-string ) ], no BWS; the whole size line
//     (size + extensions) is capped at kMaxChunkLineBytes -> 400.
//   - exactly CRLF after the size line and after the data; bare LF or anything else -> 400.
//   - trailer fields follow the header field rules (no obs-fold, no CTL, no space before ':'),
//     are capped at kMaxTrailerBytes in total, and may not carry framing or routing fields
//     (Content-Length, Transfer-Encoding, Host: RFC 9110 6.5.1) -> 400.
//   - decoded body above max_body_bytes -> 413 (checked when a chunk size is read, before data).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "proxy/http/types.h"

namespace portcullis::http {

class ChunkedDecoder {
 public:
  static constexpr uint32_t kMaxChunkLineBytes = 256;  // chunk-size + extensions, without CRLF
  static constexpr uint32_t kMaxTrailerBytes = 8192;   // whole trailer section incl. CRLFs

  explicit ChunkedDecoder(uint64_t max_body_bytes = UINT64_MAX);

  struct Step {
    size_t consumed = 0;    // bytes of `in` consumed by this call (a prefix)
    std::string_view data;  // body data, a sub-view of the consumed prefix of `in` (may be empty)
  };

  // Processes a prefix of `in` and returns at most one run of data. Call in a loop (advancing
  // `in` by `consumed`) until consumed == 0 or done()/failed(). After done(), the bytes past the
  // final CRLF are not consumed (they belong to the next message). After failed(), `consumed`
  // stops before the offending byte.
  Step feed(std::string_view in);

  bool done() const { return state_ == State::kDone; }
  bool failed() const { return state_ == State::kFailed; }
  const ParseError& error() const { return error_; }
  void reset();
  uint64_t body_bytes() const { return body_bytes_; }  // data bytes emitted so far

 private:
  enum class State : uint8_t {
    kSizeStart,
    kSize,
    kExtNameStart,
    kExtName,
    kExtValueStart,
    kExtToken,
    kExtQuoted,
    kExtQuotedPair,
    kExtAfterQuoted,
    kSizeLF,
    kData,
    kDataCR,
    kDataLF,
    kTrailerLineStart,
    kTrailerName,
    kTrailerValue,
    kTrailerLF,
    kFinalLF,
    kDone,
    kFailed,
  };

  bool fail(uint16_t status, std::string_view reason);
  bool step_framing(char c);  // one framing byte; false on failure
  bool trailer_name_forbidden() const;

  uint64_t max_body_bytes_;
  uint64_t body_bytes_ = 0;
  uint64_t chunk_size_ = 0;  // size being parsed, then data bytes left in the current chunk
  uint32_t line_bytes_ = 0;
  uint32_t trailer_bytes_ = 0;
  uint8_t name_len_ = 0;  // trailer name length, saturating at sizeof(name_) + 1
  char name_[18] = {};    // lower-cased prefix of the current trailer name
  State state_ = State::kSizeStart;
  ParseError error_;
};

}  // namespace portcullis::http
