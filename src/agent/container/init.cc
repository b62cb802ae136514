#include "agent/container/init.h"

#include <fcntl.h>
#include <linux/close_range.h>
#include <sched.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <map>
#include <string>

#include "agent/container/process_setup.h"
#include "agent/container/rootfs.h"
#include "agent/container/wire.h"
#include "common/strings.h"
#include "common/unique_fd.h"

namespace kata::agent::container {
namespace {

constexpr int kSock = kInitSocketFd;

Result<void> join_cgroup(const std::string& dir) {
  if (dir.empty()) return {};
  std::string procs = dir + "/cgroup.procs";
  UniqueFd fd(::open(procs.c_str(), O_WRONLY | O_CLOEXEC));
  if (!fd || ::write(fd.get(), "0", 1) != 1)
    return Error::from_errno(errno, fmt_path("join cgroup", dir));
  return {};
}

Result<void> report_ready() { return write_frame(kSock, encode_ready()); }

// Waits for StartContainer. EOF: the container was removed before it started.
Result<bool> wait_for_start() {
  Result<std::string> frame = read_frame(kSock);
  if (!frame) {
    if (frame.error().code() == Code::kUnavailable) return false;
    return std::move(frame).error();
  }
  return *frame == std::string(1, kStartByte);
}

// The sandbox's shared namespaces, first: the hostname, the mqueue mount and
// the sysctls that follow apply to them.
Result<void> join_shared_namespaces(const std::map<std::string, std::string>& files) {
  for (const auto& [type, file] : files) {
    int kind = type == "ipc" ? CLONE_NEWIPC : type == "uts" ? CLONE_NEWUTS : -1;
    if (kind < 0) return Error(Code::kInvalidArgument, "cannot join a " + type + " namespace");
    UniqueFd fd(::open(file.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) return Error::from_errno(errno, fmt_path("open", file));
    if (::setns(fd.get(), kind) != 0) {
      return Error::from_errno(errno, fmt_path("join " + type + " namespace", file));
    }
  }
  return {};
}

Result<void> run_create(const InitConfig& c) {
  const ContainerSpec& spec = c.spec;
  KATA_TRY(join_shared_namespaces(c.join_namespaces));
  KATA_TRY(join_cgroup(c.cgroup_dir));
  // After joining: the namespace is rooted at the cgroup the process is in.
  if (spec.cgroup_namespace && ::unshare(CLONE_NEWCGROUP) != 0) {
    return Error::from_errno(errno, "unshare cgroup namespace");
  }
  ::umask(0);
  if (!spec.hostname.empty() && ::sethostname(spec.hostname.data(), spec.hostname.size()) != 0) {
    return Error::from_errno(errno, "sethostname " + spec.hostname);
  }
  if (!spec.domainname.empty() &&
      ::setdomainname(spec.domainname.data(), spec.domainname.size()) != 0) {
    return Error::from_errno(errno, "setdomainname " + spec.domainname);
  }
  KATA_TRY(prepare_rootfs(spec));
  KATA_TRY(switch_root(spec.root_path));
  KATA_TRY(finish_rootfs(spec));
  KATA_ASSIGN_OR_RETURN(PreparedExec exec, setup_process(spec.process, spec.seccomp, kSock));
  KATA_TRY(report_ready());
  KATA_ASSIGN_OR_RETURN(bool start, wait_for_start());
  if (!start) ::_exit(0);
  return exec_process(exec, spec.process, spec.seccomp);
}

Result<UniqueFd> open_proc(pid_t pid, const char* what) {
  std::string path = "/proc/" + std::to_string(pid) + "/" + what;
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return Error::from_errno(errno, fmt_path("open", path));
  return fd;
}

// Joins the target's namespaces. The pid namespace applies to children only,
// hence the fork that follows.
Result<UniqueFd> join_namespaces(pid_t target) {
  const std::pair<const char*, int> kinds[] = {{"ns/ipc", CLONE_NEWIPC},
                                               {"ns/uts", CLONE_NEWUTS},
                                               {"ns/pid", CLONE_NEWPID},
                                               {"ns/cgroup", CLONE_NEWCGROUP},
                                               {"ns/mnt", CLONE_NEWNS}};
  std::vector<UniqueFd> fds;
  for (auto [name, type] : kinds) {
    KATA_ASSIGN_OR_RETURN(UniqueFd fd, open_proc(target, name));
    fds.push_back(std::move(fd));
  }
  KATA_ASSIGN_OR_RETURN(UniqueFd root, open_proc(target, "root"));
  for (size_t i = 0; i < fds.size(); ++i) {
    if (::setns(fds[i].get(), kinds[i].second) != 0) {
      return Error::from_errno(errno, std::string("join namespace ") + kinds[i].first);
    }
  }
  return root;
}

// Runs in the exec's grandchild, inside every namespace of the container.
Result<void> exec_in_container(const InitConfig& c, int root_fd) {
  if (::fchdir(root_fd) != 0 || ::chroot(".") != 0 || ::chdir("/") != 0) {
    return Error::from_errno(errno, "enter container root");
  }
  KATA_ASSIGN_OR_RETURN(PreparedExec exec, setup_process(c.spec.process, c.spec.seccomp, kSock));
  return exec_process(exec, c.spec.process, c.spec.seccomp);
}

// The exec's middle process: reports the grandchild's pid, then passes its
// exit status on as its own, so that the agent's reaper sees it.
[[noreturn]] void relay_exit(pid_t child, int release_fd) {
  (void)write_frame(kSock, encode_pid(child));
  ::close(kSock);
  ssize_t unused = ::write(release_fd, "x", 1);
  (void)unused;
  ::close(release_fd);
  int status = 0;
  while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFSIGNALED(status)) {
    ::signal(WTERMSIG(status), SIG_DFL);
    ::kill(::getpid(), WTERMSIG(status));
    ::_exit(128 + WTERMSIG(status));
  }
  ::_exit(WIFEXITED(status) ? WEXITSTATUS(status) : 255);
}

Result<void> run_exec(const InitConfig& c) {
  KATA_TRY(join_cgroup(c.cgroup_dir));
  KATA_ASSIGN_OR_RETURN(UniqueFd root, join_namespaces(c.target_pid));
  int release[2];
  if (::pipe2(release, O_CLOEXEC) != 0) return Error::from_errno(errno, "pipe");
  pid_t child = ::fork();
  if (child < 0) return Error::from_errno(errno, "fork into the container's pid namespace");
  if (child > 0) {
    ::close(release[0]);
    relay_exit(child, release[1]);
  }
  ::close(release[1]);
  char byte;
  while (::read(release[0], &byte, 1) < 0 && errno == EINTR) {
  }
  ::close(release[0]);
  return exec_in_container(c, root.get());
}

}  // namespace

int init_main() {
  // The socket must not reach the workload: its closing tells the agent that
  // exec succeeded.
  if (::fcntl(kSock, F_SETFD, FD_CLOEXEC) != 0) return 126;
  // Whatever else a thread of the agent opened without O_CLOEXEC while it
  // cloned us stays out of the container too.
  (void)::close_range(kSock + 1, ~0U, CLOSE_RANGE_CLOEXEC);
  Result<std::string> frame = read_frame(kSock);
  if (!frame) return 126;
  Result<InitConfig> config = decode_config(*frame);
  Result<void> done = !config                             ? Result<void>(config.error())
                      : config->mode == InitMode::kCreate ? run_create(*config)
                                                          : run_exec(*config);
  // Only failures get here: success ends in execve.
  const Error& error = done ? Error(Code::kInternal, "container init returned") : done.error();
  (void)write_frame(kSock, encode_error(error));
  return 127;
}

}  // namespace kata::agent::container
