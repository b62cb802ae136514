#include "ttrpc/io.h"

#include <signal.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <ctime>

namespace kata::ttrpc::io {

Result<UniqueFd> make_wake_fd() {
  int fd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (fd < 0) return Error::from_errno(errno, "create wake eventfd");
  return UniqueFd(fd);
}

void signal_wake(int wake_fd) {
  uint64_t one = 1;
  // Nobody ever reads the counter, so it stays readable; a full counter
  // (EAGAIN) is just as readable.
  ssize_t n;
  do {
    n = ::write(wake_fd, &one, sizeof(one));
  } while (n < 0 && errno == EINTR);
}

Status wait_ready(int fd, short events, int wake_fd) {
  pollfd fds[2] = {{fd, events, 0}, {wake_fd, POLLIN, 0}};
  nfds_t count = wake_fd >= 0 ? 2 : 1;
  for (;;) {
    int n = ::poll(fds, count, -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Error::from_errno(errno, "poll");
    }
    // The wake fd wins a tie: after shutdown nothing more may be read or written.
    if (count == 2 && fds[1].revents != 0) return Error(Code::kCancelled, "connection shut down");
    if (fds[0].revents & POLLNVAL) return Error::from_errno(EBADF, "poll");
    if (fds[0].revents != 0) return {};
  }
}

Result<size_t> read_full(int fd, char* buf, size_t size, int wake_fd) {
  size_t got = 0;
  while (got < size) {
    if (wake_fd >= 0) KATA_TRY(wait_ready(fd, POLLIN, wake_fd));
    ssize_t n = ::read(fd, buf + got, size - got);
    if (n > 0) {
      got += static_cast<size_t>(n);
      continue;
    }
    if (n == 0) break;  // EOF
    if (errno == EINTR) continue;
    if (errno == EAGAIN) {  // a non-blocking fd: wait for it instead of spinning
      KATA_TRY(wait_ready(fd, POLLIN, wake_fd));
      continue;
    }
    return Error::from_errno(errno, "read");
  }
  return got;
}

namespace {

// write() on a pipe whose reader is gone raises SIGPIPE, which would kill the
// guest's PID 1. Block it in this thread only, and swallow the one we caused.
ssize_t write_without_sigpipe(int fd, const char* data, size_t size) {
  sigset_t pipe_set, old_set;
  sigemptyset(&pipe_set);
  sigaddset(&pipe_set, SIGPIPE);
  sigset_t pending;
  sigemptyset(&pending);
  sigpending(&pending);
  bool was_pending = sigismember(&pending, SIGPIPE) == 1;
  pthread_sigmask(SIG_BLOCK, &pipe_set, &old_set);
  ssize_t n = ::write(fd, data, size);
  int saved = errno;
  if (n < 0 && saved == EPIPE && !was_pending) {
    timespec zero{0, 0};
    while (sigtimedwait(&pipe_set, nullptr, &zero) < 0 && errno == EINTR) {
    }
  }
  pthread_sigmask(SIG_SETMASK, &old_set, nullptr);
  errno = saved;
  return n;
}

}  // namespace

Status write_all(int fd, std::string_view data, int wake_fd) {
  bool is_socket = true;
  size_t done = 0;
  while (done < data.size()) {
    if (wake_fd >= 0) KATA_TRY(wait_ready(fd, POLLOUT, wake_fd));
    const char* p = data.data() + done;
    size_t left = data.size() - done;
    ssize_t n = -1;
    if (is_socket) {
      // MSG_DONTWAIT: a full socket buffer sends us back to poll, where the
      // wake fd can still interrupt us.
      n = ::send(fd, p, left, MSG_NOSIGNAL | (wake_fd >= 0 ? MSG_DONTWAIT : 0));
      if (n < 0 && errno == ENOTSOCK) {
        is_socket = false;
        continue;
      }
    } else {
      n = write_without_sigpipe(fd, p, left);
    }
    if (n >= 0) {
      done += static_cast<size_t>(n);
      continue;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN) {
      KATA_TRY(wait_ready(fd, POLLOUT, wake_fd));
      continue;
    }
    return Error::from_errno(errno, "write");
  }
  return {};
}

}  // namespace kata::ttrpc::io
