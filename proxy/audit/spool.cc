#include "proxy/audit/spool.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

namespace portcullis::audit {
namespace {

constexpr uint32_t kMagic = 0x31414350;  // "PCA1" little endian
constexpr size_t kFrameHeader = 12;
constexpr size_t kPayloadHeader = 9;
constexpr uint32_t kMaxPayload = 16u << 20;

void put32(std::string& b, uint32_t v) {
  char c[4] = {static_cast<char>(v), static_cast<char>(v >> 8), static_cast<char>(v >> 16),
               static_cast<char>(v >> 24)};
  b.append(c, 4);
}
uint32_t get32(const unsigned char* p) {
  return p[0] | (p[1] << 8) | (p[2] << 16) | (static_cast<uint32_t>(p[3]) << 24);
}

uint32_t crc(const char* p, size_t n) {
  return static_cast<uint32_t>(crc32(0L, reinterpret_cast<const Bytef*>(p), static_cast<uInt>(n)));
}

Status mkdirs(const std::string& dir) {
  std::string cur;
  for (size_t i = 0; i <= dir.size(); ++i) {
    if (i == dir.size() || dir[i] == '/') {
      if (!cur.empty() && mkdir(cur.c_str(), 0750) != 0 && errno != EEXIST) {
        return make_error("cannot create " + cur + ": " + std::strerror(errno));
      }
    }
    if (i < dir.size()) cur += dir[i];
  }
  return Status::Ok();
}

bool pread_all(int fd, void* buf, size_t n, uint64_t off) {
  auto* p = static_cast<char*>(buf);
  while (n > 0) {
    ssize_t r = pread(fd, p, n, static_cast<off_t>(off));
    if (r <= 0) {
      if (r < 0 && errno == EINTR) continue;
      return false;
    }
    p += r;
    n -= static_cast<size_t>(r);
    off += static_cast<uint64_t>(r);
  }
  return true;
}

}  // namespace

Result<std::unique_ptr<Spool>> Spool::open(Options opts) {
  std::unique_ptr<Spool> s(new Spool(std::move(opts)));
  Status st = s->init();
  if (!st) return st.error();
  return s;
}

Spool::~Spool() {
  (void)flush();
  if (write_fd_ >= 0) close(write_fd_);
  if (read_fd_ >= 0) close(read_fd_);
}

std::string Spool::seg_path(uint64_t seq) const {
  char name[32];
  snprintf(name, sizeof(name), "/%020llu.seg", static_cast<unsigned long long>(seq));
  return opts_.dir + name;
}

Status Spool::init() {
  Status st = mkdirs(opts_.dir);
  if (!st) return st;
  DIR* d = opendir(opts_.dir.c_str());
  if (d == nullptr) return make_error("cannot open " + opts_.dir + ": " + std::strerror(errno));
  while (dirent* e = readdir(d)) {
    std::string n = e->d_name;
    if (n.size() == 24 && n.compare(20, 4, ".seg") == 0) {
      segments_.push_back(std::strtoull(n.c_str(), nullptr, 10));
    }
  }
  closedir(d);
  std::sort(segments_.begin(), segments_.end());

  if (FILE* f = fopen((opts_.dir + "/cursor").c_str(), "r")) {
    unsigned long long seq = 0, off = 0;
    if (fscanf(f, "%llu %llu", &seq, &off) == 2) cursor_ = {seq, off};
    fclose(f);
  }
  // Segments wholly before the cursor were delivered; remove leftovers of an interrupted delete.
  while (!segments_.empty() && segments_.front() < cursor_.seq) {
    unlink(seg_path(segments_.front()).c_str());
    segments_.pop_front();
  }
  if (segments_.empty() || segments_.front() != cursor_.seq) {
    cursor_ = {segments_.empty() ? cursor_.seq + 1 : segments_.front(), 0};
  }
  for (uint64_t seq : segments_) {
    uint64_t recs = 0;
    bool bad = false;
    uint64_t start = seq == cursor_.seq ? cursor_.off : 0;
    uint64_t end = scan(seq, start, &recs, &bad);
    pending_ += recs;
    struct stat sb {};
    if (stat(seg_path(seq).c_str(), &sb) == 0) {
      if (seq == segments_.back() && static_cast<uint64_t>(sb.st_size) > end) {
        // Torn tail of the last segment (crash mid-append): cut it so appends continue cleanly.
        if (truncate(seg_path(seq).c_str(), static_cast<off_t>(end)) == 0) sb.st_size = end;
      }
      bytes_ += static_cast<uint64_t>(sb.st_size);
    }
  }
  read_ = cursor_;
  return Status::Ok();
}

uint64_t Spool::scan(uint64_t seq, uint64_t offset, uint64_t* records, bool* corrupt) {
  int fd = ::open(seg_path(seq).c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return offset;
  std::string payload;
  for (;;) {
    unsigned char h[kFrameHeader];
    if (!pread_all(fd, h, kFrameHeader, offset)) break;
    uint32_t len = get32(h + 4);
    if (get32(h) != kMagic || len < kPayloadHeader || len > kMaxPayload) {
      *corrupt = true;
      break;
    }
    payload.resize(len);
    if (!pread_all(fd, payload.data(), len, offset + kFrameHeader)) break;
    if (crc(payload.data(), len) != get32(h + 8)) {
      *corrupt = true;
      break;
    }
    ++*records;
    offset += kFrameHeader + len;
  }
  close(fd);
  return offset;
}

Status Spool::open_writer(uint64_t seq) {
  if (write_fd_ >= 0) close(write_fd_);
  write_fd_ = ::open(seg_path(seq).c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
  if (write_fd_ < 0)
    return make_error("cannot open spool segment: " + std::string(strerror(errno)));
  struct stat sb {};
  fstat(write_fd_, &sb);
  write_seq_ = seq;
  write_off_ = static_cast<uint64_t>(sb.st_size);
  if (segments_.empty() || segments_.back() != seq) segments_.push_back(seq);
  return Status::Ok();
}

bool Spool::append(const Record& r) {
  const size_t payload = kPayloadHeader + r.json.size();
  const size_t frame = kFrameHeader + payload;
  if (bytes_ + frame > opts_.max_bytes || payload > kMaxPayload) return false;
  if (write_fd_ < 0 || write_off_ + buf_.size() + frame > opts_.segment_bytes) {
    if (!flush()) return false;
    uint64_t next = write_seq_ + 1;
    if (write_fd_ < 0 && segments_.empty()) {
      next = cursor_.seq;  // empty spool: the cursor already points at the next segment
    } else if (write_fd_ < 0) {
      // After a restart, continue the last segment while it has room.
      next = segments_.back();
      struct stat sb {};
      if (stat(seg_path(next).c_str(), &sb) == 0 &&
          static_cast<uint64_t>(sb.st_size) + frame > opts_.segment_bytes) {
        ++next;
      }
    }
    if (!open_writer(next)) return false;
  }
  size_t at = buf_.size();
  put32(buf_, kMagic);
  put32(buf_, static_cast<uint32_t>(payload));
  put32(buf_, 0);  // crc, patched below
  buf_ += static_cast<char>(r.priority);
  uint64_t t = static_cast<uint64_t>(r.created_us);
  for (int i = 0; i < 8; ++i) buf_ += static_cast<char>(t >> (8 * i));
  buf_ += r.json;
  uint32_t c = crc(buf_.data() + at + kFrameHeader, payload);
  for (int i = 0; i < 4; ++i) buf_[at + 8 + i] = static_cast<char>(c >> (8 * i));
  bytes_ += frame;
  ++pending_;
  if (opts_.fsync == config::AuditFsync::kAlways || buf_.size() >= (256u << 10)) (void)flush();
  return true;
}

Status Spool::flush() {
  if (buf_.empty() || write_fd_ < 0) return Status::Ok();
  size_t done = 0;
  while (done < buf_.size()) {
    ssize_t n = write(write_fd_, buf_.data() + done, buf_.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return make_error(std::string("spool write: ") + std::strerror(errno));
    }
    done += static_cast<size_t>(n);
  }
  write_off_ += buf_.size();
  buf_.clear();
  if (opts_.fsync != config::AuditFsync::kNever) fdatasync(write_fd_);
  return Status::Ok();
}

size_t Spool::read(size_t max, std::vector<Record>& out) {
  (void)flush();
  size_t got = 0;
  std::string payload;
  while (got < max && !segments_.empty()) {
    if (read_fd_ < 0 || read_fd_seq_ != read_.seq) {
      if (read_fd_ >= 0) close(read_fd_);
      read_fd_ = ::open(seg_path(read_.seq).c_str(), O_RDONLY | O_CLOEXEC);
      read_fd_seq_ = read_.seq;
    }
    bool next_segment = read_fd_ < 0;
    if (!next_segment) {
      unsigned char h[kFrameHeader];
      if (!pread_all(read_fd_, h, kFrameHeader, read_.off)) {
        next_segment = true;  // end of this segment
      } else {
        uint32_t len = get32(h + 4);
        bool ok = get32(h) == kMagic && len >= kPayloadHeader && len <= kMaxPayload;
        if (ok) {
          payload.resize(len);
          ok = pread_all(read_fd_, payload.data(), len, read_.off + kFrameHeader) &&
               crc(payload.data(), len) == get32(h + 8);
        }
        if (!ok) {
          ++corrupt_;
          next_segment = true;
        } else {
          Record r;
          r.priority = static_cast<uint8_t>(payload[0]);
          uint64_t t = 0;
          for (int i = 0; i < 8; ++i)
            t |= static_cast<uint64_t>(static_cast<uint8_t>(payload[1 + i])) << (8 * i);
          r.created_us = static_cast<int64_t>(t);
          r.json.assign(payload.data() + kPayloadHeader, len - kPayloadHeader);
          out.push_back(std::move(r));
          read_.off += kFrameHeader + len;
          unacked_ends_.push_back(read_);
          ++got;
        }
      }
    }
    if (next_segment) {
      auto it = std::upper_bound(segments_.begin(), segments_.end(), read_.seq);
      if (it == segments_.end()) break;  // caught up with the writer
      // A skipped corrupt remainder still has to be committed past: record a zero-length step.
      read_ = {*it, 0};
      if (unacked_ends_.empty() && cursor_.seq < read_.seq && got == 0) {
        // Nothing outstanding: move the cursor over the finished / corrupt segment right away.
        cursor_ = read_;
        while (!segments_.empty() && segments_.front() < cursor_.seq) {
          drop_segment(segments_.front());
        }
        persist_cursor();
      }
    }
  }
  return got;
}

void Spool::drop_segment(uint64_t seq) {
  struct stat sb {};
  if (stat(seg_path(seq).c_str(), &sb) == 0) {
    bytes_ -= std::min<uint64_t>(bytes_, static_cast<uint64_t>(sb.st_size));
  }
  unlink(seg_path(seq).c_str());
  if (seq == write_seq_ && write_fd_ >= 0) {
    close(write_fd_);
    write_fd_ = -1;
  }
  if (read_fd_ >= 0 && read_fd_seq_ == seq) {
    close(read_fd_);
    read_fd_ = -1;
  }
  segments_.erase(std::find(segments_.begin(), segments_.end(), seq));
}

void Spool::ack(size_t n) {
  if (n == 0) return;
  n = std::min(n, unacked_ends_.size());
  cursor_ = unacked_ends_[n - 1];
  unacked_ends_.erase(unacked_ends_.begin(), unacked_ends_.begin() + static_cast<long>(n));
  pending_ -= std::min<uint64_t>(pending_, n);
  if (pending_ == 0 && unacked_ends_.empty() && buf_.empty()) {
    // Everything delivered: drop every segment; the next append starts a fresh one.
    uint64_t last = segments_.empty() ? cursor_.seq : segments_.back();
    while (!segments_.empty()) drop_segment(segments_.front());
    cursor_ = read_ = {last + 1, 0};
    bytes_ = 0;
  } else {
    while (!segments_.empty() && segments_.front() < cursor_.seq) drop_segment(segments_.front());
  }
  persist_cursor();
}

void Spool::rewind() {
  read_ = cursor_;
  unacked_ends_.clear();
}

void Spool::persist_cursor() {
  std::string tmp = opts_.dir + "/cursor.tmp";
  FILE* f = fopen(tmp.c_str(), "w");
  if (f == nullptr) return;
  fprintf(f, "%llu %llu\n", static_cast<unsigned long long>(cursor_.seq),
          static_cast<unsigned long long>(cursor_.off));
  fflush(f);
  if (opts_.fsync == config::AuditFsync::kAlways) fdatasync(fileno(f));
  fclose(f);
  rename(tmp.c_str(), (opts_.dir + "/cursor").c_str());
}

}  // namespace portcullis::audit
