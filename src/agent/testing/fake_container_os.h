#pragma once

#include <sys/types.h>

#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "agent/container/container_os.h"
#include "common/unique_fd.h"

namespace kata::agent::testing {

// A ContainerOs with an in-memory cgroupfs and container inits that only
// speak the init's protocol. Like the kernel, a new cgroup directory comes
// with its interface files, a write to a file that is not there fails with
// ENOENT, and rmdir fails with EBUSY while the cgroup has children or live
// processes. Like `kata-agent init`, its init reads the config, joins the
// cgroup, sends a pty master for a terminal, reports ready, and "execs" on
// the start byte (or at once, for an exec); an init whose socket closes
// before start exits. The workload is a real `sleep` child (so that pids,
// signals and the reaper are real) that runs until it is killed.
class FakeContainerOs final : public container::ContainerOs {
 public:
  // `cgroup_root` is a directory of the fake cgroupfs from the start.
  explicit FakeContainerOs(std::string cgroup_root);
  // Joins the init threads and kills any workload still alive: destroy the
  // engine first.
  ~FakeContainerOs() override;

  // Knob: the init reports this instead of ready, as for a missing executable.
  std::optional<Error> init_error;
  // Knob: make_shared_namespaces fails with this.
  std::optional<Error> shared_namespaces_error;

  // How launch_init was asked to create a child.
  struct Launch {
    std::string container_id;
    pid_t pid = 0;  // of the fake init; 0 if it did not start
    int clone_flags = 0;
    // The inode of the pid namespace it was to be created in; 0: none was given.
    ino_t pid_ns_inode = 0;
    std::map<std::string, std::string> join_namespaces;  // InitConfig.join_namespaces
  };

  // Observations.
  std::string value(const std::string& path) const;  // "" when absent
  bool has_dir(const std::string& path) const;
  size_t device_filters_attached(const std::string& dir) const;
  size_t inits_launched() const;
  std::vector<Launch> launches() const;
  // dir -> hostname of the shared namespaces made there and not removed.
  std::map<std::string, std::string> shared_namespaces() const;
  // The pids open_pid_namespace was asked for, in order.
  std::vector<pid_t> pid_namespaces_opened() const;

  Result<void> make_dir(const std::string& path) override;
  Result<void> remove_dir(const std::string& path) override;
  Result<void> write_file(const std::string& path, std::string_view value) override;
  Result<std::string> read_file(const std::string& path) override;
  bool exists(const std::string& path) override;
  Result<void> attach_device_filter(const std::string& cgroup_dir,
                                    const std::vector<bpf_insn>& program) override;
  Result<container::Launched> launch_init(Reaper& reaper,
                                          const container::ChildNamespaces& namespaces,
                                          const container::ChildStdio& stdio,
                                          const container::InitConfig& config,
                                          Reaper::ExitCallback on_exit) override;
  // Records them; the files it names do not exist.
  Result<std::map<std::string, std::string>> make_shared_namespaces(
      const std::string& dir, const std::string& hostname) override;
  Result<void> remove_shared_namespaces(const std::string& dir) override;
  // The real /proc/<pid>/ns/pid of the fake's workload process.
  Result<UniqueFd> open_pid_namespace(pid_t pid) override;

 private:
  struct Member {
    pid_t pid;
    UniqueFd pidfd;  // signals through it cannot reach a reused pid
  };
  void serve_init(UniqueFd socket, pid_t pid);
  // Live members of `dir`, dropping those that exited.
  std::vector<pid_t> live_members_locked(const std::string& dir);
  void kill_members_locked(const std::string& dir);

  mutable std::mutex mu_;
  std::set<std::string> dirs_;                          // guarded by mu_
  std::map<std::string, std::string> files_;            // guarded by mu_
  std::map<std::string, std::vector<Member>> members_;  // by cgroup dir; guarded by mu_
  std::map<std::string, size_t> filters_;               // guarded by mu_
  std::map<pid_t, UniqueFd> workloads_;                 // every child; guarded by mu_
  std::vector<std::thread> inits_;                      // guarded by mu_
  std::vector<Launch> launches_;                        // guarded by mu_
  std::map<std::string, std::string> shared_ns_;        // guarded by mu_
  std::vector<pid_t> pid_ns_opened_;                    // guarded by mu_
};

}  // namespace kata::agent::testing
