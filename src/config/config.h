#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kata::config {

enum class MachineType { kMicrovm, kQ35 };
enum class Accelerator { kAuto, kKvm, kTcg };
enum class AgentChannel { kAuto, kVsock, kSerial };
enum class SharedFs { kVirtioFs, kNone };
enum class InterNetworkingModel { kTcFilter, kMacvtap, kNone };

// The spelling used in configuration.toml, e.g. "microvm", "virtio-fs", "tcfilter".
std::string_view to_string(MachineType v);
std::string_view to_string(Accelerator v);
std::string_view to_string(AgentChannel v);
std::string_view to_string(SharedFs v);
std::string_view to_string(InterNetworkingModel v);

// The inverse of to_string; nullopt for anything else (case matters, as in Kata).
std::optional<MachineType> parse_machine_type(std::string_view s);
std::optional<Accelerator> parse_accelerator(std::string_view s);
std::optional<AgentChannel> parse_agent_channel(std::string_view s);
std::optional<SharedFs> parse_shared_fs(std::string_view s);
std::optional<InterNetworkingModel> parse_internetworking_model(std::string_view s);

// Install locations compiled in from CMAKE_INSTALL_PREFIX.
std::string install_prefix();
std::string default_kernel_path();   // ${prefix}/share/kata-containers/vmlinux
std::string default_initrd_path();   // ${prefix}/share/kata-containers/kata-initrd.img
MachineType default_machine_type();  // KATA_DEFAULT_MACHINE_TYPE at configure time

// QEMU's -sandbox by default: its seccomp filter on, denying obsolete system calls,
// setuid and friends, process creation and scheduling/resource changes (docs/trust-boundaries.md).
constexpr char kDefaultSeccompSandbox[] =
    "on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny";
constexpr uint64_t kDefaultConsoleLogMaxBytes = 1 << 20;
// Smaller would not keep one boot error's worth of console lines.
constexpr uint64_t kMinConsoleLogMaxBytes = 8 << 10;

// [hypervisor.qemu]; every member starts at the value used when the key is absent.
struct HypervisorConfig {
  std::string path = "/usr/bin/qemu-system-x86_64";
  std::string kernel = default_kernel_path();
  std::string initrd = default_initrd_path();
  std::string image;  // exclusive with initrd
  MachineType machine_type = default_machine_type();
  std::string kernel_params;  // appended to ours, so they can override
  uint32_t default_vcpus = 1;
  uint32_t default_memory = 2048;  // MiB
  SharedFs shared_fs = SharedFs::kVirtioFs;
  std::string virtio_fs_daemon = "/usr/lib/qemu/virtiofsd";
  // virtiofsd -o cache=: "auto", "always", "none" ("never" is read as "none").
  std::string virtio_fs_cache = "auto";
  // Appended to virtiofsd's command line. Kata's default has --thread-pool-size=1;
  // 0 serves requests on the queue's own thread, with no handoff (docs/virtio-fs.md).
  std::vector<std::string> virtio_fs_extra_args = {"--thread-pool-size=0", "-o",
                                                   "announce_submounts"};
  bool enable_debug = false;
  // A virtio-balloon with free page reporting: memory the guest frees goes back to the
  // host. Kata's key; its default is false, ours true (a freed page costs the host nothing).
  bool reclaim_guest_freed_memory = true;
  // Ours, not Kata's: "auto" probes whether KVM really runs a guest (see hypervisor/accel.h).
  Accelerator accelerator = Accelerator::kAuto;
  // Ours: the host TSC frequency handed to microvm guests under TCG; 0 = detect.
  uint64_t tsc_khz = 0;
  // Kata's key: QEMU's -sandbox options; "" runs QEMU without its seccomp filter.
  std::string seccompsandbox = kDefaultSeccompSandbox;
  // Ours: QEMU starts with no capabilities (it needs only files it owns, as root).
  bool drop_capabilities = true;
  // Ours: the guest console on the host, console.log and console.log.1 together.
  uint64_t console_log_max_bytes = kDefaultConsoleLogMaxBytes;
  // Kata's key: the io.katacontainers.config.hypervisor.<key> annotations a sandbox may
  // set, as regular expressions over <key> (runtime/sandbox_annotations.h). Kata's
  // default enables other keys; ours only the VM's size, which names no host path.
  std::vector<std::string> enable_annotations = {"default_vcpus", "default_memory"};

  bool operator==(const HypervisorConfig&) const = default;
};

// [agent.kata]
struct AgentConfig {
  bool enable_debug = false;
  uint32_t dial_timeout = 45;  // seconds of QEMU's CPU time (4x that on the wall clock)
  std::vector<std::string> kernel_modules;
  // Ours: how the host reaches the agent; "auto" = vsock if /dev/vhost-vsock exists.
  AgentChannel channel = AgentChannel::kAuto;

  bool operator==(const AgentConfig&) const = default;
};

// [runtime]
struct RuntimeConfig {
  bool enable_debug = false;
  InterNetworkingModel internetworking_model = InterNetworkingModel::kTcFilter;
  bool sandbox_cgroup_only = true;  // docs/host-cgroups.md

  bool operator==(const RuntimeConfig&) const = default;
};

struct Config {
  HypervisorConfig hypervisor;
  AgentConfig agent;
  RuntimeConfig runtime;

  bool operator==(const Config&) const = default;
};

}  // namespace kata::config
