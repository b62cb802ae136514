#include "sys/process_identity.h"

#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>

#include "common/fs.h"
#include "common/strings.h"
#include "common/unique_fd.h"
#include "sys/fd_io.h"
#include "sys/subprocess.h"

namespace kata::sys {
namespace {

constexpr size_t kUserTimeField = 14, kSystemTimeField = 15, kStartTimeField = 22;

Result<std::string> read_stat(pid_t pid) {
  if (pid <= 0) return Error(Code::kInvalidArgument, "pid " + std::to_string(pid));
  Result<std::string> stat = fs::read_file("/proc/" + std::to_string(pid) + "/stat");
  if (!stat) return Error(Code::kNotFound, "process " + std::to_string(pid) + ": not running");
  return stat;
}

}  // namespace

Result<uint64_t> parse_stat_field(const std::string& stat_line, size_t n) {
  size_t close = stat_line.rfind(')');
  if (close == std::string::npos) {
    return Error(Code::kInvalidArgument, "process stat line has no command name");
  }
  // After ")" comes field 3 (state); field N is the (N - 3)th word from there.
  std::vector<std::string> words = split(trim(stat_line.substr(close + 1)), ' ');
  if (n < 3 || words.size() <= n - 3) {
    return Error(Code::kInvalidArgument, "process stat line has no field " + std::to_string(n));
  }
  const std::string& word = words[n - 3];
  char* end = nullptr;
  errno = 0;
  unsigned long long v = std::strtoull(word.c_str(), &end, 10);
  if (errno != 0 || end == word.c_str() || *end != '\0') {
    return Error(Code::kInvalidArgument,
                 "process stat field " + std::to_string(n) + " `" + word + "` is not a number");
  }
  return static_cast<uint64_t>(v);
}

Result<uint64_t> parse_stat_start_time(const std::string& stat_line) {
  return parse_stat_field(stat_line, kStartTimeField);
}

Result<std::chrono::milliseconds> process_cpu_time(pid_t pid) {
  KATA_ASSIGN_OR_RETURN(std::string stat, read_stat(pid));
  KATA_ASSIGN_OR_RETURN(uint64_t user, parse_stat_field(stat, kUserTimeField));
  KATA_ASSIGN_OR_RETURN(uint64_t system, parse_stat_field(stat, kSystemTimeField));
  static const long kTicksPerSecond = ::sysconf(_SC_CLK_TCK);
  return std::chrono::milliseconds((user + system) * 1000 / static_cast<uint64_t>(kTicksPerSecond));
}

Result<ProcessIdentity> identify_process(pid_t pid) {
  KATA_ASSIGN_OR_RETURN(std::string stat, read_stat(pid));
  KATA_ASSIGN_OR_RETURN(uint64_t start, parse_stat_start_time(stat));
  return ProcessIdentity{pid, start};
}

bool still_running(const ProcessIdentity& who) {
  if (who.empty()) return false;
  Result<std::string> stat = read_stat(who.pid);
  if (!stat) return false;
  Result<uint64_t> start = parse_stat_start_time(*stat);
  size_t close = stat->rfind(')');
  char state = close + 2 < stat->size() ? (*stat)[close + 2] : '?';
  return start && *start == who.start_time && state != 'Z' && state != 'X' && state != 'x';
}

Result<bool> kill_identified(const ProcessIdentity& who, bool whole_group,
                             std::chrono::milliseconds timeout) {
  const std::string what = "kill process " + std::to_string(who.pid);
  if (who.empty()) return false;
  // The pidfd pins the process: once its identity is checked through it, no
  // signal below can reach a newcomer that took the pid.
  UniqueFd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, who.pid, 0)));
  if (!pidfd) {
    if (errno == ESRCH) return false;
    return Error::from_errno(errno, what + ": pidfd_open");
  }
  Result<ProcessIdentity> now = identify_process(who.pid);
  if (!now || now->start_time != who.start_time) return false;
  KATA_TRY(signal_pidfd(pidfd.get(), SIGKILL).context(what));
  // Its group id is its pid, and the leader's zombie keeps that group id taken
  // until reaped: the group cannot be a newcomer's yet.
  if (whole_group) (void)::kill(-who.pid, SIGKILL);
  // A pidfd is readable once its process has exited.
  Result<void> ended = wait_fd(pidfd.get(), POLLIN, deadline_after(timeout));
  if (!ended && ended.error().code() == Code::kDeadlineExceeded) {
    return Error(Code::kDeadlineExceeded,
                 what + ": still alive " + std::to_string(timeout.count()) + " ms after SIGKILL");
  }
  KATA_TRY(std::move(ended).context(what));
  return true;
}

}  // namespace kata::sys
