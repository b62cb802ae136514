// Both ends of the relay: launch_relay in the CLI verb that starts one, and
// run_relay, the relay process itself (`kata-runtime relay`, hidden).
#include "cli/relay.h"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <optional>
#include <thread>

#include "cli/console.h"
#include "cli/service_client.h"
#include "common/log.h"
#include "sys/capabilities.h"
#include "sys/fd_io.h"
#include "sys/unix_socket.h"

namespace kata::cli {
namespace {

constexpr int kSyncFd = 3;
// The relay could not tell how its process ended (the service went away).
constexpr int kLostExitCode = 255;

// One line from the sync socket, without its newline; "" at EOF.
std::string read_line(int fd) {
  std::string line;
  char c = 0;
  while (true) {
    ssize_t n = ::read(fd, &c, 1);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0 || c == '\n') return line;
    line += c;
  }
}

bool write_line(int fd, const std::string& line) {
  std::string text = line + "\n";
  return ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
}

// Tells the launcher why the relay cannot serve, and ends it.
[[noreturn]] void die(int sync, const std::string& why) {
  write_line(sync, "error " + why);
  ::_exit(1);
}

void resize(ServiceClient& client, const RelayTarget& target, int tty) {
  winsize size{};
  if (::ioctl(tty, TIOCGWINSZ, &size) != 0 || size.ws_row == 0 || size.ws_col == 0) return;
  task::ResizePtyRequest req;
  req.set_id(target.id);
  req.set_exec_id(target.exec_id);
  req.set_width(size.ws_col);
  req.set_height(size.ws_row);
  Result<google::protobuf::Empty> done = client.call<google::protobuf::Empty>("ResizePty", req);
  if (!done) log::debug("relay {}: resize: {}", target.id, done.error().message());
}

void forward(ServiceClient& client, const RelayTarget& target, int sig) {
  task::KillRequest req;
  req.set_id(target.id);
  req.set_exec_id(target.exec_id);
  req.set_signal(static_cast<uint32_t>(sig));
  Result<google::protobuf::Empty> done = client.call<google::protobuf::Empty>("Kill", req);
  if (!done) log::debug("relay {}: forward signal {}: {}", target.id, sig, done.error().message());
}

// We are the init of a pid namespace of our own (launch_relay). With a mount
// namespace whose /proc is that namespace's, tools that list a container's
// processes by entering its pid's namespaces (podman top) find the relay alone
// instead of every process of the host. Best effort: nothing else depends on it.
void show_only_ourselves() {
  if (::unshare(CLONE_NEWNS) != 0 ||
      ::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0 ||
      ::mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr) != 0) {
    log::debug("relay: a /proc of its own: {}", std::strerror(errno));
  }
}

// With a console socket: the pty whose slave becomes our stdio and controlling
// terminal, its master sent to the caller. None without one.
std::optional<Pty> take_console(int sync, const std::string& console_socket) {
  if (console_socket.empty()) return std::nullopt;
  Result<Pty> made = open_pty(/*make_controlling=*/true);
  if (!made) die(sync, made.error().message());
  Result<void> sent = send_console(console_socket, made->master.get());
  if (!sent) die(sync, sent.error().message());
  made->master.reset();
  for (int fd = 0; fd < 3; ++fd) ::dup2(made->slave.get(), fd);
  return std::move(*made);
}

}  // namespace

std::vector<std::string> global_args(const GlobalOptions& g) {
  std::vector<std::string> args = {"kata-runtime", "--root", g.root, "--log-format", g.log_format};
  if (!g.log.empty()) args.insert(args.end(), {"--log", g.log});
  if (!g.config_path.empty()) args.insert(args.end(), {"--config", g.config_path});
  if (g.debug) args.push_back("--debug");
  return args;
}

Relay::Relay(sys::Process process, UniqueFd sync, std::string tty)
    : process_(std::move(process)), sync_(std::move(sync)), tty_(std::move(tty)) {}

std::string Relay::own_fd(int fd) const {
  if (!std_open_[fd]) return "";
  return "/proc/" + std::to_string(process_.pid()) + "/fd/" + std::to_string(fd);
}

std::string Relay::stdin_path() const { return terminal() ? tty_ : own_fd(0); }
std::string Relay::stdout_path() const { return terminal() ? tty_ : own_fd(1); }
std::string Relay::stderr_path() const { return terminal() ? "" : own_fd(2); }

Result<void> Relay::go() {
  if (!write_line(sync_.get(), "go")) return Error::from_errno(errno, "start the relay");
  sync_.reset();
  return {};
}

int Relay::wait_forwarding_signals(const sigset_t& forwarded) {
  sigset_t waited = forwarded;
  sigaddset(&waited, SIGCHLD);
  while (true) {
    int status = 0;
    pid_t done = ::waitpid(process_.pid(), &status, WNOHANG);
    if (done == process_.pid()) {
      process_.release();
      if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
      return WEXITSTATUS(status);
    }
    timespec tick{0, 200 * 1000 * 1000};  // also catches a SIGCHLD that came before we waited
    int sig = ::sigtimedwait(&waited, nullptr, &tick);
    if (sig > 0 && sig != SIGCHLD) ::kill(process_.pid(), sig);
  }
}

Result<Relay> launch_relay(const GlobalOptions& globals, const RelayTarget& target) {
  KATA_ASSIGN_OR_RETURN(auto pair, sys::socket_pair());
  sys::SpawnOptions options;
  options.argv = global_args(globals);
  char self[4096];
  ssize_t n = ::readlink("/proc/self/exe", self, sizeof self - 1);
  if (n <= 0) return Error::from_errno(errno, "readlink `/proc/self/exe`");
  options.argv[0] = std::string(self, static_cast<size_t>(n));
  options.argv.insert(options.argv.end(), {"relay", "--socket", target.socket, "--id", target.id});
  if (!target.exec_id.empty())
    options.argv.insert(options.argv.end(), {"--exec-id", target.exec_id});
  if (!target.console_socket.empty()) {
    options.argv.insert(options.argv.end(), {"--console-socket", target.console_socket});
  }
  options.in = sys::Stdio::inherit();
  options.extra_fds = {pair.second.get()};
  options.new_process_group = false;  // it makes a session of its own
  // The init of a pid namespace, as runc's container init is: see show_only_ourselves.
  options.new_pid_namespace = true;
  KATA_ASSIGN_OR_RETURN(sys::Process process, sys::Process::spawn(options));
  pair.second.reset();
  // "ready <tty or -> <which of fds 0 1 2 are open>", or "error <why>".
  std::string line = read_line(pair.first.get());
  if (line.rfind("ready ", 0) != 0) {
    std::string why =
        line.rfind("error ", 0) == 0 ? line.substr(6) : "it exited before it was ready";
    return Error(Code::kInternal, "relay: " + why);
  }
  std::string tty = line.substr(6, line.find(' ', 6) - 6);
  Relay relay(std::move(process), std::move(pair.first), tty == "-" ? "" : tty);
  std::string open_fds = line.substr(line.find(' ', 6) + 1);
  for (int fd = 0; fd < 3; ++fd) relay.std_open_[fd] = open_fds.find('0' + fd) != std::string::npos;
  return relay;
}

int run_relay(const RelayTarget& target) {
  int sync = kSyncFd;
  ::fcntl(sync, F_SETFD, FD_CLOEXEC);
  // Every signal waits for sigwaitinfo below, from the first moment: one that
  // came early (a resize, a TERM before start) is forwarded once we can.
  sigset_t all;
  sigfillset(&all);
  ::pthread_sigmask(SIG_BLOCK, &all, nullptr);
  // As runc's init: a session of its own, out of reach of the caller's group signals.
  if (::setsid() < 0) die(sync, std::string("setsid: ") + std::strerror(errno));
  show_only_ourselves();
  std::optional<Pty> pty = take_console(sync, target.console_socket);
  // The sandbox service (which keeps only some capabilities) opens our stdio
  // through /proc: the kernel allows that only if we hold no capability it lacks.
  Result<int> last = sys::read_last_cap();
  if (!last || !sys::limit_capabilities(0, *last)) die(sync, "drop capabilities");
  std::string open_fds;
  for (int fd = 0; fd < 3; ++fd) {
    if (::fcntl(fd, F_GETFD) >= 0) open_fds += std::to_string(fd);
  }
  if (!write_line(sync, "ready " + (pty ? pty->slave_path : "-") + " " + open_fds)) ::_exit(1);
  if (read_line(sync) != "go") ::_exit(1);  // the launcher gave up: no process to wait on
  ::close(sync);

  Result<ServiceClient> client = ServiceClient::connect(target.socket);
  if (!client) {
    log::error("relay {}: {}", target.id, client.error().message());
    ::_exit(kLostExitCode);
  }
  if (pty) resize(*client, target, pty->slave.get());
  std::thread waiter([&] {
    task::WaitRequest req;
    req.set_id(target.id);
    req.set_exec_id(target.exec_id);
    Result<task::WaitResponse> exit = client->call<task::WaitResponse>("Wait", req);
    if (!exit) log::warn("relay {}: wait: {}", target.id, exit.error().message());
    if (exit && !target.exec_id.empty()) {
      // Nobody deletes an exec made through the CLI but its relay: runc keeps none.
      task::DeleteRequest remove;
      remove.set_id(target.id);
      remove.set_exec_id(target.exec_id);
      (void)client->call<task::DeleteResponse>("Delete", remove, std::chrono::seconds(60));
    }
    ::_exit(exit ? static_cast<int>(exit->exit_status() & 0xff) : kLostExitCode);
  });
  while (true) {
    int sig = ::sigwaitinfo(&all, nullptr);
    if (sig <= 0 || sig == SIGCHLD) continue;
    if (sig == SIGWINCH && pty) {
      resize(*client, target, pty->slave.get());
    } else {
      forward(*client, target, sig);
    }
  }
}

}  // namespace kata::cli
