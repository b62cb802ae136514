// Delete, Shutdown and the sandbox's end: the other half of the lifecycle.
#include <algorithm>

#include "common/log.h"
#include "containerd/events.pb.h"
#include "shim/convert.h"
#include "shim/task_service.h"

namespace kata::shim {
namespace {

// What a process that never ran reports: containerd's "killed" (128 + SIGKILL).
constexpr uint32_t kKilledExitStatus = 137;

task::DeleteResponse delete_response(const Process& process, uint32_t pid) {
  task::DeleteResponse resp;
  resp.set_pid(pid);
  resp.set_exit_status(process.exit_status);
  *resp.mutable_exited_at() = to_timestamp(process.exited_at);
  return resp;
}

}  // namespace

Result<task::DeleteResponse> TaskService::remove(const task::DeleteRequest& req) {
  std::lock_guard lifecycle(lifecycle_mu_);
  if (!req.exec_id().empty()) return remove_exec(req.id(), req.exec_id());
  return remove_container(req.id());
}

Result<task::DeleteResponse> TaskService::remove_exec(const std::string& id,
                                                      const std::string& exec_id) {
  KATA_ASSIGN_OR_RETURN(std::shared_ptr<Process> process, find(id, exec_id));
  {
    std::lock_guard lock(mu_);
    if (process->status != containerd::v1::types::STOPPED &&
        process->status != containerd::v1::types::CREATED) {
      return Error(Code::kFailedPrecondition, "delete process " + exec_id + ": still running");
    }
  }
  join_process(*process);
  std::lock_guard lock(mu_);
  containers_[id].execs.erase(exec_id);
  return delete_response(*process, vmm_pid_);
}

// RemoveContainer kills whatever still runs, so the waiters end; after that no
// thread of the container is left and the VM may go if it was the last one.
// When the last container has nothing left running, the VM goes first instead:
// the guest has nothing to clean up that outlives it, and with virtiofsd gone
// the host unmounts a rootfs that nobody holds.
Result<task::DeleteResponse> TaskService::remove_container(const std::string& id) {
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
  KATA_ASSIGN_OR_RETURN(runtime::Sandbox * sandbox, sandbox_locked());
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
    process->status = containerd::v1::types::STOPPED;  // never started: no exit event
    process->exit_status = kKilledExitStatus;
    process->exited_at = std::chrono::system_clock::now();
  }
  exited_cv_.notify_all();
  containerd::events::TaskDelete event;
  event.set_container_id(id);
  event.set_id(id);
  event.set_pid(vmm_pid);
  event.set_exit_status(init->exit_status);
  *event.mutable_exited_at() = to_timestamp(init->exited_at);
  containers_.erase(id);
  deps_.events->publish(kTopicDelete, event);
  task::DeleteResponse resp = delete_response(*init, vmm_pid);
  lock.unlock();
  if (last && !vm_first) stop_sandbox();
  return resp;
}

void TaskService::stop_sandbox() {
  if (!sandbox_) return;
  Result<void> stopped = sandbox_->shutdown();
  if (!stopped) log::warn("shut down sandbox {}: {}", sandbox_->id(), stopped.error().message());
  // The agent connection is gone now, so the OOM long poll has returned.
  if (oom_thread_.joinable()) oom_thread_.join();
  // Dropped under mu_, so that no call takes a new reference; calls in flight
  // hold their own, and it is freed (outside the lock) with the last of them.
  std::shared_ptr<runtime::Sandbox> gone;
  std::lock_guard lock(mu_);
  gone = std::move(sandbox_);
  vmm_pid_ = 0;
}

Result<Empty> TaskService::shutdown(const task::ShutdownRequest& req) {
  std::lock_guard lifecycle(lifecycle_mu_);
  {
    std::lock_guard lock(mu_);
    // Kata's rule: a shim with containers stays, whatever `now` says.
    if (!containers_.empty()) return Empty();
    shutting_down_ = true;
  }
  stop_sandbox();
  if (deps_.on_shutdown) deps_.on_shutdown();
  return Empty();
}

void TaskService::start_oom_watch() {
  std::shared_ptr<agent_client::Agent> agent = sandbox_->agent();
  oom_thread_ = std::thread([this, agent] { watch_oom(agent); });
}

// Long-polls the guest for OOM kills until the agent connection ends.
void TaskService::watch_oom(std::shared_ptr<agent_client::Agent> agent) {
  for (;;) {
    Result<std::string> id = agent->get_oom_event();
    if (!id) {
      log::debug("oom watch ends: {}", id.error().message());
      return;
    }
    containerd::events::TaskOOM event;
    event.set_container_id(*id);
    std::lock_guard lock(mu_);
    deps_.events->publish(kTopicOom, event);
  }
}

}  // namespace kata::shim
