#include "hypervisor/qemu/vm_config.h"

namespace kata::hypervisor::qemu {

RunPaths RunPaths::in(const std::string& run_dir) {
  std::string dir = run_dir;
  while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
  return RunPaths{dir + "/qmp.sock", dir + "/agent.sock",     dir + "/console.log",
                  dir + "/qemu.log", dir + "/virtiofsd.sock", dir + "/virtiofsd.log"};
}

Result<VmConfig> vm_config_from(const config::Config& config, Accel accel, Channel channel,
                                std::string run_dir) {
  const config::HypervisorConfig& h = config.hypervisor;
  if (!h.image.empty()) {
    return Error(Code::kUnimplemented,
                 "hypervisor.qemu.image: booting a rootfs image is not supported yet; use initrd");
  }
  VmConfig c;
  c.qemu_path = h.path;
  c.run_dir = std::move(run_dir);
  c.machine = to_machine(h.machine_type);
  c.accel = accel;
  c.vcpus = h.default_vcpus;
  c.memory_mib = h.default_memory;
  c.kernel = h.kernel;
  c.initrd = h.initrd;
  c.debug = h.enable_debug;
  c.agent_debug = config.agent.enable_debug;
  c.tsc_khz = h.tsc_khz;
  c.devices = {RngDevice{}};
  if (h.reclaim_guest_freed_memory) c.devices.emplace_back(BalloonDevice{});
  c.kernel_params = h.kernel_params;
  c.agent_channel = channel;
  c.seccomp_sandbox = h.seccompsandbox;
  c.drop_capabilities = h.drop_capabilities;
  c.console_log_max = h.console_log_max_bytes;
  return c;
}

CommandLine build_command_line(const VmConfig& c, const RunPaths& paths,
                               std::string kernel_cmdline) {
  CommandLine cl;
  cl.binary = c.qemu_path;
  if (!c.name.empty()) cl.name = NameArg{c.name};
  cl.machine = MachineArg{.type = c.machine};
  cl.accel = AccelArg{c.accel};
  cl.smp = SmpArg{c.vcpus};
  cl.memory = MemoryArg{.size_mib = c.memory_mib,
                        .id = cl.machine.memory_backend,
                        .numa_node = c.machine == Machine::kQ35};
  cl.kernel = KernelArg{c.kernel, c.initrd, std::move(kernel_cmdline)};
  cl.console = SerialConsoleArg{.fd = kConsoleFd};
  cl.sandbox = SandboxArg{c.seccomp_sandbox};
  cl.qmp = QmpArg{.socket_path = paths.qmp_socket};
  if (c.agent_channel == Channel::kSerial) {
    cl.devices.emplace_back(
        VirtioSerialAgentArg{.machine = c.machine, .socket_path = paths.agent_socket});
  } else {
    cl.devices.emplace_back(VhostVsockArg{c.machine, c.vsock_guest_cid});
  }
  int next_fd = kConsoleFd + 1;
  int nics = 0;
  for (const Device& d : c.devices) {
    if (std::holds_alternative<RngDevice>(d)) {
      cl.devices.emplace_back(RngArg{c.machine});
    } else if (std::holds_alternative<BalloonDevice>(d)) {
      cl.devices.emplace_back(BalloonArg{c.machine});
    } else if (std::holds_alternative<SharedFsDevice>(d)) {
      cl.devices.emplace_back(
          VhostUserFsArg{.machine = c.machine, .socket_path = paths.virtiofs_socket});
    } else if (const auto* nic = std::get_if<NetDevice>(&d)) {
      cl.devices.emplace_back(NetArg{.machine = c.machine,
                                     .id = "net" + std::to_string(nics++),
                                     .fd = next_fd++,
                                     .mac = nic->mac,
                                     .mtu = nic->mtu});
    }
  }
  return cl;
}

std::vector<int> inherited_tap_fds(const VmConfig& config) {
  std::vector<int> fds;
  for (const Device& d : config.devices) {
    if (const auto* nic = std::get_if<NetDevice>(&d)) fds.push_back(nic->tap_fd);
  }
  return fds;
}

}  // namespace kata::hypervisor::qemu
