#include "shim/task_service.h"

#include "common/log.h"
#include "containerd/events.pb.h"
#include "shim/convert.h"

namespace kata::shim {
namespace {

namespace events = containerd::events;

// What containerd sees for a process that died with its VM (no exit code).
constexpr uint32_t kLostExitStatus = 255;
// A process whose exec failed, as a shell reports it: not found, or found and not runnable.
constexpr uint32_t kNotFoundExitStatus = 127;
constexpr uint32_t kCannotRunExitStatus = 126;

Error not_found(const std::string& id, const std::string& exec_id) {
  if (exec_id.empty()) return Error(Code::kNotFound, "container " + id + ": not found");
  return Error(Code::kNotFound, "process " + exec_id + " of container " + id + ": not found");
}

runtime::ContainerConfig container_config(const task::CreateTaskRequest& req) {
  runtime::ContainerConfig config;
  config.id = req.id();
  config.bundle = req.bundle();
  for (const auto& mount : req.rootfs()) {
    config.rootfs.push_back(runtime::RootfsMount{
        mount.type(), mount.source(), {mount.options().begin(), mount.options().end()}});
  }
  return config;
}

}  // namespace

TaskService::TaskService(TaskServiceDeps deps) : deps_(std::move(deps)) {}

TaskService::~TaskService() {
  std::lock_guard lifecycle(lifecycle_mu_);
  std::vector<std::shared_ptr<Process>> processes;
  {
    std::lock_guard lock(mu_);
    shutting_down_ = true;
    for (auto& [id, container] : containers_) {
      processes.push_back(container.init);
      for (auto& [exec_id, exec] : container.execs) processes.push_back(exec);
    }
  }
  exited_cv_.notify_all();
  // The VM goes first so that every blocked agent call returns.
  if (sandbox_) (void)sandbox_->shutdown();
  for (auto& process : processes) join_process(*process);
  if (oom_thread_.joinable()) oom_thread_.join();
}

size_t TaskService::container_count() {
  std::lock_guard lock(mu_);
  return containers_.size();
}

uint32_t TaskService::task_pid() { return vmm_pid_; }

std::optional<std::string> TaskService::sandbox_vm_death() {
  std::lock_guard lock(mu_);
  return sandbox_ ? sandbox_->vm_death() : std::nullopt;
}

Result<std::shared_ptr<agent_client::Agent>> TaskService::agent_locked() {
  KATA_ASSIGN_OR_RETURN(runtime::Sandbox * sandbox, sandbox_locked());
  std::shared_ptr<agent_client::Agent> agent = sandbox->agent();
  if (!agent) return Error(Code::kFailedPrecondition, "sandbox " + sandbox->id() + " is shut down");
  return agent;
}

Result<std::shared_ptr<Process>> TaskService::find_locked(const std::string& id,
                                                          const std::string& exec_id) {
  auto it = containers_.find(id);
  if (it == containers_.end()) return not_found(id, "");
  if (exec_id.empty()) return it->second.init;
  auto exec = it->second.execs.find(exec_id);
  if (exec == it->second.execs.end()) return not_found(id, exec_id);
  return exec->second;
}

Result<std::shared_ptr<Process>> TaskService::find(const std::string& id,
                                                   const std::string& exec_id) {
  std::lock_guard lock(mu_);
  return find_locked(id, exec_id);
}

Result<runtime::Sandbox*> TaskService::sandbox_locked() {
  if (!sandbox_) return Error(Code::kFailedPrecondition, "sandbox is not running");
  return sandbox_.get();
}

Result<void> TaskService::ensure_sandbox(const std::string& id, const BundleInfo& info) {
  if (sandbox_) return {};
  if (info.kind == ContainerKind::kPodContainer) {
    return Error(Code::kFailedPrecondition, "container " + id + " joins sandbox " +
                                                info.sandbox_id + ", which this shim does not run");
  }
  runtime::SandboxOptions options;
  options.id = id;
  options.hostname = info.hostname;
  KATA_ASSIGN_OR_RETURN(std::unique_ptr<runtime::Sandbox> sandbox, deps_.start_sandbox(options));
  {
    std::lock_guard lock(mu_);
    sandbox_ = std::move(sandbox);
    vmm_pid_ = static_cast<uint32_t>(sandbox_->vmm_pid());
  }
  start_oom_watch();
  return {};
}

Result<task::CreateTaskResponse> TaskService::create(const task::CreateTaskRequest& req) {
  std::lock_guard lifecycle(lifecycle_mu_);
  {
    std::lock_guard lock(mu_);
    if (containers_.count(req.id()) != 0) {
      return Error(Code::kAlreadyExists, "container " + req.id() + ": already exists");
    }
  }
  if (!req.checkpoint().empty()) {
    return Error(Code::kUnimplemented, "create " + req.id() + " from a checkpoint");
  }
  auto process = std::make_shared<Process>();
  process->container_id = req.id();
  process->stdio = StdioPaths{req.stdin(), req.stdout(), req.stderr(), req.terminal()};
  KATA_ASSIGN_OR_RETURN(process->files,
                        open_stdio(process->stdio, req.id(), deps_.containerd_namespace));
  KATA_ASSIGN_OR_RETURN(BundleInfo info, read_bundle_info(req.bundle()));
  KATA_TRY(ensure_sandbox(req.id(), info));
  Result<void> created = sandbox_->create_container(container_config(req));
  if (!created) {
    if (container_count() == 0) stop_sandbox();  // the create error is the one to report
    return std::move(created).error();           // the sandbox names the container already
  }
  Container container{req.id(), req.bundle(), {req.rootfs().begin(), req.rootfs().end()},
                      false,    process,      {}};
  events::TaskCreate event;
  event.set_container_id(req.id());
  event.set_bundle(req.bundle());
  *event.mutable_rootfs() = req.rootfs();
  event.mutable_io()->set_stdin(req.stdin());
  event.mutable_io()->set_stdout(req.stdout());
  event.mutable_io()->set_stderr(req.stderr());
  event.mutable_io()->set_terminal(req.terminal());
  event.set_pid(task_pid());
  std::lock_guard lock(mu_);
  containers_.emplace(req.id(), std::move(container));
  deps_.events->publish(kTopicCreate, event);
  task::CreateTaskResponse resp;
  resp.set_pid(task_pid());
  return resp;
}

Result<task::StartResponse> TaskService::start(const task::StartRequest& req) {
  std::lock_guard lifecycle(lifecycle_mu_);
  KATA_ASSIGN_OR_RETURN(std::shared_ptr<Process> process, find(req.id(), req.exec_id()));
  {
    std::lock_guard lock(mu_);
    if (process->exited()) {
      return Error(Code::kFailedPrecondition, "start " + process->event_id() + ": it has exited");
    }
    if (process->status != containerd::v1::types::CREATED) {
      return Error(Code::kFailedPrecondition, "start " + process->event_id() + ": already started");
    }
    process->starting = true;
  }
  Result<void> started = start_process(process);
  if (!started) {
    // As runc's: the process that could not exec has exited, and the task can be deleted.
    end_unstarted(process, started.error().code() == Code::kNotFound ? kNotFoundExitStatus
                                                                     : kCannotRunExitStatus);
    return std::move(started).error();
  }
  task::StartResponse resp;
  resp.set_pid(task_pid());
  return resp;
}

// Starts the process in the guest, then its stdio, then publishes the start
// event, and only then the waiter: so the exit event can never overtake it.
// Signals that came meanwhile are delivered last.
Result<void> TaskService::start_process(const std::shared_ptr<Process>& process) {
  std::shared_ptr<agent_client::Agent> agent;
  {
    std::lock_guard lock(mu_);
    KATA_ASSIGN_OR_RETURN(agent, agent_locked());
  }
  if (process->exec_id.empty()) {
    KATA_TRY(
        agent->start_container(process->container_id).context("start " + process->container_id));
  } else {
    grpc::ExecProcessRequest exec;
    exec.set_container_id(process->container_id);
    exec.set_exec_id(process->exec_id);
    *exec.mutable_process() = process->spec;
    exec.mutable_process()->set_terminal(process->stdio.terminal);
    KATA_TRY(agent->exec_process(exec).context("exec " + process->exec_id));
  }
  StdioFiles files;
  {
    std::lock_guard lock(mu_);
    files = std::move(process->files);
  }
  bool has_stdin = files.in.valid();
  auto pumps = std::make_shared<StdioPumps>(agent, process->container_id, process->exec_id,
                                            std::move(files));
  // Nobody will ever write: give the process EOF instead of a stdin that never ends.
  if (!has_stdin && !process->stdio.terminal) {
    (void)agent->close_stdin(process->container_id, process->exec_id);
  }
  std::vector<uint32_t> queued;
  {
    std::lock_guard lock(mu_);
    if (process->stdin_close_requested) pumps->close_stdin();  // CloseIO came in between
    process->pumps = std::move(pumps);
    process->status = containerd::v1::types::RUNNING;
    process->starting = false;
    queued = std::move(process->queued_signals);
    if (process->exec_id.empty()) {
      events::TaskStart event;
      event.set_container_id(process->container_id);
      event.set_pid(task_pid());
      deps_.events->publish(kTopicStart, event);
    } else {
      events::TaskExecStarted event;
      event.set_container_id(process->container_id);
      event.set_exec_id(process->exec_id);
      event.set_pid(task_pid());
      deps_.events->publish(kTopicExecStarted, event);
    }
    process->waiter = std::thread([this, agent, process] { run_waiter(agent, process); });
  }
  for (uint32_t sig : queued) {
    Result<void> sent = agent->signal_process(process->container_id, process->exec_id, sig);
    if (!sent)
      log::warn("deliver signal {} to {}: {}", sig, process->event_id(), sent.error().message());
  }
  return {};
}

void TaskService::end_unstarted(const std::shared_ptr<Process>& process, uint32_t status) {
  StdioFiles files;  // closed outside the lock: the other ends may be slow to notice
  {
    std::lock_guard lock(mu_);
    process->starting = false;
    process->queued_signals.clear();
    files = std::move(process->files);
  }
  record_exit(process, status);
}

// The exit is recorded only after the output was drained, so that whoever
// waits for it (ctr) has already received everything the process wrote.
void TaskService::run_waiter(std::shared_ptr<agent_client::Agent> agent,
                             std::shared_ptr<Process> process) {
  Result<int32_t> code = agent->wait_process(process->container_id, process->exec_id);
  uint32_t status = kLostExitStatus;
  if (code) {
    status = static_cast<uint32_t>(*code);
  } else {
    std::optional<std::string> death = sandbox_vm_death();
    log::warn("wait for {}: {}{}", process->event_id(), code.error().message(),
              death ? " (" + *death + ")" : "");
    std::lock_guard lock(mu_);
    if (process->enforced_signal != 0) status = 128 + process->enforced_signal;
  }
  std::shared_ptr<StdioPumps> pumps;
  {
    std::lock_guard lock(mu_);
    pumps = process->pumps;
  }
  if (pumps) {
    pumps->stop_stdin();
    pumps->wait_output_drained();
  }
  record_exit(process, status);
}

void TaskService::record_exit(const std::shared_ptr<Process>& process, uint32_t status) {
  std::lock_guard lock(mu_);
  record_exit_locked(*process, status);
}

void TaskService::record_exit_locked(Process& process, uint32_t status) {
  process.status = containerd::v1::types::STOPPED;
  process.exit_status = status;
  process.exited_at = std::chrono::system_clock::now();
  events::TaskExit event;
  event.set_container_id(process.container_id);
  event.set_id(process.event_id());
  event.set_pid(task_pid());
  event.set_exit_status(status);
  *event.mutable_exited_at() = to_timestamp(process.exited_at);
  deps_.events->publish(kTopicExit, event);
  exited_cv_.notify_all();
}

void TaskService::join_process(Process& process) {
  if (process.waiter.joinable()) process.waiter.join();
  std::shared_ptr<StdioPumps> pumps;
  {
    std::lock_guard lock(mu_);
    pumps = std::move(process.pumps);
  }
  pumps.reset();
}

}  // namespace kata::shim
