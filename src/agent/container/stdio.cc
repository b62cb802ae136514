#include "agent/container/stdio.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

namespace kata::agent::container {
namespace {

// How often a blocked read or write looks at its cancel token. The token has
// no fd to poll, so cancellation is noticed within this much time.

Result<void> set_nonblock(int fd) {
  int flags = ::fcntl(fd, F_GETFL);
  if (flags < 0 || ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) != 0) {
    return Error::from_errno(errno, "set O_NONBLOCK");
  }
  return {};
}

Error cancelled() { return Error(Code::kCancelled, "call cancelled"); }

}  // namespace

Result<std::unique_ptr<ProcessIo>> ProcessIo::pipes() {
  std::unique_ptr<ProcessIo> io(new ProcessIo());
  int p[2];
  if (::pipe2(p, O_CLOEXEC) != 0) return Error::from_errno(errno, "pipe");
  io->child_in_.reset(p[0]);
  io->stdin_w_.reset(p[1]);
  if (::pipe2(p, O_CLOEXEC) != 0) return Error::from_errno(errno, "pipe");
  io->stdout_r_.reset(p[0]);
  io->child_out_.reset(p[1]);
  if (::pipe2(p, O_CLOEXEC) != 0) return Error::from_errno(errno, "pipe");
  io->stderr_r_.reset(p[0]);
  io->child_err_.reset(p[1]);
  for (int fd : {io->stdin_w_.get(), io->stdout_r_.get(), io->stderr_r_.get()})
    KATA_TRY(set_nonblock(fd));
  return io;
}

Result<std::unique_ptr<ProcessIo>> ProcessIo::terminal() {
  std::unique_ptr<ProcessIo> io(new ProcessIo());
  io->tty_ = true;
  io->child_in_.reset(::open("/dev/null", O_RDWR | O_CLOEXEC));
  if (!io->child_in_) return Error::from_errno(errno, "open `/dev/null`");
  return io;
}

Result<void> ProcessIo::set_terminal_master(UniqueFd master) {
  if (!tty_) return Error(Code::kFailedPrecondition, "the process has no terminal");
  if (!master) return Error(Code::kInvalidArgument, "no pty master");
  KATA_TRY(set_nonblock(master.get()));
  master_ = std::move(master);
  return {};
}

ChildStdio ProcessIo::child_stdio() const {
  if (tty_) return {child_in_.get(), child_in_.get(), child_in_.get()};
  return {child_in_.get(), child_out_.get(), child_err_.get()};
}

void ProcessIo::close_child_side() {
  child_in_.reset();
  child_out_.reset();
  child_err_.reset();
}

Result<std::string> ProcessIo::read_from(int fd, uint32_t max, const ttrpc::CancelToken* cancel) {
  if (fd < 0 || max == 0) return std::string();
  std::string buf(std::min<uint32_t>(max, 1u << 20), '\0');
  for (;;) {
    if (!ttrpc::wait_ready_or_cancelled(fd, POLLIN, cancel)) return cancelled();
    ssize_t n = ::read(fd, buf.data(), buf.size());
    if (n >= 0) {
      buf.resize(static_cast<size_t>(n));
      return buf;
    }
    // EIO on a pty master: every slave fd is closed, the terminal's EOF.
    if (errno == EIO && tty_) return std::string();
    if (errno != EAGAIN && errno != EINTR) return Error::from_errno(errno, "read process output");
  }
}

Result<std::string> ProcessIo::read_stdout(uint32_t max, const ttrpc::CancelToken* cancel) {
  return read_from(tty_ ? master_.get() : stdout_r_.get(), max, cancel);
}

Result<std::string> ProcessIo::read_stderr(uint32_t max, const ttrpc::CancelToken* cancel) {
  if (tty_) return std::string();
  return read_from(stderr_r_.get(), max, cancel);
}

Result<uint32_t> ProcessIo::write_stdin(std::string_view data, const ttrpc::CancelToken* cancel) {
  std::lock_guard lock(stdin_mu_);
  int fd = tty_ ? master_.get() : stdin_w_.get();
  if (fd < 0) return Error(Code::kFailedPrecondition, "stdin is closed");
  if (data.empty()) return 0u;
  for (;;) {
    if (!ttrpc::wait_ready_or_cancelled(fd, POLLOUT, cancel)) return cancelled();
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n >= 0) return static_cast<uint32_t>(n);
    if (errno == EPIPE)
      return Error(Code::kFailedPrecondition, "write stdin: the process closed it");
    if (errno != EAGAIN && errno != EINTR) return Error::from_errno(errno, "write stdin");
  }
}

Result<void> ProcessIo::close_stdin() {
  std::lock_guard lock(stdin_mu_);
  if (!tty_) {
    stdin_w_.reset();
    return {};
  }
  // The master also carries the output: the terminal's EOF is its VEOF byte.
  termios t;
  char eof = ::tcgetattr(master_.get(), &t) == 0 ? static_cast<char>(t.c_cc[VEOF]) : '\x04';
  if (::write(master_.get(), &eof, 1) < 0 && errno != EIO)
    return Error::from_errno(errno, "close stdin");
  return {};
}

Result<void> ProcessIo::resize(uint32_t rows, uint32_t columns) {
  if (!tty_) return Error(Code::kFailedPrecondition, "the process has no terminal");
  winsize ws{static_cast<unsigned short>(rows), static_cast<unsigned short>(columns), 0, 0};
  if (::ioctl(master_.get(), TIOCSWINSZ, &ws) != 0)
    return Error::from_errno(errno, "resize terminal");
  return {};
}

}  // namespace kata::agent::container
