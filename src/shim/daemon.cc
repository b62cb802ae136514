// The shim daemon: serves containerd.task.v2.Task on the listener `start`
// passed as fd 3, until Shutdown finds no container left.
#include <fcntl.h>
#include <unistd.h>

#include <csignal>
#include <cstdlib>

#include "common/log.h"
#include "shim/address.h"
#include "shim/events.h"
#include "shim/task_server.h"
#include "shim/verbs.h"

namespace kata::shim {
namespace {

// containerd reads the bundle's `log` fifo into its own log. Non-blocking, so
// that a containerd that stopped reading drops our lines instead of stalling us.
void setup_logging(const ShimFlags& flags) {
  log::set_component("containerd-shim-kata-v2");
  if (flags.debug) log::set_level(log::Level::kDebug);
  int fd = ::open("log", O_WRONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd >= 0) log::set_fd(fd);  // kept open for the life of the process
}

ForwardFn event_forwarder() {
  const char* address = std::getenv("TTRPC_ADDRESS");
  if (address == nullptr || *address == '\0') return log_forwarder();
  return ttrpc_forwarder(address);
}

}  // namespace

int run_daemon(const ShimFlags& flags) {
  // Checked before anything opens a file that could take fd 3's place.
  bool listening = is_listening_socket(kListenerFd);
  // A fifo reader that left (containerd's log or a task's stdout) must be an EPIPE, not our death.
  std::signal(SIGPIPE, SIG_IGN);
  setup_logging(flags);
  limit_daemon_capabilities();
  if (!listening) {
    log::error("no listening socket on fd {}: the daemon is started by `start`", kListenerFd);
    return 1;
  }
  ::fcntl(kListenerFd, F_SETFD, FD_CLOEXEC);
  QueuedPublisher publisher(flags.namespace_, event_forwarder());
  TaskServiceDeps deps;
  deps.start_sandbox = configured_sandbox_factory("", flags.debug);
  deps.parsers = oci_spec_parsers();
  deps.events = &publisher;
  deps.shim_pid = ::getpid();
  deps.containerd_namespace = flags.namespace_;
  Result<void> served = serve_task_api(UniqueFd(kListenerFd), std::move(deps));
  if (!served) log::error("serve: {}", served.error().message());
  publisher.flush();
  Result<std::string> path = socket_path(socket_address(flags.address, flags.namespace_, flags.id));
  if (path) ::unlink(path->c_str());
  log::info("shim {} exits", flags.id);
  return 0;
}

}  // namespace kata::shim
