#include "runtime/service/sandbox_service.h"

#include "common/log.h"
#include "runtime/service/bundle_info.h"
#include "runtime/service/container_state.h"

namespace kata::runtime::service {
namespace {

// What a process that died with its VM reports (no exit code).
constexpr uint32_t kLostExitStatus = 255;
// A process whose exec failed, as a shell reports it: not found, or found and not runnable.
constexpr uint32_t kNotFoundExitStatus = 127;
constexpr uint32_t kCannotRunExitStatus = 126;

Error not_found(const std::string& id, const std::string& exec_id) {
  if (exec_id.empty()) return Error(Code::kNotFound, "container " + id + ": not found");
  return Error(Code::kNotFound, "process " + exec_id + " of container " + id + ": not found");
}

ContainerStatus container_status(const Container& container) {
  switch (container.init->status) {
    case ProcessStatus::kCreated:
      return ContainerStatus::kCreated;
    case ProcessStatus::kRunning:
      return container.paused ? ContainerStatus::kPaused : ContainerStatus::kRunning;
    case ProcessStatus::kStopped:
      return ContainerStatus::kStopped;
  }
  return ContainerStatus::kCreated;
}

}  // namespace

SandboxService::SandboxService(ServiceDeps deps) : deps_(std::move(deps)) {}

SandboxService::~SandboxService() {
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

bool SandboxService::has_container(const std::string& id) {
  std::lock_guard lock(mu_);
  return containers_.count(id) != 0;
}

size_t SandboxService::container_count() {
  std::lock_guard lock(mu_);
  return containers_.size();
}

uint32_t SandboxService::task_pid() {
  std::lock_guard lock(mu_);
  return vmm_pid_;
}

std::optional<std::string> SandboxService::sandbox_vm_death() {
  std::lock_guard lock(mu_);
  return sandbox_ ? sandbox_->vm_death() : std::nullopt;
}

void SandboxService::emit_locked(ServiceEvent event) {
  if (event.pid == 0) event.pid = vmm_pid_;
  if (deps_.on_event) deps_.on_event(event);
}

bool SandboxService::persist_locked(const Container& container) {
  ContainerState state;
  state.id = container.config.id;
  state.sandbox_id = sandbox_ ? sandbox_->id() : "";
  state.bundle = container.config.bundle;
  state.status = container_status(container);
  state.pid = vmm_pid_;
  state.exit_status = container.init->exit_status;
  state.created_at = container.created_at;
  Result<void> written = write_container_state(run_dir_, state);
  if (!written) log::warn("{}", written.error().message());
  return written.ok();
}

Result<std::shared_ptr<agent_client::Agent>> SandboxService::agent_locked() {
  KATA_ASSIGN_OR_RETURN(Sandbox * sandbox, sandbox_locked());
  std::shared_ptr<agent_client::Agent> agent = sandbox->agent();
  if (!agent) return Error(Code::kFailedPrecondition, "sandbox " + sandbox->id() + " is shut down");
  return agent;
}

Result<std::shared_ptr<Process>> SandboxService::find_locked(const std::string& id,
                                                             const std::string& exec_id) {
  auto it = containers_.find(id);
  if (it == containers_.end()) return not_found(id, "");
  if (exec_id.empty()) return it->second.init;
  auto exec = it->second.execs.find(exec_id);
  if (exec == it->second.execs.end()) return not_found(id, exec_id);
  return exec->second;
}

Result<std::shared_ptr<Process>> SandboxService::find(const std::string& id,
                                                      const std::string& exec_id) {
  std::lock_guard lock(mu_);
  return find_locked(id, exec_id);
}

Result<Sandbox*> SandboxService::sandbox_locked() {
  if (!sandbox_) return Error(Code::kFailedPrecondition, "sandbox is not running");
  return sandbox_.get();
}

Result<void> SandboxService::ensure_sandbox(const ContainerConfig& config) {
  if (sandbox_) return {};
  KATA_ASSIGN_OR_RETURN(BundleInfo info, read_bundle_info(config.bundle));
  if (info.kind == ContainerKind::kPodContainer) {
    return Error(Code::kFailedPrecondition, "container " + config.id + " joins sandbox " +
                                                info.sandbox_id + ", which this shim does not run");
  }
  KATA_TRY(std::move(info.own_namespaces).context("container " + config.id));
  SandboxOptions options;
  options.id = config.id;
  options.hostname = info.hostname;
  options.run_root = deps_.run_root;
  options.network_namespace = info.network_namespace;
  options.extra = info.extra;
  options.cgroups_path = info.cgroups_path;
  options.hypervisor_annotations = std::move(info.hypervisor_annotations);
  options.pod = info.kind == ContainerKind::kPodSandbox;
  KATA_ASSIGN_OR_RETURN(std::unique_ptr<Sandbox> sandbox, deps_.start_sandbox(options));
  {
    std::lock_guard lock(mu_);
    sandbox_ = std::move(sandbox);
    run_dir_ = deps_.run_root + "/" + sandbox_->id();
    vmm_pid_ = static_cast<uint32_t>(sandbox_->vmm_pid());
  }
  start_oom_watch();
  return {};
}

Result<uint32_t> SandboxService::create(const ContainerConfig& config, StdioPaths stdio,
                                        StdioFiles files) {
  std::lock_guard lifecycle(lifecycle_mu_);
  if (has_container(config.id)) {
    return Error(Code::kAlreadyExists, "container " + config.id + ": already exists");
  }
  auto process = std::make_shared<Process>();
  process->container_id = config.id;
  process->stdio = std::move(stdio);
  process->files = std::move(files);
  KATA_TRY(ensure_sandbox(config));
  Result<void> created = sandbox_->create_container(config);
  if (!created) {
    if (container_count() == 0) stop_sandbox();  // the create error is the one to report
    return std::move(created).error();           // the sandbox names the container already
  }
  {
    std::lock_guard lock(mu_);
    Container container{config, std::chrono::system_clock::now(), false, process, {}};
    if (persist_locked(container)) {
      const Container& added = containers_.emplace(config.id, std::move(container)).first->second;
      ServiceEvent event(EventKind::kCreated, config.id);
      event.container = &added;
      emit_locked(std::move(event));
      return vmm_pid_;
    }
  }
  // Unknown to every later front door, it would be a container nobody can find:
  // undone as a failed create is (outside mu_: this asks the guest).
  Result<void> removed = sandbox_->remove_container(config.id);
  if (!removed) log::warn("remove container {}: {}", config.id, removed.error().message());
  if (container_count() == 0) stop_sandbox();
  return Error(Code::kInternal, "create " + config.id + ": its state cannot be written");
}

Result<uint32_t> SandboxService::start(const std::string& id, const std::string& exec_id) {
  std::lock_guard lifecycle(lifecycle_mu_);
  KATA_ASSIGN_OR_RETURN(std::shared_ptr<Process> process, find(id, exec_id));
  {
    std::lock_guard lock(mu_);
    if (process->exited()) {
      return Error(Code::kFailedPrecondition, "start " + process->public_id() + ": it has exited");
    }
    if (process->status != ProcessStatus::kCreated) {
      return Error(Code::kFailedPrecondition,
                   "start " + process->public_id() + ": already started");
    }
    process->starting = true;
  }
  Result<void> started = start_process(process);
  if (!started) {
    // As runc's: the process that could not exec has exited, and can be deleted.
    end_unstarted(process, started.error().code() == Code::kNotFound ? kNotFoundExitStatus
                                                                     : kCannotRunExitStatus);
    return std::move(started).error();
  }
  return task_pid();
}

// Starts the process in the guest, then its stdio, then emits the start event,
// and only then the waiter: so the exit event can never overtake it. Signals
// that came meanwhile are delivered last.
Result<void> SandboxService::start_process(const std::shared_ptr<Process>& process) {
  std::shared_ptr<agent_client::Agent> agent;
  {
    std::lock_guard lock(mu_);
    KATA_ASSIGN_OR_RETURN(agent, agent_locked());
  }
  if (process->exec_id.empty()) {
    const std::string what = "start " + process->container_id;
    // An interface added to the namespace since boot (ctr run --cni) must be in
    // the guest before the workload runs. (Start holds lifecycle_mu_, under which
    // sandbox_ stays.)
    KATA_TRY(sandbox_->attach_late_network().context(what));
    KATA_TRY(agent->start_container(process->container_id).context(what));
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
    process->status = ProcessStatus::kRunning;
    process->starting = false;
    queued = std::move(process->queued_signals);
    bool init = process->exec_id.empty();
    if (init) {
      auto it = containers_.find(process->container_id);
      if (it != containers_.end()) persist_locked(it->second);
    }
    emit_locked(ServiceEvent(init ? EventKind::kStarted : EventKind::kExecStarted,
                             process->container_id, process->exec_id));
    process->waiter = std::thread([this, agent, process] { run_waiter(agent, process); });
  }
  for (uint32_t sig : queued) {
    Result<void> sent = agent->signal_process(process->container_id, process->exec_id, sig);
    if (!sent) {
      log::warn("deliver signal {} to {}: {}", sig, process->public_id(), sent.error().message());
    }
  }
  return {};
}

void SandboxService::end_unstarted(const std::shared_ptr<Process>& process, uint32_t status) {
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
void SandboxService::run_waiter(std::shared_ptr<agent_client::Agent> agent,
                                std::shared_ptr<Process> process) {
  Result<int32_t> code = agent->wait_process(process->container_id, process->exec_id);
  uint32_t status = kLostExitStatus;
  if (code) {
    status = static_cast<uint32_t>(*code);
  } else {
    std::optional<std::string> death = sandbox_vm_death();
    log::warn("wait for {}: {}{}", process->public_id(), code.error().message(),
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

void SandboxService::record_exit(const std::shared_ptr<Process>& process, uint32_t status) {
  std::lock_guard lock(mu_);
  record_exit_locked(*process, status);
}

void SandboxService::record_exit_locked(Process& process, uint32_t status) {
  process.status = ProcessStatus::kStopped;
  process.exit_status = status;
  process.exited_at = std::chrono::system_clock::now();
  if (process.exec_id.empty()) {
    auto it = containers_.find(process.container_id);
    if (it != containers_.end()) persist_locked(it->second);
  }
  ServiceEvent event(EventKind::kExited, process.container_id, process.exec_id);
  event.exit_status = status;
  event.exited_at = process.exited_at;
  emit_locked(std::move(event));
  exited_cv_.notify_all();
}

void SandboxService::join_process(Process& process) {
  if (process.waiter.joinable()) process.waiter.join();
  std::shared_ptr<StdioPumps> pumps;
  {
    std::lock_guard lock(mu_);
    pumps = std::move(process.pumps);
  }
  pumps.reset();
}

}  // namespace kata::runtime::service
