#include "proxy/http/chunked_decoder.h"

#include <algorithm>

#include "proxy/http/char_class.h"

namespace portcullis::http {

using detail::is;

ChunkedDecoder::ChunkedDecoder(uint64_t max_body_bytes) : max_body_bytes_(max_body_bytes) {}

void ChunkedDecoder::reset() { *this = ChunkedDecoder(max_body_bytes_); }

bool ChunkedDecoder::fail(uint16_t status, std::string_view reason) {
  state_ = State::kFailed;
  error_ = ParseError{status, reason};
  return false;
}

bool ChunkedDecoder::trailer_name_forbidden() const {
  const std::string_view name(name_, std::min<size_t>(name_len_, sizeof(name_)));
  if (name_len_ > sizeof(name_)) return false;  // longer than every forbidden name
  return name == "content-length" || name == "transfer-encoding" || name == "host";
}

bool ChunkedDecoder::step_framing(char c) {
  switch (state_) {
    case State::kSizeStart:
      line_bytes_ = 0;
      chunk_size_ = 0;
      if (!is(detail::kHex, c)) return fail(400, "invalid chunk size");
      state_ = State::kSize;
      [[fallthrough]];
    case State::kSize:
      if (is(detail::kHex, c)) {
        if (chunk_size_ > (UINT64_MAX >> 4)) return fail(400, "chunk size overflow");
        const int d = c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;
        chunk_size_ = (chunk_size_ << 4) | static_cast<uint64_t>(d);
      } else if (c == ';') {
        state_ = State::kExtNameStart;
      } else if (c == '\r') {
        state_ = State::kSizeLF;
      } else {
        return fail(400, "invalid chunk size");
      }
      break;
    case State::kExtNameStart:
      if (!is(detail::kToken, c)) return fail(400, "invalid chunk extension");
      state_ = State::kExtName;
      break;
    case State::kExtName:
    case State::kExtToken:
      if (is(detail::kToken, c)) break;
      if (c == '=' && state_ == State::kExtName) {
        state_ = State::kExtValueStart;
      } else if (c == ';') {
        state_ = State::kExtNameStart;
      } else if (c == '\r') {
        state_ = State::kSizeLF;
      } else {
        return fail(400, "invalid chunk extension");
      }
      break;
    case State::kExtValueStart:
      if (c == '"') {
        state_ = State::kExtQuoted;
      } else if (is(detail::kToken, c)) {
        state_ = State::kExtToken;
      } else {
        return fail(400, "invalid chunk extension value");
      }
      break;
    case State::kExtQuoted:
      if (c == '"') {
        state_ = State::kExtAfterQuoted;
      } else if (c == '\\') {
        state_ = State::kExtQuotedPair;
      } else if (!is(detail::kQdText, c)) {
        return fail(400, "invalid chunk extension quoted-string");
      }
      break;
    case State::kExtQuotedPair:
      // quoted-pair = "\" ( HTAB / SP / VCHAR / obs-text )
      if (!is(detail::kFieldValue, c)) return fail(400, "invalid chunk extension quoted-pair");
      state_ = State::kExtQuoted;
      break;
    case State::kExtAfterQuoted:
      if (c == ';') {
        state_ = State::kExtNameStart;
      } else if (c == '\r') {
        state_ = State::kSizeLF;
      } else {
        return fail(400, "invalid chunk extension");
      }
      break;
    case State::kSizeLF:
      if (c != '\n') return fail(400, "chunk size line not terminated by CRLF");
      if (chunk_size_ == 0) {
        state_ = State::kTrailerLineStart;
      } else {
        if (chunk_size_ > max_body_bytes_ - body_bytes_) return fail(413, "chunked body too large");
        state_ = State::kData;
      }
      return true;  // the LF is not part of the size line
    case State::kDataCR:
      if (c != '\r') return fail(400, "chunk data not followed by CRLF");
      state_ = State::kDataLF;
      break;
    case State::kDataLF:
      if (c != '\n') return fail(400, "chunk data not followed by CRLF");
      state_ = State::kSizeStart;
      break;
    case State::kTrailerLineStart:
      if (c == '\r') {
        state_ = State::kFinalLF;
      } else if (is(detail::kToken, c)) {
        name_len_ = 0;
        state_ = State::kTrailerName;
        return step_framing(c);
      } else if (c == ' ' || c == '\t') {
        return fail(400, "obs-fold in trailer section");
      } else {
        return fail(400, "invalid trailer field");
      }
      break;
    case State::kTrailerName:
      if (is(detail::kToken, c)) {
        if (name_len_ < sizeof(name_)) {
          name_[name_len_] = (c >= 'A' && c <= 'Z') ? static_cast<char>(c | 0x20) : c;
        }
        if (name_len_ <= sizeof(name_)) ++name_len_;
      } else if (c == ':') {
        if (trailer_name_forbidden()) return fail(400, "forbidden trailer field");
        state_ = State::kTrailerValue;
      } else {
        return fail(400, "invalid trailer field name");
      }
      break;
    case State::kTrailerValue:
      if (c == '\r') {
        state_ = State::kTrailerLF;
      } else if (!is(detail::kFieldValue, c)) {
        return fail(400, "invalid trailer field value");
      }
      break;
    case State::kTrailerLF:
      if (c != '\n') return fail(400, "trailer line not terminated by CRLF");
      state_ = State::kTrailerLineStart;
      break;
    case State::kFinalLF:
      if (c != '\n') return fail(400, "chunked body not terminated by CRLF");
      state_ = State::kDone;
      break;
    case State::kData:
    case State::kDone:
    case State::kFailed:
      break;  // not reached: feed() handles these
  }
  return true;
}

ChunkedDecoder::Step ChunkedDecoder::feed(std::string_view in) {
  Step step;
  size_t i = 0;
  while (i < in.size()) {
    if (state_ == State::kDone || state_ == State::kFailed) break;
    if (state_ == State::kData) {
      const size_t take = static_cast<size_t>(std::min<uint64_t>(chunk_size_, in.size() - i));
      step.data = in.substr(i, take);
      chunk_size_ -= take;
      body_bytes_ += take;
      i += take;
      if (chunk_size_ == 0) state_ = State::kDataCR;
      break;
    }
    const State before = state_;
    if (!step_framing(in[i])) break;
    // Bound the size line and the trailer section: extensions and trailers are DoS vectors.
    if (before < State::kSizeLF && in[i] != '\r') {
      if (++line_bytes_ > kMaxChunkLineBytes) {
        fail(400, "chunk size line too long");
        break;
      }
    } else if (before >= State::kTrailerLineStart && before <= State::kFinalLF) {
      if (++trailer_bytes_ > kMaxTrailerBytes) {
        fail(400, "trailer section too large");
        break;
      }
    }
    ++i;
  }
  step.consumed = i;
  return step;
}

}  // namespace portcullis::http
