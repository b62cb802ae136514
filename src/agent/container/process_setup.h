#pragma once

#include <optional>
#include <string>
#include <vector>

#include "agent/container/spec.h"
#include "common/result.h"

// The last steps of a container process, run by the container init inside
// the container's root and namespaces.
namespace kata::agent::container {

struct PreparedExec {
  std::string path;  // args[0] found in the process's PATH
  std::vector<std::string> args;
  std::vector<std::string> env;
};

// New session; with process.terminal a pty from the container's /dev/ptmx
// (sized, made fds 0-2 and the controlling terminal) whose master is sent
// over `console_socket` (a kConsole frame); rlimits,
// oom_score_adj, user and groups from the container's /etc/passwd and
// /etc/group, the executable looked up in PATH, capabilities, cwd.
// Without no_new_privileges, `seccomp` is loaded here, before the
// capabilities are dropped (loading it needs CAP_SYS_ADMIN then), as runc does.
Result<PreparedExec> setup_process(const ProcessSpec& process,
                                   const std::optional<Seccomp>& seccomp, int console_socket);

// no_new_privileges, then (with it) seccomp, then execve. Returns only on failure.
Error exec_process(const PreparedExec& exec, const ProcessSpec& process,
                   const std::optional<Seccomp>& seccomp);

}  // namespace kata::agent::container
