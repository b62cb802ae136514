#include "sys/subprocess.h"

#include <fmt/format.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "common/strings.h"
#include "sys/deadline.h"
#include "sys/fd_io.h"

namespace kata::sys {

std::string ExitStatus::describe() const {
  if (signal != 0) return fmt::format("killed by signal {} ({})", signal, ::strsignal(signal));
  return fmt::format("exit status {}", code);
}

ExitStatus ExitStatus::from_wait_status(int status) {
  ExitStatus s;
  if (WIFSIGNALED(status)) {
    s.signal = WTERMSIG(status);
  } else if (WIFEXITED(status)) {
    s.code = WEXITSTATUS(status);
  }
  return s;
}

Process::Process(Process&& other) noexcept
    : pid_(std::exchange(other.pid_, -1)),
      pidfd_(std::move(other.pidfd_)),
      own_group_(other.own_group_),
      status_(std::exchange(other.status_, std::nullopt)) {}

Process& Process::operator=(Process&& other) noexcept {
  if (this != &other) {
    kill_and_reap();
    pid_ = std::exchange(other.pid_, -1);
    pidfd_ = std::move(other.pidfd_);
    own_group_ = other.own_group_;
    status_ = std::exchange(other.status_, std::nullopt);
  }
  return *this;
}

Process::~Process() { kill_and_reap(); }

void Process::kill_and_reap() noexcept {
  if (pid_ <= 0 || status_) return;
  (void)kill_group(SIGKILL);
  (void)wait_for(std::nullopt);
}

Result<ExitStatus> Process::wait_for(std::optional<std::chrono::milliseconds> timeout) {
  if (status_) return *status_;
  if (pid_ <= 0) return Error(Code::kFailedPrecondition, "wait: no process");
  if (timeout) {
    Result<void> ready = wait_fd(pidfd_.get(), POLLIN, deadline_after(*timeout));
    if (!ready) {
      return std::move(ready).error().context(fmt::format("wait for pid {}", pid_));
    }
  }
  int status = 0;
  for (;;) {
    if (::waitpid(pid_, &status, 0) == pid_) break;
    if (errno != EINTR) return Error::from_errno(errno, fmt::format("wait for pid {}", pid_));
  }
  status_ = ExitStatus::from_wait_status(status);
  pidfd_.reset();
  return *status_;
}

Result<void> signal_pidfd(int pidfd, int sig) {
  if (::syscall(SYS_pidfd_send_signal, pidfd, sig, nullptr, 0) != 0 && errno != ESRCH) {
    return Error::from_errno(errno, "pidfd_send_signal");
  }
  return {};
}

Result<void> Process::kill(int sig) {
  if (status_ || pid_ <= 0) return {};
  return signal_pidfd(pidfd_.get(), sig).context(fmt::format("kill pid {}", pid_));
}

Result<void> Process::kill_group(int sig) {
  if (!own_group_) return kill(sig);
  if (status_ || pid_ <= 0) return {};
  // Until we reap the leader its pid cannot be reused, so neither can the group id.
  if (::kill(-pid_, sig) != 0 && errno != ESRCH) {
    return Error::from_errno(errno, fmt::format("kill process group {}", pid_));
  }
  return {};
}

Result<std::string> find_executable(const std::string& name) {
  if (name.empty()) return Error(Code::kInvalidArgument, "exec: empty program name");
  if (name.find('/') != std::string::npos) return name;
  const char* env_path = std::getenv("PATH");
  std::string path_list = env_path != nullptr ? env_path : "/usr/local/bin:/usr/bin:/bin";
  for (const std::string& dir : split(path_list, ':')) {
    std::string candidate = dir + "/" + name;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return Error::from_errno(ENOENT, fmt_path("exec", name));
}

}  // namespace kata::sys
