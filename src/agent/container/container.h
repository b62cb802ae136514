#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "agent/container/cgroup.h"
#include "agent/container/process.h"
#include "agent/container/spec.h"
#include "agent/init/reaper.h"
#include "common/result.h"
#include "common/unique_fd.h"

namespace kata::agent::container {

// Namespaces a new container joins instead of getting its own (the engine's choice).
struct JoinedNamespaces {
  std::map<std::string, std::string> files;  // "ipc" / "uts" -> the file its init joins
  int pid_ns_fd = -1;                        // >= 0: its init is created in this pid namespace
};

// One container: its init process (created stopped, started later), its
// execs and its cgroup. Thread-safe.
class Container {
 public:
  // Creates the cgroup, clones the init into a new mount namespace and new pid,
  // ipc and uts namespaces, except those it joins (`joined`), and waits until it
  // has set the container up. The init then waits for start(). On failure
  // nothing of the container is left. `os` must outlive the container.
  static Result<std::shared_ptr<Container>> create(Reaper& reaper, ContainerOs& os,
                                                   ContainerSpec spec,
                                                   const std::string& cgroup_root,
                                                   const JoinedNamespaces& joined,
                                                   const ttrpc::CancelToken* cancel);
  ~Container();

  const std::string& id() const { return spec_.id; }
  const Cgroup& cgroup() const { return cgroup_; }

  Result<void> start(const ttrpc::CancelToken* cancel);
  Result<void> exec(const std::string& exec_id, const ProcessSpec& process,
                    const ttrpc::CancelToken* cancel);
  // "" = the init process.
  Result<std::shared_ptr<Process>> process(const std::string& exec_id) const;
  // "" = every process of the container.
  Result<void> signal(const std::string& exec_id, int sig);
  // Kills every process and waits for them (`timeout` 0 = no limit), then
  // removes the cgroup. The container's mounts live in its own mount
  // namespace and go away with its last process.
  Result<void> destroy(std::chrono::seconds timeout);

 private:
  Container(Reaper& reaper, ContainerOs& os, ContainerSpec spec, Cgroup cgroup)
      : reaper_(reaper), os_(os), spec_(std::move(spec)), cgroup_(std::move(cgroup)) {}
  std::vector<std::shared_ptr<Process>> all_processes() const;
  std::chrono::steady_clock::time_point started_at() const;

  Reaper& reaper_;
  ContainerOs& os_;
  const ContainerSpec spec_;
  const Cgroup cgroup_;
  std::shared_ptr<Process> init_;
  mutable std::mutex mu_;
  UniqueFd init_socket_;                                   // guarded by mu_; open until started
  std::chrono::steady_clock::time_point started_at_{};     // guarded by mu_; when start() ran
  std::map<std::string, std::shared_ptr<Process>> execs_;  // guarded by mu_
};

}  // namespace kata::agent::container
