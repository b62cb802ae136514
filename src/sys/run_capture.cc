#include <fcntl.h>
#include <fmt/format.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "common/strings.h"
#include "sys/deadline.h"
#include "sys/subprocess.h"

namespace kata::sys {
namespace {

struct Pipe {
  UniqueFd read;
  UniqueFd write;
};

Result<Pipe> nonblocking_read_pipe() {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return Error::from_errno(errno, "pipe");
  Pipe p{UniqueFd(fds[0]), UniqueFd(fds[1])};
  ::fcntl(p.read.get(), F_SETFL, O_NONBLOCK);
  return p;
}

// Reads what is there now; returns false at EOF. Bytes beyond `max` are dropped so that a
// chatty child cannot make us buffer without bound, yet never blocks on a full pipe.
bool drain(UniqueFd& fd, std::string& into, size_t max) {
  char buf[4096];
  for (;;) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n > 0) {
      size_t room = max > into.size() ? max - into.size() : 0;
      into.append(buf, std::min(room, static_cast<size_t>(n)));
      continue;
    }
    if (n == 0) {
      fd.reset();
      return false;
    }
    if (errno == EINTR) continue;
    if (errno != EAGAIN) fd.reset();
    return fd.valid();
  }
}

}  // namespace

Result<CapturedOutput> run_capture(SpawnOptions options, std::chrono::milliseconds timeout,
                                   size_t max_output) {
  Deadline deadline = deadline_after(timeout);
  std::string name = options.argv.empty() ? "" : options.argv[0];
  KATA_ASSIGN_OR_RETURN(Pipe out, nonblocking_read_pipe());
  KATA_ASSIGN_OR_RETURN(Pipe err, nonblocking_read_pipe());
  options.out = Stdio::fd(out.write.get());
  options.err = Stdio::fd(err.write.get());
  KATA_ASSIGN_OR_RETURN(Process proc, Process::spawn(options));
  out.write.reset();
  err.write.reset();

  CapturedOutput result;
  bool exited = false;
  while (!exited && !expired(deadline)) {
    pollfd fds[3] = {
        {out.read.get(), POLLIN, 0}, {err.read.get(), POLLIN, 0}, {proc.pidfd(), POLLIN, 0}};
    int n = ::poll(fds, 3, poll_timeout_ms(deadline));
    if (n < 0 && errno != EINTR) return Error::from_errno(errno, "poll");
    exited = fds[2].revents != 0;
    // Once the child is gone, what it wrote is already in the pipes: take it and stop,
    // even if a grandchild still holds the write ends.
    if (out.read) drain(out.read, result.out, max_output);
    if (err.read) drain(err.read, result.err, max_output);
  }
  if (!exited) {
    (void)proc.kill_group(SIGKILL);
    (void)proc.wait_for(std::nullopt);
    return Error(Code::kDeadlineExceeded,
                 fmt::format("{}: timed out after {} ms", fmt_path("run", name), timeout.count()),
                 ETIMEDOUT);
  }
  KATA_ASSIGN_OR_RETURN(result.status, proc.wait_for(std::nullopt));
  return result;
}

}  // namespace kata::sys
