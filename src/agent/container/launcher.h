#pragma once

#include <sys/types.h>

#include "agent/container/wire.h"
#include "agent/init/reaper.h"
#include "common/result.h"
#include "common/unique_fd.h"
#include "ttrpc/cancel.h"

// Agent side of process creation: clones a child (in new namespaces for a
// container init), which re-execs the agent as `kata-agent init` with its
// stdio on fds 0-2 and the setup socket on fd 3, and hands it its config.
namespace kata::agent::container {

// The child's ends of its stdio. With a terminal all three are /dev/null: the
// init opens the pty inside the container and makes its slave fds 0-2.
struct ChildStdio {
  int in = -1, out = -1, err = -1;
};

struct Launched {
  pid_t pid = 0;    // what the reaper watches
  UniqueFd socket;  // the agent's end of the setup socket
};

// Where the child is created.
struct ChildNamespaces {
  int clone_flags = 0;  // CLONE_NEW* flags, 0 for a plain fork
  // >= 0: an fd of /proc/<pid>/ns/pid; the child is created in that pid namespace (then
  // without CLONE_NEWPID), as a member rather than its init.
  int pid_ns_fd = -1;
};

// The child resets its signal mask and SIGPIPE before exec; between clone and
// exec it makes only async-signal-safe calls (the agent is multithreaded).
Result<Launched> launch_init(Reaper& reaper, const ChildNamespaces& namespaces,
                             const ChildStdio& stdio, const InitConfig& config,
                             Reaper::ExitCallback on_exit);

// What the init reported on its way to ready (create) or to the workload's
// exec. `exec_pid` is kept even when `status` is an error: a cancelled exec
// must still kill its workload.
struct InitReport {
  Status status;       // the init's error message, or CANCELLED, or ok
  pid_t exec_pid = 0;  // exec: the workload's pid (kPid)
  UniqueFd console;    // terminal: the pty master, from the container's devpts (kConsole)
};

// Reads status messages until the init reports ready (create) or the socket
// closes (exec or start: the workload exec'd). The first error message
// becomes the status. CANCELLED when `cancel` fires first; the caller then
// kills the init.
InitReport await_init(int socket, bool until_ready, const ttrpc::CancelToken* cancel);

}  // namespace kata::agent::container
