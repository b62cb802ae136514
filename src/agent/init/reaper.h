#pragma once

#include <sys/types.h>

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <thread>

#include "common/result.h"
#include "common/unique_fd.h"

namespace kata::agent {

// PID 1 inherits every orphan in the guest and must reap them, or they stay
// zombies for the VM's life. The reaper blocks SIGCHLD, reads it from a
// signalfd on its own thread and collects every exited child with
// waitpid(-1, WNOHANG). Code that starts processes and wants their exit
// status starts them through spawn(), so that the pid is registered before
// the reaper can collect it.
class Reaper {
 public:
  // Receives the wait status (as from waitpid). Runs on the reaper thread:
  // keep it short and never call back into the reaper from it.
  using ExitCallback = std::function<void(pid_t pid, int status)>;
  // Creates the child (fork, clone, posix_spawn) and returns its pid.
  using Starter = std::function<Result<pid_t>()>;

  // Blocks SIGCHLD in the calling thread. Call it before starting any other
  // thread, so that every thread inherits the mask; otherwise a thread with
  // SIGCHLD unblocked swallows the signal and the signalfd never sees it.
  // Children must unblock SIGCHLD themselves before exec.
  static Result<std::unique_ptr<Reaper>> start();

  ~Reaper();
  Reaper(const Reaper&) = delete;
  Reaper& operator=(const Reaper&) = delete;

  // Runs `starter` with reaping held off, then watches the new pid.
  Result<pid_t> spawn(const Starter& starter, ExitCallback on_exit);

  // Number of exits delivered to nobody (orphans); for logs and tests.
  uint64_t orphans_reaped() const;

 private:
  Reaper(UniqueFd signal_fd, UniqueFd stop_fd);
  void run();
  void reap_all();

  UniqueFd signal_fd_;
  UniqueFd stop_fd_;  // eventfd: wakes the thread for shutdown
  mutable std::mutex mu_;
  std::map<pid_t, ExitCallback> watched_;  // guarded by mu_
  uint64_t orphans_ = 0;                   // guarded by mu_
  std::thread thread_;
};

}  // namespace kata::agent
