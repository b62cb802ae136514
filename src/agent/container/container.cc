#include "agent/container/container.h"

#include <sched.h>
#include <signal.h>

#include <thread>

#include "agent/container/signal_grace.h"
#include "common/log.h"
#include "common/unique_fd.h"

namespace kata::agent::container {
namespace {

Result<std::unique_ptr<ProcessIo>> make_io(const ProcessSpec& p) {
  return p.terminal ? ProcessIo::terminal() : ProcessIo::pipes();
}

// A terminal process's init sends its pty master before it reports ready or
// execs the workload.
Result<void> take_console(const ProcessSpec& p, ProcessIo& io, InitReport& report) {
  if (!report.status || !p.terminal) return std::move(report.status);
  if (!report.console) return Error(Code::kInternal, "container init sent no pty master");
  return io.set_terminal_master(std::move(report.console));
}

// rmdir of a cgroup can race the kernel's bookkeeping of the last exit.
Result<void> remove_cgroup(const Cgroup& cgroup) {
  Result<void> removed = cgroup.remove();
  for (int i = 0; i < 50 && !removed; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    removed = cgroup.remove();
  }
  return removed;
}

ChildNamespaces child_namespaces(const JoinedNamespaces& joined) {
  int flags = CLONE_NEWNS;
  if (!joined.files.count("ipc")) flags |= CLONE_NEWIPC;
  if (!joined.files.count("uts")) flags |= CLONE_NEWUTS;
  if (joined.pid_ns_fd < 0) flags |= CLONE_NEWPID;
  return {flags, joined.pid_ns_fd};
}

}  // namespace

Result<std::shared_ptr<Container>> Container::create(Reaper& reaper, ContainerOs& os,
                                                     ContainerSpec spec,
                                                     const std::string& cgroup_root,
                                                     const JoinedNamespaces& joined,
                                                     const ttrpc::CancelToken* cancel) {
  KATA_ASSIGN_OR_RETURN(std::string rel, cgroup_relative_path(spec.cgroups_path, spec.id));
  KATA_ASSIGN_OR_RETURN(Cgroup cgroup, Cgroup::create(os, cgroup_root, rel));
  std::shared_ptr<Container> c(new Container(reaper, os, std::move(spec), std::move(cgroup)));
  // Before the init joins the cgroup: nothing of the container runs unfiltered.
  Result<void> limited = c->cgroup_.apply(c->spec_.resources);
  if (limited) limited = c->cgroup_.restrict_devices(c->spec_.resources.devices);
  if (!limited) {
    (void)c->cgroup_.remove();
    return std::move(limited).error();
  }
  Result<std::unique_ptr<ProcessIo>> io = make_io(c->spec_.process);
  if (!io) {
    (void)c->cgroup_.remove();
    return std::move(io).error();
  }
  c->init_ = std::make_shared<Process>("", std::move(*io));
  InitConfig config{InitMode::kCreate, c->spec_, 0, c->cgroup_.dir(), joined.files};
  Result<Launched> launched =
      os.launch_init(reaper, child_namespaces(joined), c->init_->io().child_stdio(), config,
                     [p = c->init_](pid_t, int status) { p->on_exit(status); });
  c->init_->io().close_child_side();
  if (!launched) {
    // No init to wait for (launch_init killed it if it got that far).
    c->init_.reset();
    (void)c->cgroup_.remove();
    return std::move(launched).error();
  }
  c->init_->set_pid(launched->pid);
  c->init_socket_ = std::move(launched->socket);
  InitReport report = await_init(c->init_socket_.get(), true, cancel);
  Result<void> ready = take_console(c->spec_.process, c->init_->io(), report);
  if (!ready) {
    // The destructor would do it too; here the error must not be masked.
    (void)c->destroy(std::chrono::seconds(10));
    return std::move(ready).error();
  }
  return c;
}

Container::~Container() {
  // Normally destroy() ran; this is the last line of defence against leaks.
  if (init_ && !init_->exited()) (void)destroy(std::chrono::seconds(10));
}

Result<void> Container::start(const ttrpc::CancelToken* cancel) {
  UniqueFd socket;
  {
    std::lock_guard lock(mu_);
    if (!init_socket_)
      return Error(Code::kFailedPrecondition, "container " + id() + " already started");
    socket = std::move(init_socket_);
  }
  if (init_->exited())
    return Error(Code::kFailedPrecondition, "container " + id() + " init has exited");
  KATA_TRY(write_frame(socket.get(), std::string(1, kStartByte)));
  {
    std::lock_guard lock(mu_);
    started_at_ = std::chrono::steady_clock::now();
  }
  return await_init(socket.get(), false, cancel).status;
}

Result<void> Container::exec(const std::string& exec_id, const ProcessSpec& process,
                             const ttrpc::CancelToken* cancel) {
  if (exec_id.empty()) return Error(Code::kInvalidArgument, "exec id is empty");
  {
    std::lock_guard lock(mu_);
    if (init_socket_)
      return Error(Code::kFailedPrecondition, "container " + id() + " is not started");
    if (execs_.count(exec_id)) return Error(Code::kAlreadyExists, "exec id " + exec_id + " exists");
  }
  if (init_->exited())
    return Error(Code::kFailedPrecondition, "container " + id() + " is not running");
  KATA_ASSIGN_OR_RETURN(std::unique_ptr<ProcessIo> io, make_io(process));
  auto proc = std::make_shared<Process>(exec_id, std::move(io));
  InitConfig config{InitMode::kExec, {}, init_->pid(), cgroup_.dir(), {}};
  config.spec.id = spec_.id;
  config.spec.process = process;
  config.spec.seccomp = spec_.seccomp;
  Result<Launched> launched = os_.launch_init(reaper_, {}, proc->io().child_stdio(), config,
                                              [proc](pid_t, int status) { proc->on_exit(status); });
  proc->io().close_child_side();
  if (!launched) return std::move(launched).error();
  proc->set_pid(launched->pid);
  InitReport report = await_init(launched->socket.get(), false, cancel);
  if (report.exec_pid > 0) proc->set_pid(report.exec_pid);
  // Cancelled, or exec'd without the terminal it asked for: the workload would
  // run on. (An init that reported an error is exiting by itself.)
  bool runs_on = report.status || report.status.error().code() == Code::kCancelled;
  Result<void> started = take_console(process, proc->io(), report);
  if (!started) {
    // Nobody will know this exec id, so it must not outlive the call.
    if (runs_on && !proc->exited()) {
      (void)proc->signal(SIGKILL);
      ::kill(launched->pid, SIGKILL);
    }
    return std::move(started).error();
  }
  std::lock_guard lock(mu_);
  execs_[exec_id] = proc;
  return {};
}

Result<std::shared_ptr<Process>> Container::process(const std::string& exec_id) const {
  if (exec_id.empty()) return init_;
  std::lock_guard lock(mu_);
  auto it = execs_.find(exec_id);
  if (it == execs_.end()) {
    return Error(Code::kNotFound, "container " + id() + " has no process " + exec_id);
  }
  return it->second;
}

std::vector<std::shared_ptr<Process>> Container::all_processes() const {
  std::lock_guard lock(mu_);
  std::vector<std::shared_ptr<Process>> all{init_};
  for (const auto& [_, p] : execs_) all.push_back(p);
  return all;
}

std::chrono::steady_clock::time_point Container::started_at() const {
  std::lock_guard lock(mu_);
  return started_at_;
}

Result<void> Container::signal(const std::string& exec_id, int sig) {
  if (!exec_id.empty()) {
    KATA_ASSIGN_OR_RETURN(std::shared_ptr<Process> p, process(exec_id));
    return p->signal(sig);
  }
  // The init first: in a pid namespace, SIGKILL to it ends every process.
  wait_for_handler(init_->pid(), sig, started_at() + kSignalGrace);
  KATA_TRY(init_->signal(sig));
  return cgroup_.signal_all(sig);
}

Result<void> Container::destroy(std::chrono::seconds timeout) {
  {
    std::lock_guard lock(mu_);
    init_socket_.reset();  // an init still waiting for start() exits on EOF
  }
  (void)init_->signal(SIGKILL);
  Result<void> killed = cgroup_.signal_all(SIGKILL);
  if (!killed) log::warn("remove container {}: {}", id(), killed.error().message());
  auto limit = timeout.count() > 0 ? std::chrono::milliseconds(timeout)
                                   : std::chrono::milliseconds(std::chrono::hours(24 * 365));
  for (const std::shared_ptr<Process>& p : all_processes()) {
    Result<int> waited = p->wait_for(limit);
    if (!waited) return std::move(waited).error().context("remove container " + id());
  }
  return remove_cgroup(cgroup_).context("remove container " + id());
}

}  // namespace kata::agent::container
