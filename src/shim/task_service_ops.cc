// The task calls on a created container: Exec, State, Wait, Kill, stdio,
// Pause/Resume, Update, Stats, Pids, Connect.
#include <signal.h>

#include "common/log.h"
#include "containerd/events.pb.h"
#include "shim/convert.h"
#include "shim/task_service.h"

namespace kata::shim {
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
  return Error(Code::kNotFound, "process " + process.event_id() + ": process already finished");
}

}  // namespace

Result<Empty> TaskService::exec(const task::ExecProcessRequest& req) {
  if (req.exec_id().empty()) return Error(Code::kInvalidArgument, "exec: empty exec id");
  KATA_ASSIGN_OR_RETURN(std::shared_ptr<Process> init, find(req.id(), ""));
  KATA_ASSIGN_OR_RETURN(grpc::Process spec, deps_.parsers.parse_process(req.spec().value()));
  auto process = std::make_shared<Process>();
  process->container_id = req.id();
  process->exec_id = req.exec_id();
  process->spec = std::move(spec);
  process->stdio = StdioPaths{req.stdin(), req.stdout(), req.stderr(), req.terminal()};
  KATA_ASSIGN_OR_RETURN(process->files,
                        open_stdio(process->stdio, req.exec_id(), deps_.containerd_namespace));
  std::lock_guard lock(mu_);
  auto it = containers_.find(req.id());
  if (it == containers_.end())
    return Error(Code::kNotFound, "container " + req.id() + ": not found");
  if (init->exited()) {
    return Error(Code::kFailedPrecondition, "exec in container " + req.id() + ": it has stopped");
  }
  if (!it->second.execs.emplace(req.exec_id(), process).second) {
    return Error(Code::kAlreadyExists, "process " + req.exec_id() + ": already exists");
  }
  containerd::events::TaskExecAdded event;
  event.set_container_id(req.id());
  event.set_exec_id(req.exec_id());
  deps_.events->publish(kTopicExecAdded, event);
  return Empty();
}

Result<task::StateResponse> TaskService::state(const task::StateRequest& req) {
  std::lock_guard lock(mu_);
  KATA_ASSIGN_OR_RETURN(std::shared_ptr<Process> process, find_locked(req.id(), req.exec_id()));
  const Container& container = containers_[req.id()];
  task::StateResponse resp;
  resp.set_id(process->event_id());  // as runc's shim: the exec id for an exec
  resp.set_exec_id(req.exec_id());
  resp.set_bundle(container.bundle);
  resp.set_pid(vmm_pid_);
  bool paused = container.paused && !process->exited();
  resp.set_status(paused ? containerd::v1::types::PAUSED : process->status);
  resp.set_stdin(process->stdio.stdin_path);
  resp.set_stdout(process->stdio.stdout_path);
  resp.set_stderr(process->stdio.stderr_path);
  resp.set_terminal(process->stdio.terminal);
  resp.set_exit_status(process->exit_status);
  if (process->exited()) *resp.mutable_exited_at() = to_timestamp(process->exited_at);
  return resp;
}

Result<task::WaitResponse> TaskService::wait(const task::WaitRequest& req,
                                             const std::function<bool()>& cancelled) {
  std::unique_lock lock(mu_);
  KATA_ASSIGN_OR_RETURN(std::shared_ptr<Process> process, find_locked(req.id(), req.exec_id()));
  auto done = [&] { return process->exited() || shutting_down_; };
  while (!exited_cv_.wait_for(lock, std::chrono::milliseconds(500), done)) {
    if (cancelled && cancelled()) return Error(Code::kCancelled, "wait: cancelled by the caller");
  }
  if (!process->exited()) return Error(Code::kUnavailable, "wait: the shim is shutting down");
  task::WaitResponse resp;
  resp.set_exit_status(process->exit_status);
  *resp.mutable_exited_at() = to_timestamp(process->exited_at);
  return resp;
}

Result<Empty> TaskService::kill(const task::KillRequest& req) {
  KATA_ASSIGN_OR_RETURN(std::shared_ptr<Process> process, find(req.id(), req.exec_id()));
  std::shared_ptr<runtime::Sandbox> sandbox;
  std::shared_ptr<agent_client::Agent> agent;
  bool sole_init = false;
  {
    std::lock_guard lock(mu_);
    if (process->exited()) return already_finished(*process);
    if (process->status == containerd::v1::types::CREATED) {
      // Start is asking the guest right now: the signal follows the start.
      if (process->starting) {
        process->queued_signals.push_back(req.signal());
        return Empty();
      }
      // Never started: nothing of it runs in the guest (a container's init waits
      // there for Start; Delete removes it). It ends here, as runc's created init would.
      if (ends_by_default(req.signal())) record_exit_locked(*process, 128 + req.signal());
      return Empty();
    }
    KATA_ASSIGN_OR_RETURN(agent, agent_locked());
    sandbox = sandbox_;
    sole_init = process->exec_id.empty() && containers_.size() == 1;
  }
  // The agent's empty exec id means every process of the container.
  std::string exec_id = req.all() ? "" : req.exec_id();
  Result<void> sent = agent->signal_process(req.id(), exec_id, req.signal());
  if (sent) return Empty();
  // SIGKILL is a promise. When the agent cannot keep it (its threads taken by a
  // fork bomb, hung) and the VM holds nothing else, ending the VM keeps it.
  if (req.signal() == SIGKILL && sole_init && sandbox->vm_running()) {
    log::warn("kill {}: {}; ending its VM instead", process->event_id(), sent.error().message());
    {
      std::lock_guard lock(mu_);
      process->enforced_signal = SIGKILL;
    }
    sandbox->end_vm("the agent could not deliver SIGKILL to " + process->event_id());
    return Empty();
  }
  return std::move(sent).error().context("kill " + process->event_id());
}

Result<Empty> TaskService::resize_pty(const task::ResizePtyRequest& req) {
  KATA_ASSIGN_OR_RETURN(std::shared_ptr<Process> process, find(req.id(), req.exec_id()));
  std::shared_ptr<agent_client::Agent> agent;
  {
    std::lock_guard lock(mu_);
    if (process->exited()) return already_finished(*process);
    KATA_ASSIGN_OR_RETURN(agent, agent_locked());
  }
  KATA_TRY(agent->tty_win_resize(req.id(), req.exec_id(), req.height(), req.width()));
  return Empty();
}

Result<Empty> TaskService::close_io(const task::CloseIORequest& req) {
  KATA_ASSIGN_OR_RETURN(std::shared_ptr<Process> process, find(req.id(), req.exec_id()));
  if (!req.stdin()) return Empty();
  std::lock_guard lock(mu_);
  // Before Start the request is kept: Start hands it to the pumps.
  process->stdin_close_requested = true;
  if (process->pumps) process->pumps->close_stdin();
  return Empty();
}

Result<task::PidsResponse> TaskService::pids(const task::PidsRequest& req) {
  KATA_TRY(find(req.id(), ""));
  task::PidsResponse resp;
  std::lock_guard lock(mu_);
  resp.add_processes()->set_pid(vmm_pid_);  // guest pids are not visible here
  return resp;
}

}  // namespace kata::shim
