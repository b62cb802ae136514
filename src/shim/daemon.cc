// The shim daemon: serves containerd.task.v2.Task on the listener `start`
// passed as fd 3, until Shutdown finds no container left.
#include <fcntl.h>
#include <linux/capability.h>
#include <sys/socket.h>
#include <unistd.h>

#include <condition_variable>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <thread>

#include "common/log.h"
#include "config/load.h"
#include "shim/address.h"
#include "shim/events.h"
#include "shim/task_handlers.h"
#include "shim/task_service.h"
#include "shim/verbs.h"
#include "sys/capabilities.h"
#include "ttrpc/server.h"

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

SandboxFactory sandbox_factory(bool debug) {
  Result<config::LoadedConfig> loaded = config::load_config(config::config_search(""));
  if (!loaded) {
    log::error("load configuration: {}", loaded.error().message());
    Error error = loaded.error();
    return [error](const runtime::SandboxOptions&) -> Result<std::unique_ptr<runtime::Sandbox>> {
      return Error(error);
    };
  }
  if (loaded->config.runtime.enable_debug || debug) log::set_level(log::Level::kDebug);
  config::Config config = loaded->config;
  return [config](const runtime::SandboxOptions& options) {
    return runtime::start_sandbox(config, options);
  };
}

// What the daemon and the processes it starts keep of root's capabilities.
// virtiofsd inherits them and needs the file ones (it acts on the share as the
// guest's users, sets file capabilities, makes device nodes, chroots into its
// sandbox and raises its open-file limit); the daemon mounts (SYS_ADMIN), and
// networking will need NET_ADMIN. QEMU gets none (drop_capabilities). Gone:
// modules, raw I/O, ptrace, the clock, reboot, BPF, audit, MAC and the rest.
const uint64_t kDaemonCapabilities =
    sys::capability_mask({CAP_CHOWN, CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER, CAP_FSETID,
                          CAP_KILL, CAP_SETGID, CAP_SETUID, CAP_SETPCAP, CAP_SETFCAP, CAP_MKNOD,
                          CAP_SYS_CHROOT, CAP_SYS_RESOURCE, CAP_SYS_ADMIN, CAP_NET_ADMIN});

void limit_daemon_capabilities() {
  Result<int> last = sys::read_last_cap();
  if (!last || !sys::limit_capabilities(kDaemonCapabilities, *last)) {
    log::warn("keep only the capabilities the daemon uses: {}",
              last ? std::string(std::strerror(errno)) : last.error().message());
  }
}

ForwardFn event_forwarder() {
  const char* address = std::getenv("TTRPC_ADDRESS");
  if (address == nullptr || *address == '\0') return log_forwarder();
  return ttrpc_forwarder(address);
}

// Shutdown arrives in a handler; the server is stopped from the main thread,
// because a handler cannot wait for its own connection to end.
struct ShutdownLatch {
  std::mutex mu;
  std::condition_variable cv;
  bool requested = false;
};

bool is_listening_socket(int fd) {
  int listening = 0;
  socklen_t len = sizeof listening;
  return ::getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) == 0 && listening != 0;
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
  ShutdownLatch latch;
  TaskServiceDeps deps;
  deps.start_sandbox = sandbox_factory(flags.debug);
  deps.parsers = oci_spec_parsers();
  deps.events = &publisher;
  deps.shim_pid = ::getpid();
  deps.containerd_namespace = flags.namespace_;
  deps.on_shutdown = [&latch] {
    std::lock_guard lock(latch.mu);
    latch.requested = true;
    latch.cv.notify_all();
  };
  ttrpc::Server server;
  {
    TaskService service(std::move(deps));
    register_task_service(server, service);
    std::thread serving([&] {
      Result<void> served = server.serve_listener(UniqueFd(kListenerFd));
      if (!served) log::error("serve: {}", served.error().message());
      std::lock_guard lock(latch.mu);
      latch.requested = true;
      latch.cv.notify_all();
    });
    {
      std::unique_lock lock(latch.mu);
      latch.cv.wait(lock, [&] { return latch.requested; });
    }
    server.shutdown();
    serving.join();
  }
  publisher.flush();
  Result<std::string> path = socket_path(socket_address(flags.address, flags.namespace_, flags.id));
  if (path) ::unlink(path->c_str());
  log::info("shim {} exits", flags.id);
  return 0;
}

}  // namespace kata::shim
