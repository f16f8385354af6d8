#include "proxy/audit/file_sink.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "proxy/audit/sigpipe.h"

namespace portcullis::audit {

FileSink::FileSink(std::string path, uint64_t rotate_bytes, uint32_t rotate_keep)
    : path_(std::move(path)), rotate_bytes_(rotate_bytes), rotate_keep_(rotate_keep) {}

FileSink::~FileSink() {
  if (fd_ > 2) close(fd_);
}

Status FileSink::open_file() {
  if (path_.empty()) {
    fd_ = STDOUT_FILENO;
    return Status::Ok();
  }
  if (fd_ > 2) close(fd_);
  fd_ = open(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
  if (fd_ < 0) return make_error("open " + path_ + ": " + std::strerror(errno));
  struct stat sb {};
  fstat(fd_, &sb);
  size_ = static_cast<uint64_t>(sb.st_size);
  return Status::Ok();
}

void FileSink::rotate() {
  if (fd_ > 2) close(fd_);
  fd_ = -1;
  if (rotate_keep_ == 0) {
    unlink(path_.c_str());
    return;
  }
  for (uint32_t i = rotate_keep_; i > 1; --i) {
    rename((path_ + "." + std::to_string(i - 1)).c_str(),
           (path_ + "." + std::to_string(i)).c_str());
  }
  rename(path_.c_str(), (path_ + ".1").c_str());
}

Status FileSink::deliver(std::span<const Record> batch) {
  if (reopen_ && !path_.empty()) {
    reopen_ = false;
    if (fd_ > 2) close(fd_);
    fd_ = -1;
  }
  if (fd_ < 0) {
    Status s = open_file();
    if (!s) return s;
  }
  size_t i = 0;
  while (i < batch.size()) {
    buf_.clear();
    // Fill up to the rotation limit (at least one line per file).
    for (; i < batch.size(); ++i) {
      uint64_t line = batch[i].json.size() + 1;
      if (!path_.empty() && size_ + buf_.size() + line > rotate_bytes_ &&
          (size_ + buf_.size()) > 0) {
        break;
      }
      buf_ += batch[i].json;
      buf_ += '\n';
    }
    size_t done = 0;
    SigpipeGuard no_sigpipe;  // stdout may be a pipe whose reader died: EPIPE, not death
    while (done < buf_.size()) {
      ssize_t n = write(fd_, buf_.data() + done, buf_.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0)
        return make_error("write " + (path_.empty() ? "stdout" : path_) + ": " +
                          std::strerror(errno));
      done += static_cast<size_t>(n);
    }
    size_ += buf_.size();
    if (i < batch.size()) {
      rotate();
      Status s = open_file();
      if (!s) return s;
    }
  }
  return Status::Ok();
}

}  // namespace portcullis::audit
