#include "shim/task_server.h"

#include <fcntl.h>
#include <linux/capability.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <condition_variable>
#include <csignal>
#include <cstring>
#include <mutex>
#include <thread>

#include "common/log.h"
#include "config/load.h"
#include "runtime/sandbox.h"
#include "shim/task_handlers.h"
#include "sys/capabilities.h"
#include "ttrpc/server.h"

namespace kata::shim {
namespace {

// What the daemon and the processes it starts keep of root's capabilities.
// virtiofsd inherits them and needs the file ones (it acts on the share as the
// guest's users, sets file capabilities, makes device nodes, chroots into its
// sandbox and raises its open-file limit); the daemon mounts (SYS_ADMIN), and
// networking needs NET_ADMIN. QEMU gets none (drop_capabilities). Gone:
// modules, raw I/O, ptrace, the clock, reboot, BPF, audit, MAC and the rest.
const uint64_t kDaemonCapabilities =
    sys::capability_mask({CAP_CHOWN, CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER, CAP_FSETID,
                          CAP_KILL, CAP_SETGID, CAP_SETUID, CAP_SETPCAP, CAP_SETFCAP, CAP_MKNOD,
                          CAP_SYS_CHROOT, CAP_SYS_RESOURCE, CAP_SYS_ADMIN, CAP_NET_ADMIN});

// Shutdown arrives in a handler; the server is stopped from the serving
// caller's thread, because a handler cannot wait for its own connection to end.
struct ShutdownLatch {
  std::mutex mu;
  std::condition_variable cv;
  bool requested = false;

  void request() {
    std::lock_guard lock(mu);
    requested = true;
    cv.notify_all();
  }
  void wait() {
    std::unique_lock lock(mu);
    cv.wait(lock, [&] { return requested; });
  }
};

}  // namespace

Result<void> serve_task_api(UniqueFd listener, TaskServiceDeps deps) {
  ShutdownLatch latch;
  deps.on_shutdown = [&latch] { latch.request(); };
  ttrpc::Server server;
  Result<void> served;
  {
    TaskService service(std::move(deps));
    register_task_service(server, service);
    std::thread serving([&] {
      served = server.serve_listener(std::move(listener));
      latch.request();
    });
    latch.wait();
    server.shutdown();
    serving.join();
  }
  return served;
}

SandboxFactory configured_sandbox_factory(const std::string& config_path, bool debug) {
  Result<config::LoadedConfig> loaded = config::load_config(config::config_search(config_path));
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

void limit_daemon_capabilities() {
  Result<int> last = sys::read_last_cap();
  if (!last || !sys::limit_capabilities(kDaemonCapabilities, *last)) {
    log::warn("keep only the capabilities the daemon uses: {}",
              last ? std::string(std::strerror(errno)) : last.error().message());
  }
}

Result<pid_t> spawn_daemon(const std::vector<std::string>& args, const std::string& cwd,
                           int listener) {
  std::vector<std::string> copy = args;
  std::vector<char*> argv;
  for (std::string& arg : copy) argv.push_back(arg.data());
  argv.push_back(nullptr);
  UniqueFd null_fd(::open("/dev/null", O_RDWR | O_CLOEXEC));
  if (!null_fd) return Error::from_errno(errno, "open `/dev/null`");
  pid_t pid = ::fork();
  if (pid < 0) return Error::from_errno(errno, "fork the service daemon");
  if (pid == 0) {
    // Only async-signal-safe calls from here on. Signals the caller blocked (a
    // foreground `kata-runtime run` blocks them all to forward them) must not stay
    // blocked in the daemon, nor in QEMU and virtiofsd after it.
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    if (::setsid() < 0 || ::chdir(cwd.c_str()) != 0) ::_exit(127);
    // dup2 clears O_CLOEXEC, but dup2 onto itself does nothing: clear it by hand then.
    if (listener == kListenerFd) {
      if (::fcntl(kListenerFd, F_SETFD, 0) < 0) ::_exit(127);
    } else if (::dup2(listener, kListenerFd) < 0) {
      ::_exit(127);
    }
    for (int fd = 0; fd < 3; ++fd) {
      if (::dup2(null_fd.get(), fd) < 0) ::_exit(127);
    }
    // Whatever the caller inherited (containerd's start call, conmon's pipes) must
    // not live on in the daemon: a pipe it held would never reach EOF.
    ::syscall(SYS_close_range, kListenerFd + 1, ~0U, 0);
    ::execv("/proc/self/exe", argv.data());
    ::_exit(127);
  }
  return pid;
}

bool is_listening_socket(int fd) {
  int listening = 0;
  socklen_t len = sizeof listening;
  return ::getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) == 0 && listening != 0;
}

}  // namespace kata::shim
