#include "agent/container/launcher.h"

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <memory>
#include <system_error>
#include <thread>

#include "common/unique_fd.h"

namespace kata::agent::container {
namespace {

// Child fds are moved to >= kHighFd first, so that the dup2s onto 0-3 never
// overwrite a source that is still needed.
constexpr int kHighFd = 10;

Result<UniqueFd> dup_high(int fd) {
  if (fd < 0) return UniqueFd();
  UniqueFd copy(::fcntl(fd, F_DUPFD_CLOEXEC, kHighFd));
  if (!copy) return Error::from_errno(errno, "dup child fd");
  return copy;
}

// Everything the child touches, prepared before clone.
struct ChildPlan {
  int fds[4];  // targets 0..3
  const char* argv[3];
  const char* envp[1];
  std::string failure_frame;
};

// Runs in the child on a stack of its own, sharing the agent's memory until execve
// (CLONE_VM | CLONE_VFORK): it only reads the plan and makes system calls.
int child_main(void* arg) {
  const ChildPlan& plan = *static_cast<const ChildPlan*>(arg);
  // A handler of the agent's would run here on shared memory: back to the defaults
  // before any signal is let in. SIG_IGN stays (exec keeps it) except for SIGPIPE,
  // which the workload expects at its default.
  struct sigaction dfl = {};
  dfl.sa_handler = SIG_DFL;
  for (int sig = 1; sig < NSIG; ++sig) {
    struct sigaction old = {};
    if (::sigaction(sig, nullptr, &old) != 0) continue;
    if (old.sa_handler != SIG_DFL && (old.sa_handler != SIG_IGN || sig == SIGPIPE))
      ::sigaction(sig, &dfl, nullptr);
  }
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  for (int target = 0; target < 4; ++target) {
    if (plan.fds[target] >= 0 && ::dup2(plan.fds[target], target) < 0) break;
  }
  ::execve("/proc/self/exe", const_cast<char* const*>(plan.argv),
           const_cast<char* const*>(plan.envp));
  ssize_t unused = ::write(kInitSocketFd, plan.failure_frame.data(), plan.failure_frame.size());
  (void)unused;
  ::_exit(127);
}

// clone(2) sharing our memory until the child's execve, as posix_spawn does: a copy of
// the agent's page tables (and the copy-on-write faults after it) costs tens of
// milliseconds under TCG. All signals stay blocked here until the child has its own.
Result<pid_t> clone_and_exec(int clone_flags, ChildPlan& plan) {
  constexpr size_t kStack = 64 * 1024;
  std::unique_ptr<char[]> stack(new char[kStack]);
  sigset_t all, old;
  sigfillset(&all);
  ::pthread_sigmask(SIG_SETMASK, &all, &old);
  int pid = ::clone(child_main, stack.get() + kStack,
                    clone_flags | CLONE_VM | CLONE_VFORK | SIGCHLD, &plan);
  int err = errno;
  ::pthread_sigmask(SIG_SETMASK, &old, nullptr);
  if (pid < 0) return Error::from_errno(err, "clone container init");
  return pid;
}

// setns(CLONE_NEWPID) changes where the calling thread's later children go, for that
// thread only. A thread of its own does it, so that no thread of the agent is left
// creating children in a container's pid namespace, whatever fails.
Result<pid_t> clone_in_pid_namespace(int pid_ns_fd, int clone_flags, ChildPlan& plan) {
  Result<pid_t> pid = Error(Code::kInternal, "clone container init: no thread ran");
  try {
    std::thread cloner([&] {
      if (::setns(pid_ns_fd, CLONE_NEWPID) != 0) {
        pid = Error::from_errno(errno, "join the sandbox's pid namespace");
        return;
      }
      pid = clone_and_exec(clone_flags, plan);
    });
    cloner.join();
  } catch (const std::system_error& e) {
    return Error::from_errno(e.code().value(), "start a thread to clone the container init");
  }
  return pid;
}

}  // namespace

Result<Launched> launch_init(Reaper& reaper, const ChildNamespaces& namespaces,
                             const ChildStdio& stdio, const InitConfig& config,
                             Reaper::ExitCallback on_exit) {
  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
    return Error::from_errno(errno, "socketpair");
  }
  UniqueFd ours(sv[0]), theirs_low(sv[1]);
  KATA_ASSIGN_OR_RETURN(UniqueFd theirs, dup_high(theirs_low.get()));
  KATA_ASSIGN_OR_RETURN(UniqueFd in, dup_high(stdio.in));
  KATA_ASSIGN_OR_RETURN(UniqueFd out, dup_high(stdio.out));
  KATA_ASSIGN_OR_RETURN(UniqueFd err, dup_high(stdio.err));

  std::string failure =
      encode_error(Error(Code::kInternal, "start container init: exec /proc/self/exe failed"));
  uint32_t n = static_cast<uint32_t>(failure.size());
  ChildPlan plan{{in.get(), out.get(), err.get(), theirs.get()},
                 {"kata-agent", "init", nullptr},
                 {nullptr},
                 std::string(reinterpret_cast<const char*>(&n), 4) + failure};

  auto start = [&]() {
    if (namespaces.pid_ns_fd < 0) return clone_and_exec(namespaces.clone_flags, plan);
    return clone_in_pid_namespace(namespaces.pid_ns_fd, namespaces.clone_flags & ~CLONE_NEWPID,
                                  plan);
  };
  KATA_ASSIGN_OR_RETURN(pid_t pid, reaper.spawn(start, std::move(on_exit)));
  Result<void> sent = write_frame(ours.get(), encode_config(config));
  if (!sent) {
    ::kill(pid, SIGKILL);
    return std::move(sent).error().context("send config to container init");
  }
  return Launched{pid, std::move(ours)};
}

namespace {

// One status message into `report`; true when the wait is over.
bool take_frame(Frame frame, bool until_ready, InitReport& report) {
  Result<InitStatus> status = decode_status(frame.payload);
  if (!status) {
    report.status = std::move(status).error();
    return true;
  }
  switch (status->kind) {
    case InitMsg::kError:
      report.status =
          Error(status->code == Code::kOk ? Code::kInternal : status->code, status->message);
      return true;
    case InitMsg::kPid:
      report.exec_pid = status->pid;
      return false;
    case InitMsg::kConsole:
      report.console = std::move(frame.fd);
      if (report.console) return false;
      report.status = Error(Code::kInternal, "container init sent no pty master");
      return true;
    case InitMsg::kReady:
      return until_ready;
  }
  return false;
}

}  // namespace

InitReport await_init(int socket, bool until_ready, const ttrpc::CancelToken* cancel) {
  InitReport report;
  for (;;) {
    if (!ttrpc::wait_ready_or_cancelled(socket, POLLIN, cancel)) {
      report.status = Error(Code::kCancelled, "call cancelled");
      return report;
    }
    Result<Frame> frame = read_frame_with_fd(socket);
    if (!frame) {
      if (frame.error().code() != Code::kUnavailable) {
        report.status = std::move(frame).error();
      } else if (until_ready) {
        report.status = Error(Code::kInternal, "container init exited during setup");
      }
      return report;
    }
    if (take_frame(std::move(*frame), until_ready, report)) return report;
  }
}

}  // namespace kata::agent::container
