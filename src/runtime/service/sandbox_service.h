#pragma once

// The sandbox service: one sandbox (a VM) and the containers and processes
// that run in it, in the project's own terms. The front doors are thin
// adapters over it: containerd's task API (src/shim) and, later, the OCI
// runtime CLI. It owns the process table, start/exec/wait/kill, the stdio
// pumps, the event stream and each container's persisted state.
#include <sys/types.h>

#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "common/result.h"
#include "runtime/sandbox.h"
#include "runtime/service/process.h"
#include "runtime/service/service_events.h"

namespace kata::runtime::service {

// Boots the sandbox (runtime::start_sandbox with the loaded configuration in
// the shim; a FakeSandbox in tests).
using SandboxFactory =
    std::function<Result<std::unique_ptr<Sandbox>>(const SandboxOptions& options)>;

struct ServiceDeps {
  SandboxFactory start_sandbox;
  EventListener on_event;
  // The sandbox's run dir is run_root/<sandbox id>; each container's state is
  // written under it (container_state.h).
  std::string run_root = kDefaultRunRoot;
};

// What State reports about one process.
struct ProcessState {
  std::string bundle;
  uint32_t pid = 0;  // the task pid: guest pids are not visible on the host
  ProcessStatus status = ProcessStatus::kCreated;
  bool paused = false;  // its container is paused and it has not exited
  StdioPaths stdio;
  uint32_t exit_status = 0;
  std::chrono::system_clock::time_point exited_at{};  // once exited
};

struct ExitInfo {
  uint32_t pid = 0;
  uint32_t exit_status = 0;
  std::chrono::system_clock::time_point exited_at{};

  static ExitInfo of(const Process& process, uint32_t pid) {
    return ExitInfo{pid, process.exit_status, process.exited_at};
  }
};

// The first Create boots the VM, the last Delete shuts it down. Thread safe:
// every call may come on its own thread.
class SandboxService {
 public:
  explicit SandboxService(ServiceDeps deps);
  ~SandboxService();  // joins every thread; shuts the sandbox down if one is left
  SandboxService(const SandboxService&) = delete;
  SandboxService& operator=(const SandboxService&) = delete;

  bool has_container(const std::string& id);
  size_t container_count();
  // The VMM's pid, 0 without a sandbox.
  uint32_t task_pid();

  // Boots the sandbox unless one runs, then creates the container (its init
  // not started). A pod's container joins its sandbox's VM. Returns the task pid.
  Result<uint32_t> create(const ContainerConfig& config, StdioPaths stdio, StdioFiles files);
  // Starts the init (exec_id empty) or an exec; returns the task pid. A process
  // that cannot start has exited (126, or 127 when not found) and can be deleted.
  Result<uint32_t> start(const std::string& id, const std::string& exec_id);
  // Adds an exec to a container that has not stopped; Start runs it.
  Result<void> exec(const std::string& id, const std::string& exec_id, grpc::Process spec,
                    StdioPaths stdio, StdioFiles files);
  Result<ProcessState> state(const std::string& id, const std::string& exec_id);
  // Blocks until the process exited. `cancelled` is asked now and then, so
  // that a caller who went away frees the thread.
  Result<ExitInfo> wait(const std::string& id, const std::string& exec_id,
                        const std::function<bool()>& cancelled = {});
  // `all`: every process of the container.
  Result<void> kill(const std::string& id, const std::string& exec_id, uint32_t signal, bool all);
  Result<void> resize_pty(const std::string& id, const std::string& exec_id, uint32_t height,
                          uint32_t width);
  Result<void> close_stdin(const std::string& id, const std::string& exec_id);
  // Deletes an exited or never started exec, or a container with every process
  // of it (killed first). Answers even when the VM is gone.
  Result<ExitInfo> remove(const std::string& id, const std::string& exec_id);
  Result<void> pause(const std::string& id);
  Result<void> resume(const std::string& id);
  Result<void> update(const std::string& id, const grpc::LinuxResources& resources);
  Result<grpc::StatsContainerResponse> stats(const std::string& id);
  // Ends the sandbox when no container is left; false (nothing done) otherwise.
  bool shutdown();

 private:
  Result<std::shared_ptr<Process>> find_locked(const std::string& id, const std::string& exec_id);
  Result<std::shared_ptr<Process>> find(const std::string& id, const std::string& exec_id);
  Result<Sandbox*> sandbox_locked();
  // A reference to the agent, for a call made after mu_ is released.
  Result<std::shared_ptr<agent_client::Agent>> agent_locked();
  // The same, once container `id` is known to exist (takes mu_).
  Result<std::shared_ptr<agent_client::Agent>> container_agent(const std::string& id);
  Result<void> ensure_sandbox(const ContainerConfig& config);
  Result<void> start_process(const std::shared_ptr<Process>& process);
  void run_waiter(std::shared_ptr<agent_client::Agent> agent, std::shared_ptr<Process> process);
  void record_exit(const std::shared_ptr<Process>& process, uint32_t status);
  void record_exit_locked(Process& process, uint32_t status);  // holds mu_
  // A process that will never run (its start failed, or it was killed before
  // Start): its stdio is closed and it is reported exited with `status`.
  void end_unstarted(const std::shared_ptr<Process>& process, uint32_t status);
  std::optional<std::string> sandbox_vm_death();
  void join_process(Process& process);
  Result<ExitInfo> remove_container(const std::string& id);
  Result<ExitInfo> remove_exec(const std::string& id, const std::string& exec_id);
  // Writes container `id`'s state.json (holds mu_); false when it could not.
  bool persist_locked(const Container& container);
  void emit_locked(ServiceEvent event);
  void start_oom_watch();
  // Shuts the VM down (best effort, logged) and forgets it. Holds lifecycle_mu_.
  void stop_sandbox();
  void watch_oom(std::shared_ptr<agent_client::Agent> agent);

  ServiceDeps deps_;
  // Serializes Create, Start, Delete and Shutdown: the Sandbox's own lifecycle
  // calls are not thread safe, and a VM boot must not be raced by a second Create.
  std::mutex lifecycle_mu_;
  // Guards every field below and each Process's state. The locking rule for
  // calls that reach the guest: take a reference to the agent under mu_
  // (agent_locked()), release mu_, then call. No call holds mu_ while the guest
  // answers, so a slow or hung guest never blocks State, Wait, Kill or Delete;
  // and the reference keeps the client alive until the call returns, however
  // the sandbox is shut down meanwhile (its end fails the call). Only
  // lifecycle_mu_ is held across guest calls, by Create, Start and Delete.
  std::mutex mu_;
  std::condition_variable exited_cv_;
  // Shared: Kill uses it after releasing mu_ (and may end its VM) while Delete
  // shuts it down.
  std::shared_ptr<Sandbox> sandbox_;
  std::string run_dir_;   // the sandbox's, while one runs
  uint32_t vmm_pid_ = 0;  // the task pid
  std::map<std::string, Container> containers_;
  bool shutting_down_ = false;
  std::thread oom_thread_;
};

}  // namespace kata::runtime::service
