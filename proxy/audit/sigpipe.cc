#include "proxy/audit/sigpipe.h"

#include <pthread.h>

#include <cerrno>
#include <ctime>

namespace portcullis::audit {
namespace {

sigset_t pipe_set() {
  sigset_t s;
  sigemptyset(&s);
  sigaddset(&s, SIGPIPE);
  return s;
}

bool sigpipe_pending() {
  sigset_t p;
  sigemptyset(&p);
  return sigpending(&p) == 0 && sigismember(&p, SIGPIPE) == 1;
}

}  // namespace

SigpipeGuard::SigpipeGuard() {
  sigset_t s = pipe_set();
  was_pending_ = sigpipe_pending();
  pthread_sigmask(SIG_BLOCK, &s, &old_);
}

SigpipeGuard::~SigpipeGuard() {
  if (!was_pending_ && sigpipe_pending()) {
    // The write that got EPIPE queued SIGPIPE on this thread (it is thread-directed): take it
    // before unblocking, or it would be delivered at once.
    sigset_t s = pipe_set();
    timespec zero{};
    while (sigtimedwait(&s, nullptr, &zero) < 0 && errno == EINTR) {
    }
  }
  pthread_sigmask(SIG_SETMASK, &old_, nullptr);
}

void block_sigpipe_in_this_thread() {
  sigset_t s = pipe_set();
  pthread_sigmask(SIG_BLOCK, &s, nullptr);
}

}  // namespace portcullis::audit
