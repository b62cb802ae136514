#pragma once

// What a sandbox writes down about itself, in <run dir>/state.json, so that
// whoever cleans up after its service died (`containerd-shim-kata-v2 delete`)
// knows exactly which processes are its own: each by pid and start time
// (sys::ProcessIdentity), never by what its command line mentions. Written
// atomically (a temporary file renamed over the old one) at every change, so a
// reader sees the old state or the new one, never half of one. Layout:
// docs/sandbox-state.md.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"
#include "resource/network/tc_filter.h"
#include "sys/process_identity.h"

namespace kata::runtime {

enum class SandboxStatus { kBooting, kRunning };

// What the sandbox added to a network namespace that is not its own (the caller's: CNI's,
// `ctr run --with-ns`'s), so that cleanup after a crash takes exactly that off again
// (docs/host-network.md). A namespace the sandbox created needs nothing: it ends with
// its last holder, QEMU.
struct NetworkState {
  std::string netns_path;
  // The namespace at netns_path then: another one there now holds nothing of ours.
  uint64_t netns_inode = 0;
  std::vector<resource::network::Redirect> redirects;

  bool operator==(const NetworkState&) const = default;
};

struct SandboxState {
  std::string id;
  SandboxStatus status = SandboxStatus::kBooting;
  std::string run_dir;     // holds this file, QEMU's sockets and logs
  std::string shared_dir;  // virtio-fs share; empty without one
  // The sandbox service (the shim daemon), and the processes it started.
  sys::ProcessIdentity service;
  sys::ProcessIdentity qemu;
  sys::ProcessIdentity virtiofsd;       // leads a process group: virtiofsd forks its worker
  std::optional<NetworkState> network;  // only for a caller's namespace
  // The sandbox's own host cgroup, one directory per hierarchy (resource/host_cgroup.h).
  std::vector<std::string> cgroup_dirs;
};

constexpr char kSandboxStateFile[] = "state.json";

std::string sandbox_state_path(const std::string& run_dir);
std::string to_json(const SandboxState& state);
// INVALID_ARGUMENT naming the field for anything but what to_json writes.
Result<SandboxState> sandbox_state_from_json(const std::string& text);

Result<void> write_sandbox_state(const SandboxState& state);  // to sandbox_state_path(run_dir)
// NOT_FOUND when the sandbox never wrote one (killed before its first process started).
Result<SandboxState> read_sandbox_state(const std::string& run_dir);

}  // namespace kata::runtime
