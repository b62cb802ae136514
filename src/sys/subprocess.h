#pragma once

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "common/result.h"
#include "common/unique_fd.h"

namespace kata::sys {

// Where one of the child's standard streams goes.
class Stdio {
 public:
  static Stdio null() { return Stdio(Null{}); }
  static Stdio inherit() { return Stdio(Inherit{}); }
  // Borrowed: the caller keeps ownership; the child gets a dup.
  static Stdio fd(int fd) { return Stdio(Fd{fd}); }
  // Created with mode 0640 if missing; truncated unless `append`.
  static Stdio file(std::string path, bool append = false) {
    return Stdio(File{std::move(path), append});
  }

  struct Null {};
  struct Inherit {};
  struct Fd {
    int fd;
  };
  struct File {
    std::string path;
    bool append;
  };
  using Target = std::variant<Null, Inherit, Fd, File>;
  const Target& target() const { return target_; }

 private:
  explicit Stdio(Target t) : target_(std::move(t)) {}
  Target target_;
};

struct SpawnOptions {
  // argv[0] is the program; without a '/', it is looked up in $PATH.
  std::vector<std::string> argv = {};
  // Added to (or replacing in) the parent's environment; with clear_env, all of it.
  std::vector<std::pair<std::string, std::string>> env = {};
  bool clear_env = false;
  Stdio in = Stdio::null();
  Stdio out = Stdio::inherit();
  Stdio err = Stdio::inherit();
  // Borrowed descriptors the child gets as 3, 4, ... in this order.
  std::vector<int> extra_fds = {};
  // Own process group, so that kill_group() reaches grandchildren and a terminal's
  // Ctrl-C aimed at us does not reach the child.
  bool new_process_group = true;
  std::string cwd = {};  // empty: the parent's
  // Exec with no capabilities at all, even as root: the bounding, inheritable and
  // ambient sets are emptied first, so that execve grants none (for root it would grant
  // the whole bounding set). For a helper such as QEMU that needs only files it can
  // open as their owner. Fails the spawn if the caller, as root, cannot drop them.
  bool drop_capabilities = false;
  // A network namespace (an open nsfs fd, borrowed) the child enters before exec,
  // so that QEMU opens its sockets and taps there; -1: the parent's.
  int network_namespace_fd = -1;
  // The child is the init of a new pid namespace (it sees itself as pid 1, and
  // only its own descendants), as runc's container init is.
  bool new_pid_namespace = false;
};

struct ExitStatus {
  int code = 0;    // valid when signal == 0
  int signal = 0;  // the signal that killed it, or 0

  bool success() const { return signal == 0 && code == 0; }
  // "exit status 3" or "killed by signal 9 (Killed)".
  std::string describe() const;
  static ExitStatus from_wait_status(int status);
};

// A spawned child. Destroying a Process that was not reaped kills it (SIGKILL to its
// group when it has its own) and reaps it: nothing outlives its handle by accident.
// Requires that nobody else reaps our children (no SIGCHLD = SIG_IGN, no waitpid(-1)).
class Process {
 public:
  // fork + exec; a failure of the child before or at exec (ENOENT, EACCES, a bad
  // cwd...) comes back as this call's error: "exec `/bin/nope`: No such file or directory".
  static Result<Process> spawn(const SpawnOptions& options);

  Process(Process&& other) noexcept;
  Process& operator=(Process&& other) noexcept;
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;
  ~Process();

  pid_t pid() const { return pid_; }
  // Readable once the child has exited; usable in the caller's own poll loop.
  int pidfd() const { return pidfd_.get(); }
  bool reaped() const { return status_.has_value(); }

  // Waits for the exit and reaps the child. nullopt waits forever; a timeout fails
  // with DEADLINE_EXCEEDED and leaves the child running. After the first success it
  // keeps returning the same status.
  Result<ExitStatus> wait_for(std::optional<std::chrono::milliseconds> timeout);

  // Signals the child itself, through its pidfd (immune to pid reuse). A child that
  // already exited is not an error.
  Result<void> kill(int sig);
  // Signals the child's whole process group (only if it got its own).
  Result<void> kill_group(int sig);
  // Lets the child go: this handle no longer kills or reaps it, and the child
  // outlives us (reparented to our subreaper, as runc's container init is).
  pid_t release() {
    pid_t pid = pid_;
    pid_ = -1;
    pidfd_.reset();
    return pid;
  }

 private:
  Process(pid_t pid, UniqueFd pidfd, bool own_group)
      : pid_(pid), pidfd_(std::move(pidfd)), own_group_(own_group) {}
  void kill_and_reap() noexcept;

  pid_t pid_ = -1;
  UniqueFd pidfd_;
  bool own_group_ = false;
  std::optional<ExitStatus> status_;
};

// Sends `sig` through a pidfd: it reaches the process the pidfd was opened for,
// never one that took its pid later. A process that already exited is no error.
Result<void> signal_pidfd(int pidfd, int sig);

struct CapturedOutput {
  ExitStatus status;
  std::string out;
  std::string err;
};

// Runs a command to completion with stdout and stderr captured (each truncated to
// `max_output` bytes; the rest is drained and dropped). On timeout the child's group is
// killed and the call fails with DEADLINE_EXCEEDED. The options' out/err are ignored.
Result<CapturedOutput> run_capture(SpawnOptions options, std::chrono::milliseconds timeout,
                                   size_t max_output = 1 << 20);

// Looks `name` up in the PATH of this process; a name with '/' is returned unchanged.
Result<std::string> find_executable(const std::string& name);

}  // namespace kata::sys
