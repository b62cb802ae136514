#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "agent/container/container.h"
#include "agent/container/file_change_watch.h"
#include "agent/init/reaper.h"
#include "common/result.h"
#include "ttrpc/cancel.h"

// The agent's container engine: the registry of containers by id and the
// operations of the container RPCs, in domain terms. Thread-safe.
namespace kata::agent::container {

// Where the namespaces a sandbox's containers share are kept (ContainerOs::make_shared_namespaces).
constexpr char kSharedNamespacesDir[] = "/run/kata-containers/sandbox/ns";

class Engine {
 public:
  // `os` must outlive the engine.
  explicit Engine(Reaper& reaper, std::string cgroup_root = kCgroupRoot,
                  ContainerOs& os = real_container_os(),
                  std::string shared_namespaces_dir = kSharedNamespacesDir);
  ~Engine();

  // CreateSandbox: from here on, a container whose spec lists an "ipc" / "uts"
  // namespace joins the sandbox's (made now, with `hostname` unless empty)
  // instead of getting a new one, and a container created with sandbox_pidns
  // joins the pid namespace of the container whose id is `sandbox_id`.
  // ALREADY_EXISTS when a sandbox is open.
  Result<void> open_sandbox(const std::string& sandbox_id, const std::string& hostname);
  // DestroySandbox: removes the shared namespaces' files (containers still in
  // them keep them alive). Ok when no sandbox is open.
  Result<void> close_sandbox();

  // Create, start and exec wait for the container init; `cancel` ends the wait
  // (and a create or exec in progress is undone).
  Result<void> create(ContainerSpec spec, const ttrpc::CancelToken* cancel);
  Result<void> start(const std::string& id, const ttrpc::CancelToken* cancel);
  Result<void> exec(const std::string& id, const std::string& exec_id, const ProcessSpec& process,
                    const ttrpc::CancelToken* cancel);
  Result<void> signal(const std::string& id, const std::string& exec_id, int sig);
  Result<int> wait(const std::string& id, const std::string& exec_id,
                   const ttrpc::CancelToken* cancel);
  Result<std::string> read_stdout(const std::string& id, const std::string& exec_id, uint32_t max,
                                  const ttrpc::CancelToken* cancel);
  Result<std::string> read_stderr(const std::string& id, const std::string& exec_id, uint32_t max,
                                  const ttrpc::CancelToken* cancel);
  Result<uint32_t> write_stdin(const std::string& id, const std::string& exec_id,
                               std::string_view data, const ttrpc::CancelToken* cancel);
  Result<void> close_stdin(const std::string& id, const std::string& exec_id);
  Result<void> resize(const std::string& id, const std::string& exec_id, uint32_t rows,
                      uint32_t columns);
  Result<void> remove(const std::string& id, std::chrono::seconds timeout);

  Result<CgroupStats> stats(const std::string& id);
  Result<void> pause(const std::string& id);
  Result<void> resume(const std::string& id);
  Result<void> update(const std::string& id, const Resources& resources);
  // Blocks until some container's memory.events oom_kill grows; its id.
  Result<std::string> next_oom(const ttrpc::CancelToken* cancel);

 private:
  struct SandboxNamespaces {
    std::string id;
    std::map<std::string, std::string> files;  // "ipc" / "uts" -> namespace file
  };

  struct Joining {
    JoinedNamespaces joined;
    UniqueFd pid_ns;  // what joined.pid_ns_fd is
  };

  Result<std::shared_ptr<Container>> find(const std::string& id) const;
  // The namespaces `spec`'s container joins.
  Result<Joining> namespaces_to_join(const ContainerSpec& spec) const;
  Result<std::shared_ptr<Process>> find_process(const std::string& id,
                                                const std::string& exec_id) const;
  // Queues the id of every container whose oom_kill count grew since last seen.
  void collect_ooms_locked();

  Reaper& reaper_;
  ContainerOs& os_;
  const std::string cgroup_root_;
  const std::string shared_namespaces_dir_;
  mutable std::mutex mu_;
  std::optional<SandboxNamespaces> sandbox_;  // guarded by mu_
  // nullptr: an id reserved by a create in progress.
  std::map<std::string, std::shared_ptr<Container>> containers_;  // guarded by mu_
  std::map<std::string, uint64_t> oom_seen_;                      // guarded by mu_
  std::deque<std::string> oom_pending_;                           // guarded by mu_
  // A process exited or a memory.events changed: an OOM kill may be pending.
  std::condition_variable oom_cv_;
  // Last, so that it stops before what its callback touches goes away. Null if
  // inotify failed: then next_oom polls.
  std::unique_ptr<FileChangeWatch> memory_events_watch_;
};

}  // namespace kata::agent::container
