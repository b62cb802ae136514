#include "agent/container/process_setup.h"

#include <fcntl.h>
#include <grp.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <string_view>

#include "agent/container/caps.h"
#include "agent/container/console.h"
#include "agent/container/lookup.h"
#include "agent/container/seccomp.h"
#include "agent/container/user.h"
#include "agent/container/wire.h"
#include "common/fs.h"
#include "common/strings.h"
#include "common/unique_fd.h"

namespace kata::agent::container {
namespace {

struct RlimitName {
  std::string_view name;
  int resource;
};

constexpr RlimitName kRlimits[] = {
    {"RLIMIT_CPU", RLIMIT_CPU},           {"RLIMIT_FSIZE", RLIMIT_FSIZE},
    {"RLIMIT_DATA", RLIMIT_DATA},         {"RLIMIT_STACK", RLIMIT_STACK},
    {"RLIMIT_CORE", RLIMIT_CORE},         {"RLIMIT_RSS", RLIMIT_RSS},
    {"RLIMIT_NPROC", RLIMIT_NPROC},       {"RLIMIT_NOFILE", RLIMIT_NOFILE},
    {"RLIMIT_MEMLOCK", RLIMIT_MEMLOCK},   {"RLIMIT_AS", RLIMIT_AS},
    {"RLIMIT_LOCKS", RLIMIT_LOCKS},       {"RLIMIT_SIGPENDING", RLIMIT_SIGPENDING},
    {"RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE}, {"RLIMIT_NICE", RLIMIT_NICE},
    {"RLIMIT_RTPRIO", RLIMIT_RTPRIO},     {"RLIMIT_RTTIME", RLIMIT_RTTIME},
};

Result<void> set_rlimits(const std::vector<Rlimit>& limits) {
  for (const Rlimit& l : limits) {
    const RlimitName* found = nullptr;
    for (const RlimitName& r : kRlimits) {
      if (r.name == l.type) found = &r;
    }
    if (!found) return Error(Code::kInvalidArgument, "unknown rlimit `" + l.type + "`");
    rlimit rl{l.soft, l.hard};
    if (::setrlimit(static_cast<__rlimit_resource>(found->resource), &rl) != 0) {
      return Error::from_errno(errno, "set " + l.type);
    }
  }
  return {};
}

// Runs inside the container's root, so /dev/ptmx is the container's devpts.
Result<void> set_terminal(const ProcessSpec& p, int console_socket) {
  if (::setsid() < 0) return Error::from_errno(errno, "setsid");
  if (!p.terminal) return {};
  KATA_ASSIGN_OR_RETURN(Pty pty, open_pty("/dev/ptmx", p.rows, p.columns));
  KATA_TRY(write_frame(console_socket, encode_console(), pty.master.get())
               .context("send pty master to the agent"));
  return attach_terminal(pty.slave.get());
}

Result<void> set_oom_score_adj(int value) {
  std::string text = std::to_string(value);
  UniqueFd fd(::open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC));
  if (!fd || ::write(fd.get(), text.data(), text.size()) < 0) {
    return Error::from_errno(errno, "set oom_score_adj");
  }
  return {};
}

Result<void> switch_user(const ResolvedUser& u, const ProcessSpec& p) {
  if (p.capabilities) KATA_TRY(prepare_capabilities(*p.capabilities));
  if (::setgroups(u.groups.size(), u.groups.data()) != 0)
    return Error::from_errno(errno, "setgroups");
  if (::setresgid(u.gid, u.gid, u.gid) != 0)
    return Error::from_errno(errno, "setgid " + std::to_string(u.gid));
  if (::setresuid(u.uid, u.uid, u.uid) != 0)
    return Error::from_errno(errno, "setuid " + std::to_string(u.uid));
  if (p.capabilities) KATA_TRY(apply_capabilities(*p.capabilities));
  return {};
}

bool is_executable(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 0111) != 0;
}

}  // namespace

Result<PreparedExec> setup_process(const ProcessSpec& p, const std::optional<Seccomp>& seccomp,
                                   int console_socket) {
  KATA_TRY(set_terminal(p, console_socket));
  KATA_TRY(set_rlimits(p.rlimits));
  if (p.oom_score_adj) KATA_TRY(set_oom_score_adj(*p.oom_score_adj));
  Result<std::string> passwd = fs::read_file("/etc/passwd");
  Result<std::string> group = fs::read_file("/etc/group");
  KATA_ASSIGN_OR_RETURN(ResolvedUser user,
                        resolve_user(p.user, passwd ? *passwd : "", group ? *group : ""));
  PreparedExec exec{"", p.args, p.env};
  if (!env_value(exec.env, "HOME")) exec.env.push_back("HOME=" + user.home);
  std::string path = env_value(exec.env, "PATH").value_or(kDefaultPath);
  if (p.args.empty()) return Error(Code::kInvalidArgument, "process.args is empty");
  KATA_ASSIGN_OR_RETURN(exec.path, find_executable(p.args[0], path, is_executable));
  // The slave was opened by root; the user must own it (as with runc) to
  // reopen it by name or change its modes.
  if (p.terminal && ::fchown(STDIN_FILENO, user.uid, static_cast<gid_t>(-1)) != 0)
    return Error::from_errno(errno, "chown terminal");
  if (seccomp && !p.no_new_privileges) KATA_TRY(load_seccomp(*seccomp));
  KATA_TRY(switch_user(user, p));
  if (::chdir(p.cwd.empty() ? "/" : p.cwd.c_str()) != 0) {
    return Error::from_errno(errno, "chdir to cwd (\"" + p.cwd + "\") set in config.json failed");
  }
  return exec;
}

Error exec_process(const PreparedExec& e, const ProcessSpec& p,
                   const std::optional<Seccomp>& seccomp) {
  if (p.no_new_privileges) {
    if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
      return Error::from_errno(errno, "set no_new_privileges");
    if (seccomp) {
      Result<void> loaded = load_seccomp(*seccomp);
      if (!loaded) return std::move(loaded).error();
    }
  }
  ::umask(p.umask.value_or(022));
  std::vector<char*> argv, envp;
  for (const std::string& a : e.args) argv.push_back(const_cast<char*>(a.c_str()));
  for (const std::string& v : e.env) envp.push_back(const_cast<char*>(v.c_str()));
  argv.push_back(nullptr);
  envp.push_back(nullptr);
  ::execve(e.path.c_str(), argv.data(), envp.data());
  return Error::from_errno(errno, fmt_path("exec", e.path));
}

}  // namespace kata::agent::container
