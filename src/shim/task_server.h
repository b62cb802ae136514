#pragma once

// The sandbox service as a process: containerd.task.v2.Task served over ttRPC
// on a listening unix socket. Both front doors run it: containerd's shim
// daemon (`containerd-shim-kata-v2`) and the OCI CLI's service
// (`kata-runtime create` starts it), so that neither holds lifecycle logic
// the other lacks.
#include <string>

#include "common/result.h"
#include "common/unique_fd.h"
#include "shim/task_service.h"

namespace kata::shim {

// Serves `listener` until Shutdown finds no container left (or serving
// fails), then returns. `deps.on_shutdown` is set here.
Result<void> serve_task_api(UniqueFd listener, TaskServiceDeps deps);

// Boots sandboxes with the configuration found by the usual search
// (`config_path` first when not empty). A configuration that does not load
// fails every boot with its error, so that the first Create reports it.
SandboxFactory configured_sandbox_factory(const std::string& config_path, bool debug);

// Keeps only the capabilities the service and virtiofsd use (see the .cc).
void limit_daemon_capabilities();

// fork + exec of `argv` (argv[0] is the name; the program is /proc/self/exe)
// as a daemon: `listener` on fd 3, a session of its own (the caller's signals
// must not reach it), stdio on /dev/null, no other inherited descriptor, in `cwd`.
Result<pid_t> spawn_daemon(const std::vector<std::string>& argv, const std::string& cwd,
                           int listener);

// The fd on which a daemon gets its listening socket (Go's ExtraFiles[0]).
constexpr int kListenerFd = 3;

// Whether `fd` is a listening socket.
bool is_listening_socket(int fd);

}  // namespace kata::shim
