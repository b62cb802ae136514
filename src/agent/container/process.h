#pragma once

#include <sys/types.h>

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "agent/container/stdio.h"
#include "common/result.h"
#include "ttrpc/cancel.h"

namespace kata::agent::container {

// One process of a container (its init, or an exec) as the agent tracks it.
// Thread-safe: RPC handlers and the reaper thread share it.
class Process {
 public:
  Process(std::string exec_id, std::unique_ptr<ProcessIo> io)
      : exec_id_(std::move(exec_id)), io_(std::move(io)) {}

  const std::string& exec_id() const { return exec_id_; }
  ProcessIo& io() { return *io_; }

  // The pid signals go to: the workload itself (for an exec, not the relay
  // process the reaper watches).
  pid_t pid() const { return pid_.load(); }
  void set_pid(pid_t pid) { pid_.store(pid); }

  // From the reaper thread; `wait_status` as from waitpid.
  void on_exit(int wait_status);
  bool exited() const;
  // Blocks until exit; the exit code, or 128 + signal. CANCELLED when `cancel` fires.
  Result<int> wait(const ttrpc::CancelToken* cancel);
  // Like wait() with a limit; DEADLINE_EXCEEDED after it.
  Result<int> wait_for(std::chrono::milliseconds limit);
  // Sends `sig` unless the process is known to have exited (its pid may be
  // reused). ok if it is already gone.
  Result<void> signal(int sig);

 private:
  const std::string exec_id_;
  std::unique_ptr<ProcessIo> io_;
  std::atomic<pid_t> pid_{0};
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::optional<int> exit_code_;  // guarded by mu_
};

}  // namespace kata::agent::container
