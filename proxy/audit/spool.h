// Spool: the on-disk backlog of one sink (append-only segments, checksummed records, a committed
// cursor). Records are read in order, handed to the sink, and only acknowledged (the cursor
// moves, fully read segments are deleted) after the sink confirmed them: at-least-once across
// sink outages and Portcullis restarts; the stable event id lets the backend drop duplicates.
//
// Layout in `dir`: <20-digit seq>.seg files and "cursor" ("<seq> <offset>\n", replaced by rename).
// Record frame: u32 magic "PCA1", u32 payload length, u32 CRC-32 (zlib) of the payload, payload =
// u8 priority, i64 created_us (little endian), JSON bytes. A torn tail (crash mid-write) is cut at
// open; a bad frame elsewhere is counted as corrupt and the rest of that segment is skipped (its
// length field can no longer be trusted).
//
// Not thread-safe: the owning SinkRunner serialises calls.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "proxy/audit/record.h"
#include "proxy/config/audit_config.h"
#include "rules/base/result.h"

namespace portcullis::audit {

class Spool {
 public:
  struct Options {
    std::string dir;
    uint64_t segment_bytes = 8ull << 20;
    uint64_t max_bytes = 256ull << 20;
    config::AuditFsync fsync = config::AuditFsync::kBatch;
  };
  static Result<std::unique_ptr<Spool>> open(Options opts);
  ~Spool();

  // Appends one record; false when the size limit is reached (the caller counts a drop).
  bool append(const Record& r);
  // Writes buffered records to the segment (and fsyncs under kBatch / kAlways).
  Status flush();
  // Reads up to `max` records after the read position (which then moves past them).
  size_t read(size_t max, std::vector<Record>& out);
  // Commits the first `n` records read since the cursor; deletes segments left behind.
  void ack(size_t n);
  // Forgets what was read but not acknowledged: the next read() starts at the cursor again.
  void rewind();

  bool empty() const { return pending_ == 0; }
  uint64_t pending() const { return pending_; }  // appended, not yet acknowledged
  uint64_t bytes() const { return bytes_; }
  uint64_t corrupt_records() const { return corrupt_; }

 private:
  explicit Spool(Options o) : opts_(std::move(o)) {}
  Status init();
  std::string seg_path(uint64_t seq) const;
  Status open_writer(uint64_t seq);
  // Scans one segment from `offset`; counts valid records, returns the end of the last valid one.
  uint64_t scan(uint64_t seq, uint64_t offset, uint64_t* records, bool* corrupt);
  void persist_cursor();
  void drop_segment(uint64_t seq);

  struct Pos {
    uint64_t seq = 0;
    uint64_t off = 0;
  };
  Options opts_;
  std::deque<uint64_t> segments_;  // existing segment sequence numbers, ascending
  int write_fd_ = -1;
  uint64_t write_seq_ = 0;
  uint64_t write_off_ = 0;        // bytes on disk in the write segment
  std::string buf_;               // framed records not yet written
  Pos cursor_;                    // committed
  Pos read_;                      // next record to read
  std::deque<Pos> unacked_ends_;  // end position of each record read since the cursor
  uint64_t pending_ = 0;
  uint64_t bytes_ = 0;
  uint64_t corrupt_ = 0;
  int read_fd_ = -1;
  uint64_t read_fd_seq_ = 0;
};

}  // namespace portcullis::audit
