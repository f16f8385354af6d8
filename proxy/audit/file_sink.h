// FileSink: JSON lines to a file (or stdout). Size-based rotation: when the file would exceed
// rotate_bytes it is renamed path.1 (path.1 -> path.2 ... up to rotate_keep) and a new one opened.
// reopen() (SIGUSR1) reopens the path for external rotation (logrotate's move + signal).
#pragma once

#include <cstdint>
#include <string>

#include "proxy/audit/sink.h"

namespace portcullis::audit {

class FileSink : public Sink {
 public:
  // path empty: standard output.
  FileSink(std::string path, uint64_t rotate_bytes, uint32_t rotate_keep);
  ~FileSink() override;
  Status deliver(std::span<const Record> batch) override;
  void reopen() override { reopen_ = true; }

 private:
  Status open_file();
  void rotate();
  std::string path_;
  uint64_t rotate_bytes_;
  uint32_t rotate_keep_;
  int fd_ = -1;
  uint64_t size_ = 0;
  bool reopen_ = false;
  std::string buf_;
};

}  // namespace portcullis::audit
