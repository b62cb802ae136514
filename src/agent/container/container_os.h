#pragma once

#include <linux/bpf.h>

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "agent/container/launcher.h"
#include "agent/init/reaper.h"
#include "common/result.h"
#include "common/unique_fd.h"

namespace kata::agent::container {

// The system calls behind the container engine: the cgroup v2 filesystem, the
// clone of a container init and the namespaces a sandbox's containers share.
// Behind an interface so that the engine runs whole in unit tests and fuzzers,
// over testing::FakeContainerOs, without root or a guest to spoil.
class ContainerOs {
 public:
  virtual ~ContainerOs() = default;

  // mkdir(2): ALREADY_EXISTS when it exists.
  virtual Result<void> make_dir(const std::string& path) = 0;
  // rmdir(2): ok when it does not exist; BUSY (FAILED_PRECONDITION) while in use.
  virtual Result<void> remove_dir(const std::string& path) = 0;
  // One write(2) of `value` to an existing file, as cgroupfs wants it.
  virtual Result<void> write_file(const std::string& path, std::string_view value) = 0;
  virtual Result<std::string> read_file(const std::string& path) = 0;
  virtual bool exists(const std::string& path) = 0;
  // device_filter.h's attach_device_filter.
  virtual Result<void> attach_device_filter(const std::string& cgroup_dir,
                                            const std::vector<bpf_insn>& program) = 0;
  // launcher.h's launch_init.
  virtual Result<Launched> launch_init(Reaper& reaper, const ChildNamespaces& namespaces,
                                       const ChildStdio& stdio, const InitConfig& config,
                                       Reaper::ExitCallback on_exit) = 0;
  // A new IPC and a new UTS namespace (hostname `hostname`, unless empty), kept alive
  // without any process by bind mounts on files in `dir` (made if missing). By type
  // ("ipc", "uts"), the files to setns to. On failure nothing of them is left.
  virtual Result<std::map<std::string, std::string>> make_shared_namespaces(
      const std::string& dir, const std::string& hostname) = 0;
  // Unmounts and removes what make_shared_namespaces made in `dir`; ok when nothing is there.
  virtual Result<void> remove_shared_namespaces(const std::string& dir) = 0;
  // An fd of /proc/<pid>/ns/pid, for ChildNamespaces.pid_ns_fd.
  virtual Result<UniqueFd> open_pid_namespace(pid_t pid) = 0;
};

class RealContainerOs final : public ContainerOs {
 public:
  Result<void> make_dir(const std::string& path) override;
  Result<void> remove_dir(const std::string& path) override;
  Result<void> write_file(const std::string& path, std::string_view value) override;
  Result<std::string> read_file(const std::string& path) override;
  bool exists(const std::string& path) override;
  Result<void> attach_device_filter(const std::string& cgroup_dir,
                                    const std::vector<bpf_insn>& program) override;
  Result<Launched> launch_init(Reaper& reaper, const ChildNamespaces& namespaces,
                               const ChildStdio& stdio, const InitConfig& config,
                               Reaper::ExitCallback on_exit) override;
  Result<std::map<std::string, std::string>> make_shared_namespaces(
      const std::string& dir, const std::string& hostname) override;
  Result<void> remove_shared_namespaces(const std::string& dir) override;
  Result<UniqueFd> open_pid_namespace(pid_t pid) override;
};

// The one the agent uses; it has no state.
ContainerOs& real_container_os();

}  // namespace kata::agent::container
