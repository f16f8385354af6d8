#include "proxy/audit/slack_state.h"

#include <zlib.h>

#include <cstring>

namespace portcullis::audit {
namespace {

constexpr std::string_view kMagic = "PCSLACK1";

template <typename T>
void put(std::string& out, T v) {
  char b[sizeof(T)];
  for (size_t i = 0; i < sizeof(T); ++i)
    b[i] = static_cast<char>((static_cast<uint64_t>(v) >> (8 * i)) & 0xff);
  out.append(b, sizeof(T));
}

void put_str(std::string& out, std::string_view s) {
  put<uint32_t>(out, static_cast<uint32_t>(s.size()));
  out.append(s);
}

// Bounds-checked reader over the body: every get fails once the input is exhausted.
class Reader {
 public:
  explicit Reader(std::string_view in) : in_(in) {}
  template <typename T>
  bool get(T& v) {
    if (in_.size() - pos_ < sizeof(T)) return false;
    uint64_t x = 0;
    for (size_t i = 0; i < sizeof(T); ++i) {
      x |= static_cast<uint64_t>(static_cast<unsigned char>(in_[pos_ + i])) << (8 * i);
    }
    pos_ += sizeof(T);
    v = static_cast<T>(x);
    return true;
  }
  bool get_str(std::string& s, size_t max) {
    uint32_t n = 0;
    if (!get(n) || n > max || in_.size() - pos_ < n) return false;
    s.assign(in_.data() + pos_, n);
    pos_ += n;
    return true;
  }
  bool done() const { return pos_ == in_.size(); }

 private:
  std::string_view in_;
  size_t pos_ = 0;
};

uint32_t crc(std::string_view b) {
  return static_cast<uint32_t>(
      crc32(0, reinterpret_cast<const Bytef*>(b.data()), static_cast<uInt>(b.size())));
}

}  // namespace

void encode_slack_state(const SlackState& s, std::string& out) {
  std::string body;
  put<uint64_t>(body, s.unannounced_drops);
  put<uint32_t>(body, static_cast<uint32_t>(s.windows.size()));
  for (const auto& [key, w] : s.windows) {
    put_str(body, key);
    put<int64_t>(body, w.opened_ms);
    put<uint64_t>(body, w.count);
    put<uint8_t>(body, w.priority);
    put_str(body, w.action);
    put_str(body, w.detector);
    put_str(body, w.sample);
    put<uint32_t>(body, static_cast<uint32_t>(w.clients.size()));
    for (const std::string& c : w.clients) put_str(body, c);
  }
  put<uint32_t>(body, static_cast<uint32_t>(s.outbox.size()));
  for (const SlackAlert& a : s.outbox) {
    put_str(body, a.payload);
    put<uint64_t>(body, a.events);
  }
  put<uint32_t>(body, static_cast<uint32_t>(s.recent_ids.size()));
  for (const SlackEventId& id : s.recent_ids) {
    put<uint64_t>(body, id.hi);
    put<uint64_t>(body, id.lo);
  }
  out.clear();
  out.append(kMagic);
  put<uint32_t>(out, static_cast<uint32_t>(body.size()));
  put<uint32_t>(out, crc(body));
  out += body;
}

Result<SlackState> decode_slack_state(std::string_view in) {
  if (in.size() < kMagic.size() + 8 || in.substr(0, kMagic.size()) != kMagic) {
    return make_error("not a Slack sink state file");
  }
  Reader head(in.substr(kMagic.size(), 8));
  uint32_t len = 0, sum = 0;
  (void)head.get(len);
  (void)head.get(sum);
  std::string_view body = in.substr(kMagic.size() + 8);
  if (body.size() != len || crc(body) != sum) return make_error("Slack sink state: bad checksum");
  Reader r(body);
  SlackState s;
  uint32_t n = 0;
  if (!r.get(s.unannounced_drops) || !r.get(n) || n > SlackState::kMaxWindows) {
    return make_error("Slack sink state: bad window count");
  }
  for (uint32_t i = 0; i < n; ++i) {
    std::string key;
    SlackWindow w;
    uint32_t nc = 0;
    if (!r.get_str(key, SlackState::kMaxString) || !r.get(w.opened_ms) || !r.get(w.count) ||
        !r.get(w.priority) || !r.get_str(w.action, SlackState::kMaxString) ||
        !r.get_str(w.detector, SlackState::kMaxString) ||
        !r.get_str(w.sample, SlackState::kMaxString) || !r.get(nc) ||
        nc > SlackState::kMaxClients) {
      return make_error("Slack sink state: truncated window");
    }
    for (uint32_t c = 0; c < nc; ++c) {
      std::string ip;
      if (!r.get_str(ip, SlackState::kMaxString)) return make_error("Slack sink state: truncated");
      w.clients.insert(std::move(ip));
    }
    s.windows.emplace(std::move(key), std::move(w));
  }
  if (!r.get(n) || n > SlackState::kMaxOutbox) return make_error("Slack sink state: bad outbox");
  for (uint32_t i = 0; i < n; ++i) {
    SlackAlert a;
    if (!r.get_str(a.payload, SlackState::kMaxString) || !r.get(a.events)) {
      return make_error("Slack sink state: truncated alert");
    }
    s.outbox.push_back(std::move(a));
  }
  if (!r.get(n) || n > SlackState::kMaxRecentIds) return make_error("Slack sink state: bad ids");
  for (uint32_t i = 0; i < n; ++i) {
    SlackEventId id;
    if (!r.get(id.hi) || !r.get(id.lo)) return make_error("Slack sink state: truncated ids");
    s.recent_ids.push_back(id);
  }
  if (!r.done()) return make_error("Slack sink state: trailing bytes");
  return s;
}

}  // namespace portcullis::audit
