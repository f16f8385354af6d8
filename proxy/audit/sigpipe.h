// SIGPIPE safety for the audit threads, independent of the process-wide disposition.
//
// A write to a socket or pipe whose reader went away raises SIGPIPE, whose default action kills
// the process. Plain sockets use send(MSG_NOSIGNAL), but OpenSSL's socket BIO calls write(2), and
// the stdout sink writes to whatever pipe it was given. The proxy ignores SIGPIPE in main(), but
// the audit library must not depend on it (tests, embedders): SigpipeGuard blocks SIGPIPE in the
// calling thread for its scope and, if the guarded writes raised one, consumes it with a
// zero-timeout sigtimedwait before restoring the mask (the approach of libcurl's sigpipe_ignore).
#pragma once

#include <signal.h>

namespace portcullis::audit {

class SigpipeGuard {
 public:
  SigpipeGuard();
  ~SigpipeGuard();
  SigpipeGuard(const SigpipeGuard&) = delete;
  SigpipeGuard& operator=(const SigpipeGuard&) = delete;

 private:
  sigset_t old_;
  bool was_pending_ = false;  // a SIGPIPE that is not ours: leave it to its owner
};

// Blocks SIGPIPE for the rest of the calling thread's life (audit writer and sink threads): a
// pending SIGPIPE is then only a flag, never the death of the process.
void block_sigpipe_in_this_thread();

}  // namespace portcullis::audit
