#include "e2e/ctr_process.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>

#include "common/strings.h"
#include "sys/deadline.h"
#include "sys/fd_io.h"

namespace kata::e2e {
namespace {

std::string shorten(const std::string& s, size_t max = 2000) {
  if (s.size() <= max) return s;
  return "..." + s.substr(s.size() - max);
}

int exit_code_of(const sys::ExitStatus& status) {
  return status.signal != 0 ? 128 + status.signal : status.code;
}

struct Pipe {
  UniqueFd read, write;
};

Result<Pipe> make_pipe() {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return Error::from_errno(errno, "pipe");
  return Pipe{UniqueFd(fds[0]), UniqueFd(fds[1])};
}

// Appends what `fd` has now; resets it at EOF or on an error (EIO: a pty whose slave
// side is closed everywhere).
void drain(UniqueFd& fd, std::string& into) {
  char buf[4096];
  while (fd) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n > 0) {
      into.append(buf, static_cast<size_t>(n));
    } else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
      fd.reset();
    } else if (errno == EAGAIN) {
      return;
    }
  }
}

sys::SpawnOptions options_for(std::vector<std::string> argv, Env env) {
  sys::SpawnOptions o;
  o.argv = std::move(argv);
  o.env = std::move(env);
  return o;
}

struct Pty {
  UniqueFd master, slave;
};

Result<Pty> open_pty() {
  UniqueFd master(::posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC));
  if (!master) return Error::from_errno(errno, "posix_openpt");
  if (::grantpt(master.get()) != 0 || ::unlockpt(master.get()) != 0)
    return Error::from_errno(errno, "unlock pty");
  char name[128];
  if (::ptsname_r(master.get(), name, sizeof name) != 0) return Error::from_errno(errno, "ptsname");
  UniqueFd slave(::open(name, O_RDWR | O_NOCTTY | O_CLOEXEC));
  if (!slave) return Error::from_errno(errno, fmt_path("open", name));
  winsize ws{};
  ws.ws_row = 24;
  ws.ws_col = 80;
  ::ioctl(master.get(), TIOCSWINSZ, &ws);
  ::fcntl(master.get(), F_SETFL, O_NONBLOCK);
  return Pty{std::move(master), std::move(slave)};
}

}  // namespace

std::string CtrResult::describe() const {
  return fmt::format("exit {}; stdout `{}`; stderr `{}`", exit_code, shorten(out), shorten(err));
}

CtrResult to_ctr_result(const sys::CapturedOutput& captured) {
  return CtrResult{exit_code_of(captured.status), captured.out, captured.err};
}

Result<CtrResult> run_captured(std::vector<std::string> argv, std::chrono::milliseconds timeout,
                               Env env) {
  KATA_ASSIGN_OR_RETURN(sys::CapturedOutput captured,
                        sys::run_capture(options_for(std::move(argv), std::move(env)), timeout));
  return to_ctr_result(captured);
}

Result<CtrResult> run_on_pty(std::vector<std::string> argv, std::chrono::milliseconds timeout,
                             Env env) {
  sys::Deadline deadline = sys::deadline_after(timeout);
  std::string name = argv.empty() ? "" : argv[0];
  KATA_ASSIGN_OR_RETURN(Pty pty, open_pty());
  sys::SpawnOptions o = options_for(std::move(argv), std::move(env));
  o.in = o.out = o.err = sys::Stdio::fd(pty.slave.get());
  KATA_ASSIGN_OR_RETURN(sys::Process proc, sys::Process::spawn(o));
  pty.slave.reset();

  CtrResult result;
  bool exited = false;
  while (!exited && !sys::expired(deadline)) {
    // poll() skips a negative fd: the master is closed once the terminal hung up.
    pollfd fds[2] = {{proc.pidfd(), POLLIN, 0}, {pty.master.get(), POLLIN, 0}};
    int n = ::poll(fds, 2, sys::poll_timeout_ms(deadline));
    if (n < 0 && errno != EINTR) return Error::from_errno(errno, "poll");
    exited = fds[0].revents != 0;
    drain(pty.master, result.out);
  }
  if (!exited) {
    (void)proc.kill_group(SIGKILL);
    (void)proc.wait_for(std::nullopt);
    return Error(Code::kDeadlineExceeded,
                 fmt::format("{} on a pty: timed out after {} ms; the terminal showed `{}`",
                             fmt_path("run", name), timeout.count(), shorten(result.out)));
  }
  KATA_ASSIGN_OR_RETURN(sys::ExitStatus status, proc.wait_for(std::nullopt));
  result.exit_code = exit_code_of(status);
  return result;
}

Result<BackgroundProcess> BackgroundProcess::spawn(std::vector<std::string> argv, Env env) {
  KATA_ASSIGN_OR_RETURN(Pipe in, make_pipe());
  KATA_ASSIGN_OR_RETURN(Pipe out, make_pipe());
  KATA_ASSIGN_OR_RETURN(Pipe err, make_pipe());
  sys::SpawnOptions o = options_for(std::move(argv), std::move(env));
  o.in = sys::Stdio::fd(in.read.get());
  o.out = sys::Stdio::fd(out.write.get());
  o.err = sys::Stdio::fd(err.write.get());
  KATA_ASSIGN_OR_RETURN(sys::Process proc, sys::Process::spawn(o));
  ::fcntl(out.read.get(), F_SETFL, O_NONBLOCK);
  ::fcntl(err.read.get(), F_SETFL, O_NONBLOCK);
  return BackgroundProcess(std::move(proc), std::move(in.write), std::move(out.read),
                           std::move(err.read));
}

Result<void> BackgroundProcess::write_stdin(std::string_view data) {
  if (!in_) return Error(Code::kFailedPrecondition, "write stdin: already closed");
  return sys::write_all(in_.get(), data, sys::deadline_after(std::chrono::seconds(30)));
}

bool BackgroundProcess::pump(int timeout_ms) {
  pollfd fds[3] = {{proc_.pidfd(), POLLIN, 0}, {out_.get(), POLLIN, 0}, {err_.get(), POLLIN, 0}};
  int n = ::poll(fds, 3, timeout_ms);
  if (n < 0) return false;
  drain(out_, out_buf_);
  drain(err_, err_buf_);
  return fds[0].revents != 0;
}

Result<void> BackgroundProcess::wait_for_stdout(std::string_view text,
                                                std::chrono::milliseconds timeout) {
  sys::Deadline deadline = sys::deadline_after(timeout);
  for (;;) {
    if (out_buf_.find(text) != std::string::npos) return {};
    if (sys::expired(deadline))
      return Error(Code::kDeadlineExceeded,
                   fmt::format("no `{}` on stdout within {} ms; stdout `{}`; stderr `{}`", text,
                               timeout.count(), shorten(out_buf_), shorten(err_buf_)));
    if (proc_.reaped())
      return Error(Code::kFailedPrecondition,
                   fmt::format("exited before `{}` appeared; stdout `{}`; "
                               "stderr `{}`",
                               text, shorten(out_buf_), shorten(err_buf_)));
    if (pump(sys::poll_timeout_ms(deadline))) {
      drain(out_, out_buf_);
      if (out_buf_.find(text) != std::string::npos) return {};
      (void)proc_.wait_for(std::nullopt);
    }
  }
}

Result<CtrResult> BackgroundProcess::wait(std::chrono::milliseconds timeout) {
  sys::Deadline deadline = sys::deadline_after(timeout);
  bool exited = proc_.reaped();
  while (!exited && !sys::expired(deadline)) exited = pump(sys::poll_timeout_ms(deadline));
  drain(out_, out_buf_);
  drain(err_, err_buf_);
  if (!exited) {
    (void)proc_.kill_group(SIGKILL);
    (void)proc_.wait_for(std::nullopt);
    return Error(Code::kDeadlineExceeded,
                 fmt::format("still running after {} ms; stdout `{}`; stderr `{}`", timeout.count(),
                             shorten(out_buf_), shorten(err_buf_)));
  }
  KATA_ASSIGN_OR_RETURN(sys::ExitStatus status, proc_.wait_for(std::nullopt));
  return CtrResult{exit_code_of(status), out_buf_, err_buf_};
}

}  // namespace kata::e2e
