#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "common/result.h"
#include "config/config.h"
#include "hypervisor/qemu/cmdline.h"
#include "hypervisor/types.h"

namespace kata::hypervisor::qemu {

// The devices a VM gets besides its console and agent channel.
struct RngDevice {};
// virtio-balloon with free page reporting.
struct BalloonDevice {};
// A vhost-user-fs device (tag kataShared) on RunPaths::virtiofs_socket, where the
// caller's virtiofsd must listen before start().
struct SharedFsDevice {};
// A virtio-net NIC on a tap the caller opened in the VM's network namespace: QEMU
// runs without the capability to open one itself. `tap_fd` is borrowed until
// start() returns; QEMU keeps its own copy.
struct NetDevice {
  int tap_fd = -1;
  std::string mac = {};  // "02:00:..."; empty: QEMU's default
  uint32_t mtu = 0;      // told to the guest (host_mtu); 0: the guest's default
  // A spare for an interface that appears after boot: the guest agent keeps it out of
  // the containers' namespace until it is configured (agent.park_nic=MAC). Needs `mac`.
  bool parked = false;
};
using Device = std::variant<RngDevice, BalloonDevice, SharedFsDevice, NetDevice>;

// Everything needed to start one VM; resolved values only (no "auto").
struct VmConfig {
  std::string qemu_path = "/usr/bin/qemu-system-x86_64";
  std::string name = {};  // -name, e.g. the sandbox id; empty: none
  // Per-VM directory for sockets and logs, e.g. /run/kata-containers/<id>/; created by
  // start(). Its sockets must fit a sockaddr_un, so keep it under ~90 bytes.
  std::string run_dir = {};
  Machine machine = Machine::kMicrovm;
  Accel accel = Accel::kTcg;
  uint32_t vcpus = 1;
  uint32_t memory_mib = 2048;
  std::string kernel = {};
  std::string initrd = {};
  bool debug = false;              // guest kernel messages on the console log
  bool agent_debug = false;        // agent.log=debug
  uint64_t tsc_khz = 0;            // microvm + TCG only; 0 = read the host's
  std::string kernel_params = {};  // extra, from configuration.toml
  Channel agent_channel = Channel::kSerial;
  uint32_t vsock_guest_cid = 3;
  std::vector<Device> devices = {RngDevice{}, BalloonDevice{}};
  // The network namespace QEMU runs in (an open nsfs fd, borrowed until start()
  // returns): its taps live there, and so its pid names the sandbox's network, not
  // the host's. -1: the caller's.
  int network_namespace_fd = -1;
  // QEMU's -sandbox options ("" = none), and whether it starts with no capabilities.
  std::string seccomp_sandbox = config::kDefaultSeccompSandbox;
  bool drop_capabilities = true;
  // console.log and console.log.1 together (console_log.h).
  uint64_t console_log_max = config::kDefaultConsoleLogMaxBytes;
  // How long QEMU has to open its QMP socket and greet.
  std::chrono::milliseconds start_timeout{10000};
};

// Where a VM's files live inside its run dir.
struct RunPaths {
  std::string qmp_socket = {};       // qmp.sock
  std::string agent_socket = {};     // agent.sock (virtio-serial channel only)
  std::string console_log = {};      // console.log (+ .1): the guest's ttyS0, capped
  std::string qemu_log = {};         // qemu.log: QEMU's own stdout and stderr
  std::string virtiofs_socket = {};  // virtiofsd.sock: virtiofsd listens, QEMU connects
  std::string virtiofsd_log = {};    // virtiofsd.log: virtiofsd's stderr
  static RunPaths in(const std::string& run_dir);
};

// A VmConfig from configuration.toml's [hypervisor.qemu] and [agent.kata], with the
// choices the caller resolved (see accel.h and host_check.h). A rootfs `image` is not
// supported yet (UNIMPLEMENTED).
Result<VmConfig> vm_config_from(const config::Config& config, Accel accel, Channel channel,
                                std::string run_dir);

// The descriptor QEMU writes the guest console to: the first of SpawnOptions.extra_fds.
constexpr int kConsoleFd = 3;
// The descriptors QEMU inherits after the console, in this order (as kConsoleFd + 1,
// + 2, ...): each NetDevice's tap.
std::vector<int> inherited_tap_fds(const VmConfig& config);

// The QEMU command line for `config`, with `kernel_cmdline` passed to the guest as is.
CommandLine build_command_line(const VmConfig& config, const RunPaths& paths,
                               std::string kernel_cmdline);

}  // namespace kata::hypervisor::qemu
