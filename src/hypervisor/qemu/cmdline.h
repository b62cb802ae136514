#pragma once

// Typed QEMU arguments: each object renders its own argv words, so the policy (which
// devices a VM gets) stays apart from QEMU's option syntax.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "hypervisor/types.h"

namespace kata::hypervisor::qemu {

// QEMU splits option values at ',' and reads ",," as a literal comma.
std::string escape_option_value(std::string_view value);

// -machine. microvm takes its RAM from the memory backend directly and needs modern
// virtio-mmio (virtiofsd refuses legacy devices); q35 binds it through a NUMA node.
struct MachineArg {
  Machine type = Machine::kMicrovm;
  std::string memory_backend = "mem";
  std::vector<std::string> argv() const;
};

// -accel; under KVM the guest sees the host CPU, under TCG QEMU's default model.
struct AccelArg {
  Accel type = Accel::kTcg;
  std::vector<std::string> argv() const;
};

struct SmpArg {
  uint32_t cpus = 1;
  std::vector<std::string> argv() const;
};

// Guest RAM as a shared memfd, so that vhost-user devices (virtiofsd) can map it.
struct MemoryArg {
  uint32_t size_mib = 2048;
  std::string id = "mem";
  bool numa_node = false;  // q35: -numa node,memdev=<id>
  std::vector<std::string> argv() const;
};

// No default devices, no config files, no display, and guest reboot = QEMU exit.
struct BaseArgs {
  std::vector<std::string> argv() const;
};

struct NameArg {
  std::string name = {};
  std::vector<std::string> argv() const;
};

struct KernelArg {
  std::string kernel = {};
  std::string initrd = {};  // optional
  std::string append = {};
  std::vector<std::string> argv() const;
};

// The guest's ttyS0, written to a file (QEMU appends nothing else to it), or, with
// `fd` set, to that descriptor QEMU inherited (a pipe to the host's capped relay,
// console_log.h), passed through an fd set: QEMU's file chardev opens /dev/fdset/N.
struct SerialConsoleArg {
  std::string log_path = {};
  int fd = -1;
  std::string id = "console";
  std::vector<std::string> argv() const;
};

// -sandbox: QEMU's own seccomp filter, e.g. "on,obsolete=deny,spawn=deny" (Kata's
// seccompsandbox); empty: none.
struct SandboxArg {
  std::string options = {};
  std::vector<std::string> argv() const;
};

// QMP on a unix socket QEMU listens on; wait=off so QEMU does not block for a client.
struct QmpArg {
  std::string socket_path = {};
  std::string id = "qmp";
  std::vector<std::string> argv() const;
};

// The agent channel over virtio-serial: the guest sees /dev/virtio-ports/agent.channel.0,
// the host connects to `socket_path`.
struct VirtioSerialAgentArg {
  Machine machine = Machine::kMicrovm;  // picks the -device vs -pci transport
  std::string socket_path = {};
  std::string id = "agent";
  std::string port_name = "agent.channel.0";
  std::vector<std::string> argv() const;
};

struct VhostVsockArg {
  Machine machine = Machine::kMicrovm;
  uint32_t guest_cid = 3;
  std::vector<std::string> argv() const;
};

// virtio-rng so the guest's entropy pool does not stall early boot (getrandom()).
struct RngArg {
  Machine machine = Machine::kMicrovm;
  std::vector<std::string> argv() const;
};

// virtio-fs through a vhost-user backend (virtiofsd) listening on `socket_path`. The
// guest mounts it by `tag`; guest RAM must be a shared memory backend (MemoryArg).
struct VhostUserFsArg {
  Machine machine = Machine::kMicrovm;
  std::string socket_path = {};
  std::string tag = "kataShared";
  std::string id = "fs0";
  uint32_t queue_size = 1024;
  std::vector<std::string> argv() const;
};

// virtio-balloon with free page reporting: the guest hands the pages it frees back
// to the host (QEMU punches them out of guest RAM), so that an idle guest holds on
// the host about what it uses, not every page it ever touched (the boot's initrd
// and init memory among them).
struct BalloonArg {
  Machine machine = Machine::kMicrovm;
  std::vector<std::string> argv() const;
};

// A virtio-net NIC on a tap QEMU inherited as descriptor `fd` (-netdev tap,fd=).
// No vhost-net: QEMU has no capabilities, and this host has no /dev/vhost-net.
struct NetArg {
  Machine machine = Machine::kMicrovm;
  std::string id = "net0";
  int fd = -1;
  std::string mac = {};  // empty: QEMU's default
  uint32_t mtu = 0;      // host_mtu: the guest driver takes it as the link's MTU; 0: none
  std::vector<std::string> argv() const;
};

using DeviceArg =
    std::variant<VirtioSerialAgentArg, VhostVsockArg, RngArg, VhostUserFsArg, BalloonArg, NetArg>;

struct CommandLine {
  std::string binary = "/usr/bin/qemu-system-x86_64";
  std::optional<NameArg> name;
  MachineArg machine;
  AccelArg accel;
  SmpArg smp;
  MemoryArg memory;
  BaseArgs base;
  KernelArg kernel;
  SerialConsoleArg console;
  SandboxArg sandbox;
  std::optional<QmpArg> qmp;
  std::vector<DeviceArg> devices;

  // The full argv, binary first.
  std::vector<std::string> argv() const;
};

// The virtio device model for a machine: "virtio-rng" → "virtio-rng-device" on
// microvm (virtio-mmio), "virtio-rng-pci" on q35.
std::string virtio_model(std::string_view base, Machine machine);

}  // namespace kata::hypervisor::qemu
