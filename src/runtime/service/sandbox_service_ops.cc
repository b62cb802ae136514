// The calls on a created container's processes: Exec, State, Wait, Kill and stdio.
#include <signal.h>

#include <algorithm>

#include "common/log.h"
#include "runtime/service/sandbox_service.h"

namespace kata::runtime::service {
namespace {

// Whether a signal's default action ends a process (what happens to a created
// process, which has installed no handler yet).
bool ends_by_default(uint32_t sig) {
  switch (sig) {
    case 0:
    case SIGCHLD:
    case SIGCONT:
    case SIGURG:
    case SIGWINCH:
    case SIGSTOP:
    case SIGTSTP:
    case SIGTTIN:
    case SIGTTOU:
      return false;
    default:
      return true;
  }
}

Error already_finished(const Process& process) {
  return Error(Code::kNotFound, "process " + process.public_id() + ": process already finished");
}

}  // namespace

Result<void> SandboxService::exec(const std::string& id, const std::string& exec_id,
                                  grpc::Process spec, StdioPaths stdio, StdioFiles files) {
  if (exec_id.empty()) return Error(Code::kInvalidArgument, "exec: empty exec id");
  auto process = std::make_shared<Process>();
  process->container_id = id;
  process->exec_id = exec_id;
  process->spec = std::move(spec);
  process->stdio = std::move(stdio);
  process->files = std::move(files);
  std::lock_guard lock(mu_);
  KATA_ASSIGN_OR_RETURN(std::shared_ptr<Process> init, find_locked(id, ""));
  if (init->exited()) {
    return Error(Code::kFailedPrecondition, "exec in container " + id + ": it has stopped");
  }
  if (!containers_[id].execs.emplace(exec_id, process).second) {
    return Error(Code::kAlreadyExists, "process " + exec_id + ": already exists");
  }
  emit_locked(ServiceEvent(EventKind::kExecAdded, id, exec_id));
  return {};
}

Result<ProcessState> SandboxService::state(const std::string& id, const std::string& exec_id) {
  std::lock_guard lock(mu_);
  KATA_ASSIGN_OR_RETURN(std::shared_ptr<Process> process, find_locked(id, exec_id));
  const Container& container = containers_[id];
  ProcessState state;
  state.bundle = container.config.bundle;
  state.pid = vmm_pid_;
  state.status = process->status;
  state.paused = container.paused && !process->exited();
  state.stdio = process->stdio;
  state.exit_status = process->exit_status;
  state.exited_at = process->exited_at;
  return state;
}

Result<ExitInfo> SandboxService::wait(const std::string& id, const std::string& exec_id,
                                      const std::function<bool()>& cancelled) {
  std::unique_lock lock(mu_);
  KATA_ASSIGN_OR_RETURN(std::shared_ptr<Process> process, find_locked(id, exec_id));
  auto done = [&] { return process->exited() || shutting_down_; };
  while (!exited_cv_.wait_for(lock, std::chrono::milliseconds(500), done)) {
    if (cancelled && cancelled()) return Error(Code::kCancelled, "wait: cancelled by the caller");
  }
  if (!process->exited()) return Error(Code::kUnavailable, "wait: the service is shutting down");
  return ExitInfo::of(*process, vmm_pid_);
}

Result<void> SandboxService::kill(const std::string& id, const std::string& exec_id,
                                  uint32_t signal, bool all) {
  KATA_ASSIGN_OR_RETURN(std::shared_ptr<Process> process, find(id, exec_id));
  std::shared_ptr<Sandbox> sandbox;
  std::shared_ptr<agent_client::Agent> agent;
  bool sole_init = false;
  {
    std::lock_guard lock(mu_);
    if (process->exited()) return already_finished(*process);
    if (process->status == ProcessStatus::kCreated) {
      // Start is asking the guest right now: the signal follows the start.
      if (process->starting) {
        process->queued_signals.push_back(signal);
        return {};
      }
      // Never started: nothing of it runs in the guest (a container's init waits
      // there for Start; Delete removes it). It ends here, as runc's created init would.
      if (ends_by_default(signal)) record_exit_locked(*process, 128 + signal);
      return {};
    }
    KATA_ASSIGN_OR_RETURN(agent, agent_locked());
    sandbox = sandbox_;
    // The only live init in the VM: the others' have exited (a pod being stopped kills
    // its app containers before its sandbox container).
    sole_init = process->exec_id.empty() &&
                std::all_of(containers_.begin(), containers_.end(), [&](const auto& entry) {
                  return entry.first == id || entry.second.init->exited();
                });
  }
  // The agent's empty exec id means every process of the container.
  Result<void> sent = agent->signal_process(id, all ? "" : exec_id, signal);
  if (sent) return {};
  // The VM went while the call was out (killed, crashed, hung and ended): the process
  // went with it, and its exit is recorded with the VM's death.
  if (signal == SIGKILL && !sandbox->vm_running()) {
    log::warn("kill {}: {}; its VM is gone, and the process with it", process->public_id(),
              sent.error().message());
    return {};
  }
  // SIGKILL is a promise. When the agent cannot keep it (its threads taken by a
  // fork bomb, hung) and the VM holds nothing else, ending the VM keeps it.
  if (signal == SIGKILL && sole_init && sandbox->vm_running()) {
    log::warn("kill {}: {}; ending its VM instead", process->public_id(), sent.error().message());
    {
      std::lock_guard lock(mu_);
      process->enforced_signal = SIGKILL;
    }
    sandbox->end_vm("the agent could not deliver SIGKILL to " + process->public_id());
    return {};
  }
  return std::move(sent).error().context("kill " + process->public_id());
}

Result<void> SandboxService::resize_pty(const std::string& id, const std::string& exec_id,
                                        uint32_t height, uint32_t width) {
  KATA_ASSIGN_OR_RETURN(std::shared_ptr<Process> process, find(id, exec_id));
  std::shared_ptr<agent_client::Agent> agent;
  {
    std::lock_guard lock(mu_);
    if (process->exited()) return already_finished(*process);
    KATA_ASSIGN_OR_RETURN(agent, agent_locked());
  }
  return agent->tty_win_resize(id, exec_id, height, width);
}

Result<void> SandboxService::close_stdin(const std::string& id, const std::string& exec_id) {
  KATA_ASSIGN_OR_RETURN(std::shared_ptr<Process> process, find(id, exec_id));
  std::lock_guard lock(mu_);
  // Before Start the request is kept: Start hands it to the pumps.
  process->stdin_close_requested = true;
  if (process->pumps) process->pumps->close_stdin();
  return {};
}

}  // namespace kata::runtime::service
