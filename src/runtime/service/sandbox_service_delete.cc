// Delete, Shutdown and the sandbox's end: the other half of the lifecycle.
#include <algorithm>

#include "common/log.h"
#include "runtime/service/container_state.h"
#include "runtime/service/sandbox_service.h"

namespace kata::runtime::service {
namespace {

// What a process that never ran reports: "killed" (128 + SIGKILL).
constexpr uint32_t kKilledExitStatus = 137;

}  // namespace

Result<ExitInfo> SandboxService::remove(const std::string& id, const std::string& exec_id) {
  std::lock_guard lifecycle(lifecycle_mu_);
  if (!exec_id.empty()) return remove_exec(id, exec_id);
  return remove_container(id);
}

Result<ExitInfo> SandboxService::remove_exec(const std::string& id, const std::string& exec_id) {
  KATA_ASSIGN_OR_RETURN(std::shared_ptr<Process> process, find(id, exec_id));
  {
    std::lock_guard lock(mu_);
    if (process->status == ProcessStatus::kRunning) {
      return Error(Code::kFailedPrecondition, "delete process " + exec_id + ": still running");
    }
  }
  join_process(*process);
  std::lock_guard lock(mu_);
  containers_[id].execs.erase(exec_id);
  return ExitInfo::of(*process, vmm_pid_);
}

// RemoveContainer kills whatever still runs, so the waiters end; after that no
// thread of the container is left and the VM may go if it was the last one.
// When the last container has nothing left running, the VM goes first instead:
// the guest has nothing to clean up that outlives it, and with virtiofsd gone
// the host unmounts a rootfs that nobody holds.
Result<ExitInfo> SandboxService::remove_container(const std::string& id) {
  std::vector<std::shared_ptr<Process>> processes;
  bool last = false, vm_first = false;
  uint32_t vmm_pid = 0;
  {
    std::lock_guard lock(mu_);
    KATA_ASSIGN_OR_RETURN(std::shared_ptr<Process> init, find_locked(id, ""));
    processes.push_back(init);
    for (auto& [exec_id, exec] : containers_[id].execs) processes.push_back(exec);
    last = containers_.size() == 1;
    vm_first = last && std::all_of(processes.begin(), processes.end(),
                                   [](const std::shared_ptr<Process>& p) { return p->exited(); });
    vmm_pid = vmm_pid_;
  }
  KATA_ASSIGN_OR_RETURN(Sandbox * sandbox, sandbox_locked());
  if (vm_first) {
    stop_sandbox();
  } else if (Result<void> removed = sandbox->remove_container(id); !removed) {
    log::warn("remove container {}: {}", id, removed.error().message());
    if (sandbox->vm_running()) {
      // A guest that cannot remove its last container is of no more use: its
      // end ends every process, so the waiters below return.
      if (!last) return std::move(removed).error().context("delete " + id);
      sandbox->end_vm("the agent could not remove container " + id);
    }
  }
  for (auto& process : processes) join_process(*process);
  const std::shared_ptr<Process>& init = processes.front();
  std::unique_lock lock(mu_);
  for (auto& process : processes) {
    if (process->exited()) continue;
    process->status = ProcessStatus::kStopped;  // never started: no exit event
    process->exit_status = kKilledExitStatus;
    process->exited_at = std::chrono::system_clock::now();
  }
  exited_cv_.notify_all();
  // (Gone already if the VM went first: it was in the sandbox's run dir.)
  if (Result<void> forgotten = remove_container_state(run_dir_, id); !forgotten) {
    log::warn("{}", forgotten.error().message());
  }
  containers_.erase(id);
  ServiceEvent event(EventKind::kDeleted, id);
  event.pid = vmm_pid;
  event.exit_status = init->exit_status;
  event.exited_at = init->exited_at;
  emit_locked(std::move(event));
  ExitInfo info = ExitInfo::of(*init, vmm_pid);
  lock.unlock();
  if (last && !vm_first) stop_sandbox();
  return info;
}

void SandboxService::stop_sandbox() {
  if (!sandbox_) return;
  Result<void> stopped = sandbox_->shutdown();
  if (!stopped) log::warn("shut down sandbox {}: {}", sandbox_->id(), stopped.error().message());
  // The agent connection is gone now, so the OOM long poll has returned.
  if (oom_thread_.joinable()) oom_thread_.join();
  // Dropped under mu_, so that no call takes a new reference; calls in flight
  // hold their own, and it is freed (outside the lock) with the last of them.
  std::shared_ptr<Sandbox> gone;
  std::lock_guard lock(mu_);
  gone = std::move(sandbox_);
  vmm_pid_ = 0;
}

bool SandboxService::shutdown() {
  std::lock_guard lifecycle(lifecycle_mu_);
  {
    std::lock_guard lock(mu_);
    // Kata's rule: a sandbox with containers stays.
    if (!containers_.empty()) return false;
    shutting_down_ = true;
  }
  stop_sandbox();
  return true;
}

void SandboxService::start_oom_watch() {
  std::shared_ptr<agent_client::Agent> agent = sandbox_->agent();
  oom_thread_ = std::thread([this, agent] { watch_oom(agent); });
}

// Long-polls the guest for OOM kills until the agent connection ends.
void SandboxService::watch_oom(std::shared_ptr<agent_client::Agent> agent) {
  for (;;) {
    Result<std::string> id = agent->get_oom_event();
    if (!id) {
      log::debug("oom watch ends: {}", id.error().message());
      return;
    }
    std::lock_guard lock(mu_);
    emit_locked(ServiceEvent(EventKind::kOom, *id));
  }
}

}  // namespace kata::runtime::service
