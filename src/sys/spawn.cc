// Process::spawn: fork + exec with the child's failures reported over a pipe.
#include <fcntl.h>
#include <fmt/format.h>
#include <sched.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "common/strings.h"
#include "sys/capabilities.h"
#include "sys/subprocess.h"

extern char** environ;

namespace kata::sys {
namespace {

// What the child writes to the error pipe when a step before exec fails.
enum class Stage : int {
  kSignals,
  kProcessGroup,
  kRedirect,
  kChdir,
  kNetworkNamespace,
  kCapabilities,
  kExec
};
struct ChildFailure {
  Stage stage;
  int err;
};

// Everything the child needs, built before fork: after fork in a threaded parent only
// async-signal-safe calls are allowed, so no allocation happens in the child.
struct Prepared {
  std::string path;
  std::vector<std::string> arg_storage;
  std::vector<std::string> env_storage;
  std::vector<char*> argv;
  std::vector<char*> envp;
  std::array<UniqueFd, 3> owned;  // /dev/null or files we opened
  // What goes to fd i of the child (stdio, then the extra fds); -1: inherit.
  std::vector<int> source = {-1, -1, -1};
  std::vector<int> moved;  // the child's scratch, sized before fork
  const char* cwd = nullptr;
  bool own_group = false;
  int last_cap = -1;  // >= 0: drop capabilities 0..last_cap before exec (read before fork)
  int netns = -1;     // >= 0: setns() into it (before the capabilities go)
};

std::vector<char*> c_pointers(std::vector<std::string>& strings) {
  std::vector<char*> out;
  out.reserve(strings.size() + 1);
  for (std::string& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

std::vector<std::string> merged_env(const std::vector<std::pair<std::string, std::string>>& add) {
  std::vector<std::string> out;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    std::string_view entry(*e);
    std::string_view name = entry.substr(0, entry.find('='));
    bool replaced = false;
    for (const auto& [k, v] : add) replaced = replaced || k == name;
    if (!replaced) out.emplace_back(entry);
  }
  for (const auto& [k, v] : add) out.push_back(k + "=" + v);
  return out;
}

Result<void> prepare_stdio(const Stdio& stdio, int index, Prepared& p) {
  const Stdio::Target& t = stdio.target();
  if (std::holds_alternative<Stdio::Inherit>(t)) return {};
  if (const auto* fd = std::get_if<Stdio::Fd>(&t)) {
    p.source[index] = fd->fd;
    return {};
  }
  std::string path = "/dev/null";
  int flags = O_CLOEXEC | (index == 0 ? O_RDONLY : O_WRONLY);
  if (const auto* file = std::get_if<Stdio::File>(&t)) {
    path = file->path;
    if (index != 0) flags |= O_CREAT | (file->append ? O_APPEND : O_TRUNC);
  }
  UniqueFd fd(::open(path.c_str(), flags, 0640));
  if (!fd) return Error::from_errno(errno, fmt_path("open", path));
  p.source[index] = fd.get();
  p.owned[index] = std::move(fd);
  return {};
}

Result<Prepared> prepare(const SpawnOptions& o) {
  if (o.argv.empty()) return Error(Code::kInvalidArgument, "spawn: empty argv");
  Prepared p;
  KATA_ASSIGN_OR_RETURN(p.path, find_executable(o.argv[0]));
  p.arg_storage = o.argv;
  if (o.clear_env) {
    for (const auto& [k, v] : o.env) p.env_storage.push_back(k + "=" + v);
  } else {
    p.env_storage = merged_env(o.env);
  }
  p.argv = c_pointers(p.arg_storage);
  p.envp = c_pointers(p.env_storage);
  KATA_TRY(prepare_stdio(o.in, 0, p));
  KATA_TRY(prepare_stdio(o.out, 1, p));
  KATA_TRY(prepare_stdio(o.err, 2, p));
  p.source.insert(p.source.end(), o.extra_fds.begin(), o.extra_fds.end());
  p.moved.assign(p.source.size(), -1);
  if (!o.cwd.empty()) p.cwd = o.cwd.c_str();
  p.own_group = o.new_process_group;
  p.netns = o.network_namespace_fd;
  if (o.drop_capabilities) {
    KATA_ASSIGN_OR_RETURN(p.last_cap, read_last_cap());
  }
  return p;
}

[[noreturn]] void child_fail(int pipe_fd, Stage stage) {
  ChildFailure f{stage, errno};
  ssize_t unused = ::write(pipe_fd, &f, sizeof f);
  (void)unused;
  ::_exit(127);
}

// Runs in the child: async-signal-safe calls only.
[[noreturn]] void child_main(Prepared& p, int pipe_fd) {
  sigset_t none;
  sigemptyset(&none);
  if (::sigprocmask(SIG_SETMASK, &none, nullptr) != 0) child_fail(pipe_fd, Stage::kSignals);
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  // Ignored signals survive exec; QEMU must not inherit e.g. our SIG_IGN for SIGPIPE.
  for (int sig = 1; sig < NSIG; ++sig) ::sigaction(sig, &dfl, nullptr);
  if (p.own_group && ::setpgid(0, 0) != 0) child_fail(pipe_fd, Stage::kProcessGroup);
  // Before the fds are shuffled onto 0, 1, 2, 3...: the namespace fd may be one of those.
  if (p.netns >= 0 && ::setns(p.netns, CLONE_NEWNET) != 0)
    child_fail(pipe_fd, Stage::kNetworkNamespace);
  // The error pipe and every source move above the target fds first, so that no dup2
  // clobbers one still needed (e.g. out=fd(2), err=fd(1)).
  const int targets = static_cast<int>(p.source.size());
  if (pipe_fd < targets) {
    int high = ::fcntl(pipe_fd, F_DUPFD_CLOEXEC, targets);
    if (high < 0) child_fail(pipe_fd, Stage::kRedirect);
    pipe_fd = high;
  }
  for (int i = 0; i < targets; ++i) {
    if (p.source[i] < 0) continue;
    p.moved[i] = ::fcntl(p.source[i], F_DUPFD_CLOEXEC, targets);
    if (p.moved[i] < 0) child_fail(pipe_fd, Stage::kRedirect);
  }
  for (int i = 0; i < targets; ++i) {
    if (p.moved[i] >= 0 && ::dup2(p.moved[i], i) < 0) child_fail(pipe_fd, Stage::kRedirect);
  }
  if (p.cwd != nullptr && ::chdir(p.cwd) != 0) child_fail(pipe_fd, Stage::kChdir);
  if (p.last_cap >= 0 && !limit_capabilities(0, p.last_cap)) {
    child_fail(pipe_fd, Stage::kCapabilities);
  }
  ::execve(p.path.c_str(), p.argv.data(), p.envp.data());
  child_fail(pipe_fd, Stage::kExec);
}

Error failure_error(const ChildFailure& f, const Prepared& p) {
  switch (f.stage) {
    case Stage::kSignals:
      return Error::from_errno(f.err, "reset signals in child");
    case Stage::kProcessGroup:
      return Error::from_errno(f.err, "setpgid in child");
    case Stage::kRedirect:
      return Error::from_errno(f.err, "redirect stdio in child");
    case Stage::kChdir:
      return Error::from_errno(f.err, fmt_path("chdir", p.cwd));
    case Stage::kNetworkNamespace:
      return Error::from_errno(f.err, "enter network namespace in child");
    case Stage::kCapabilities:
      return Error::from_errno(f.err, "drop capabilities in child");
    case Stage::kExec:
      break;
  }
  return Error::from_errno(f.err, fmt_path("exec", p.path));
}

// A pipe whose ends are both above 2, so that dup2 onto 0..2 in the child cannot hit it.
Result<std::array<UniqueFd, 2>> error_pipe() {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return Error::from_errno(errno, "pipe");
  std::array<UniqueFd, 2> ends{UniqueFd(fds[0]), UniqueFd(fds[1])};
  for (UniqueFd& end : ends) {
    if (end.get() > 2) continue;
    UniqueFd high(::fcntl(end.get(), F_DUPFD_CLOEXEC, 3));
    if (!high) return Error::from_errno(errno, "dup pipe");
    end = std::move(high);
  }
  return ends;
}

// Blocks until exec closes the CLOEXEC write end (success) or the child reports.
std::optional<ChildFailure> read_child_failure(int read_fd) {
  ChildFailure f{};
  ssize_t n;
  do {
    n = ::read(read_fd, &f, sizeof f);
  } while (n < 0 && errno == EINTR);
  if (n == static_cast<ssize_t>(sizeof f)) return f;
  return std::nullopt;
}

}  // namespace

Result<Process> Process::spawn(const SpawnOptions& options) {
  KATA_ASSIGN_OR_RETURN(Prepared p, prepare(options));
  KATA_ASSIGN_OR_RETURN(auto pipe, error_pipe());
  // clone with CLONE_NEWPID forks into a new pid namespace, the child its init.
  pid_t pid = options.new_pid_namespace
                  ? static_cast<pid_t>(::syscall(SYS_clone, CLONE_NEWPID | SIGCHLD, nullptr,
                                                 nullptr, nullptr, nullptr))
                  : ::fork();
  if (pid < 0) return Error::from_errno(errno, "fork");
  if (pid == 0) child_main(p, pipe[1].get());
  pipe[1].reset();
  if (std::optional<ChildFailure> failure = read_child_failure(pipe[0].get())) {
    int status;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    return failure_error(*failure, p);
  }
  // We have not reaped the child, so its pid cannot have been reused yet.
  UniqueFd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
  if (!pidfd) {
    int err = errno;
    ::kill(pid, SIGKILL);
    int status;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    return Error::from_errno(err, "pidfd_open");
  }
  ::fcntl(pidfd.get(), F_SETFD, FD_CLOEXEC);  // pidfd_open sets it already; be explicit
  return Process(pid, std::move(pidfd), options.new_process_group);
}

}  // namespace kata::sys
