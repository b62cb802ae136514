#include "agent/container/engine.h"

#include "common/id.h"
#include "common/log.h"

namespace kata::agent::container {
namespace {
// Only without inotify: how often next_oom looks at every memory.events.
constexpr auto kOomPoll = std::chrono::milliseconds(200);
}  // namespace

Engine::Engine(Reaper& reaper, std::string cgroup_root, ContainerOs& os,
               std::string shared_namespaces_dir)
    : reaper_(reaper),
      os_(os),
      cgroup_root_(std::move(cgroup_root)),
      shared_namespaces_dir_(std::move(shared_namespaces_dir)) {
  Result<std::unique_ptr<FileChangeWatch>> watch = FileChangeWatch::start([this] {
    // Under the lock, so that a waiter between its check and its wait does not miss it.
    std::lock_guard lock(mu_);
    oom_cv_.notify_all();
  });
  if (watch) {
    memory_events_watch_ = std::move(*watch);
  } else {
    log::warn("OOM events are polled: {}", watch.error().message());
  }
}

Engine::~Engine() {
  std::map<std::string, std::shared_ptr<Container>> all;
  {
    std::lock_guard lock(mu_);
    all.swap(containers_);
  }
  for (auto& [id, c] : all) {
    if (c) (void)c->destroy(std::chrono::seconds(10));
  }
  (void)close_sandbox();
}

Result<void> Engine::open_sandbox(const std::string& sandbox_id, const std::string& hostname) {
  std::lock_guard lock(mu_);
  if (sandbox_) {
    return Error(Code::kAlreadyExists,
                 "open sandbox " + sandbox_id + ": sandbox " + sandbox_->id + " is open");
  }
  KATA_ASSIGN_OR_RETURN(auto files,
                        os_.make_shared_namespaces(shared_namespaces_dir_, hostname)
                            .context("make the ipc and uts namespaces of sandbox " + sandbox_id));
  sandbox_ = SandboxNamespaces{sandbox_id, std::move(files)};
  return {};
}

Result<void> Engine::close_sandbox() {
  std::lock_guard lock(mu_);
  if (!sandbox_) return {};
  KATA_TRY(os_.remove_shared_namespaces(shared_namespaces_dir_)
               .context("remove the namespaces of sandbox " + sandbox_->id));
  sandbox_.reset();
  return {};
}

Result<Engine::Joining> Engine::namespaces_to_join(const ContainerSpec& spec) const {
  Joining out;
  std::string sandbox_id;
  std::shared_ptr<Container> sandbox_container;
  {
    std::lock_guard lock(mu_);
    // No sandbox (the engine's own tests, a guest driven without CreateSandbox):
    // every container gets new namespaces, as before sandboxes existed.
    if (!sandbox_ && !spec.sandbox_pidns) return out;
    if (!sandbox_) {
      return Error(
          Code::kFailedPrecondition,
          "sandbox_pidns asks for the sandbox's pid namespace, but no sandbox was created");
    }
    for (const auto& [type, file] : sandbox_->files) {
      bool listed = (type == "ipc" && spec.ipc_namespace) || (type == "uts" && spec.uts_namespace);
      if (listed) out.joined.files[type] = file;
    }
    if (!spec.sandbox_pidns) return out;
    sandbox_id = sandbox_->id;
    auto it = containers_.find(sandbox_id);
    if (it != containers_.end()) sandbox_container = it->second;
  }
  auto not_running = [&sandbox_id] {
    return Error(Code::kFailedPrecondition,
                 "sandbox_pidns asks for the pid namespace of sandbox container " + sandbox_id +
                     ", which is not running");
  };
  if (!sandbox_container) return not_running();
  KATA_ASSIGN_OR_RETURN(std::shared_ptr<Process> init, sandbox_container->process(""));
  Result<UniqueFd> fd = os_.open_pid_namespace(init->pid());
  // Checked after the open: until the reaper has collected the init, its pid
  // cannot name another process.
  if (!fd || init->exited()) return not_running();
  out.pid_ns = std::move(*fd);
  out.joined.pid_ns_fd = out.pid_ns.get();
  return out;
}

Result<std::shared_ptr<Container>> Engine::find(const std::string& id) const {
  std::lock_guard lock(mu_);
  auto it = containers_.find(id);
  if (it == containers_.end() || !it->second)
    return Error(Code::kNotFound, "container " + id + " not found");
  return it->second;
}

Result<std::shared_ptr<Process>> Engine::find_process(const std::string& id,
                                                      const std::string& exec_id) const {
  KATA_ASSIGN_OR_RETURN(std::shared_ptr<Container> c, find(id));
  return c->process(exec_id);
}

Result<void> Engine::create(ContainerSpec spec, const ttrpc::CancelToken* cancel) {
  KATA_TRY(validate_id(spec.id).context("create container"));
  std::string id = spec.id;
  {
    std::lock_guard lock(mu_);
    if (containers_.count(id))
      return Error(Code::kAlreadyExists, "container " + id + " already exists");
    containers_[id] = nullptr;
  }
  Result<Joining> joining = namespaces_to_join(spec);
  Result<std::shared_ptr<Container>> c =
      joining
          ? Container::create(reaper_, os_, std::move(spec), cgroup_root_, joining->joined, cancel)
          : Result<std::shared_ptr<Container>>(std::move(joining).error());
  std::lock_guard lock(mu_);
  if (!c) {
    containers_.erase(id);
    return std::move(c).error().context("create container " + id);
  }
  containers_[id] = *c;
  oom_seen_[id] = 0;
  if (memory_events_watch_) {
    // A cgroup without the memory controller has no memory.events, and no OOM kills.
    Result<void> watched = memory_events_watch_->add((*c)->cgroup().dir() + "/memory.events");
    if (!watched) log::debug("container {}: {}", id, watched.error().message());
  }
  return {};
}

Result<void> Engine::start(const std::string& id, const ttrpc::CancelToken* cancel) {
  KATA_ASSIGN_OR_RETURN(std::shared_ptr<Container> c, find(id));
  return c->start(cancel).context("start container " + id);
}

Result<void> Engine::exec(const std::string& id, const std::string& exec_id,
                          const ProcessSpec& process, const ttrpc::CancelToken* cancel) {
  KATA_ASSIGN_OR_RETURN(std::shared_ptr<Container> c, find(id));
  return c->exec(exec_id, process, cancel).context("exec " + exec_id + " in container " + id);
}

Result<void> Engine::signal(const std::string& id, const std::string& exec_id, int sig) {
  KATA_ASSIGN_OR_RETURN(std::shared_ptr<Container> c, find(id));
  return c->signal(exec_id, sig).context("signal container " + id);
}

Result<int> Engine::wait(const std::string& id, const std::string& exec_id,
                         const ttrpc::CancelToken* cancel) {
  KATA_ASSIGN_OR_RETURN(std::shared_ptr<Process> p, find_process(id, exec_id));
  Result<int> status = p->wait(cancel);
  // An OOM kill must be queued before the host learns of the exit: the host
  // may remove the container (and its cgroup) right after, before any poll.
  {
    std::lock_guard lock(mu_);
    collect_ooms_locked();
  }
  oom_cv_.notify_all();
  return status;
}

Result<std::string> Engine::read_stdout(const std::string& id, const std::string& exec_id,
                                        uint32_t max, const ttrpc::CancelToken* cancel) {
  KATA_ASSIGN_OR_RETURN(std::shared_ptr<Process> p, find_process(id, exec_id));
  return p->io().read_stdout(max, cancel);
}

Result<std::string> Engine::read_stderr(const std::string& id, const std::string& exec_id,
                                        uint32_t max, const ttrpc::CancelToken* cancel) {
  KATA_ASSIGN_OR_RETURN(std::shared_ptr<Process> p, find_process(id, exec_id));
  return p->io().read_stderr(max, cancel);
}

Result<uint32_t> Engine::write_stdin(const std::string& id, const std::string& exec_id,
                                     std::string_view data, const ttrpc::CancelToken* cancel) {
  KATA_ASSIGN_OR_RETURN(std::shared_ptr<Process> p, find_process(id, exec_id));
  return p->io().write_stdin(data, cancel);
}

Result<void> Engine::close_stdin(const std::string& id, const std::string& exec_id) {
  KATA_ASSIGN_OR_RETURN(std::shared_ptr<Process> p, find_process(id, exec_id));
  return p->io().close_stdin();
}

Result<void> Engine::resize(const std::string& id, const std::string& exec_id, uint32_t rows,
                            uint32_t columns) {
  KATA_ASSIGN_OR_RETURN(std::shared_ptr<Process> p, find_process(id, exec_id));
  return p->io().resize(rows, columns);
}

Result<void> Engine::remove(const std::string& id, std::chrono::seconds timeout) {
  KATA_ASSIGN_OR_RETURN(std::shared_ptr<Container> c, find(id));
  {
    std::lock_guard lock(mu_);
    collect_ooms_locked();  // the last chance to read its memory.events
  }
  KATA_TRY(c->destroy(timeout));
  std::lock_guard lock(mu_);
  containers_.erase(id);
  oom_seen_.erase(id);
  return {};
}

Result<CgroupStats> Engine::stats(const std::string& id) {
  KATA_ASSIGN_OR_RETURN(std::shared_ptr<Container> c, find(id));
  return c->cgroup().stats();
}

Result<void> Engine::pause(const std::string& id) {
  KATA_ASSIGN_OR_RETURN(std::shared_ptr<Container> c, find(id));
  return c->cgroup().freeze(true).context("pause container " + id);
}

Result<void> Engine::resume(const std::string& id) {
  KATA_ASSIGN_OR_RETURN(std::shared_ptr<Container> c, find(id));
  return c->cgroup().freeze(false).context("resume container " + id);
}

Result<void> Engine::update(const std::string& id, const Resources& resources) {
  KATA_ASSIGN_OR_RETURN(std::shared_ptr<Container> c, find(id));
  KATA_TRY(c->cgroup().apply(resources).context("update container " + id));
  // No rules in an update leave the container's filter as it is.
  if (resources.devices.empty()) return {};
  return c->cgroup().restrict_devices(resources.devices).context("update container " + id);
}

void Engine::collect_ooms_locked() {
  for (auto& [id, c] : containers_) {
    if (!c) continue;
    Result<uint64_t> kills = c->cgroup().oom_kills();
    if (kills && *kills > oom_seen_[id]) {
      oom_seen_[id] = *kills;
      oom_pending_.push_back(id);
    }
  }
}

Result<std::string> Engine::next_oom(const ttrpc::CancelToken* cancel) {
  auto notify = [this] {
    std::lock_guard lock(mu_);
    oom_cv_.notify_all();
  };
  ttrpc::CancelToken::Subscription woken =
      cancel ? cancel->subscribe(notify) : ttrpc::CancelToken::Subscription();
  std::unique_lock lock(mu_);
  for (;;) {
    collect_ooms_locked();
    if (!oom_pending_.empty()) {
      std::string id = std::move(oom_pending_.front());
      oom_pending_.pop_front();
      return id;
    }
    if (cancel && cancel->cancelled()) return Error(Code::kCancelled, "GetOOMEvent cancelled");
    // Woken by an exit, a cancel, or a change of some memory.events (an OOM
    // kill of a process that is not the container's init).
    if (memory_events_watch_) {
      oom_cv_.wait(lock);
    } else {
      oom_cv_.wait_for(lock, kOomPoll);
    }
  }
}

}  // namespace kata::agent::container
