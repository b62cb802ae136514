#include "agent/container/engine.h"

#include "common/id.h"
#include "common/log.h"

namespace kata::agent::container {
namespace {
// Only without inotify: how often next_oom looks at every memory.events.
constexpr auto kOomPoll = std::chrono::milliseconds(200);
}  // namespace

Engine::Engine(Reaper& reaper, std::string cgroup_root, ContainerOs& os)
    : reaper_(reaper), os_(os), cgroup_root_(std::move(cgroup_root)) {
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
  Result<std::shared_ptr<Container>> c =
      Container::create(reaper_, os_, std::move(spec), cgroup_root_, cancel);
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
