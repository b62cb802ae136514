#include "sys/fd_io.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>

namespace kata::sys {

int poll_timeout_ms(Deadline deadline) {
  auto left = deadline - Clock::now();
  if (left <= Clock::duration::zero()) return 0;
  auto ms = std::chrono::ceil<std::chrono::milliseconds>(left).count();
  return ms > INT_MAX ? INT_MAX : static_cast<int>(ms);
}

Result<void> wait_fd(int fd, short events, Deadline deadline) {
  for (;;) {
    pollfd p{fd, events, 0};
    int n = ::poll(&p, 1, poll_timeout_ms(deadline));
    if (n > 0) return {};
    if (n == 0) return Error(Code::kDeadlineExceeded, "timed out waiting for fd", ETIMEDOUT);
    if (errno != EINTR) return Error::from_errno(errno, "poll");
  }
}

Result<std::string> read_some(int fd, size_t max_bytes, Deadline deadline) {
  std::string buf(max_bytes, '\0');
  for (;;) {
    KATA_TRY(wait_fd(fd, POLLIN, deadline));
    ssize_t n = ::read(fd, buf.data(), buf.size());
    if (n >= 0) {
      buf.resize(static_cast<size_t>(n));
      return buf;
    }
    if (errno != EINTR && errno != EAGAIN) return Error::from_errno(errno, "read");
  }
}

namespace {

// send() with MSG_NOSIGNAL keeps a closed peer from raising SIGPIPE; plain files and
// pipes fall back to write().
ssize_t write_nosignal(int fd, const char* data, size_t len) {
  ssize_t n = ::send(fd, data, len, MSG_NOSIGNAL);
  if (n < 0 && errno == ENOTSOCK) n = ::write(fd, data, len);
  return n;
}

}  // namespace

Result<void> write_all(int fd, std::string_view data, Deadline deadline) {
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = write_nosignal(fd, data.data() + done, data.size() - done);
    if (n >= 0) {
      done += static_cast<size_t>(n);
      continue;
    }
    if (errno == EINTR) continue;
    if (errno != EAGAIN) return Error::from_errno(errno, "write");
    KATA_TRY(wait_fd(fd, POLLOUT, deadline));
  }
  return {};
}

}  // namespace kata::sys
