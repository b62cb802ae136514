#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "hypervisor/types.h"

namespace kata::hypervisor::qemu {

struct KernelParamsSpec {
  Machine machine = Machine::kMicrovm;
  Accel accel = Accel::kTcg;
  bool debug = false;        // kernel messages on the console: drops "quiet"
  bool agent_debug = false;  // agent.log=debug
  // agent.channel=serial|vsock: the agent then loads only that channel's
  // drivers before serving, and does not wait to find out which one it is.
  Channel channel = Channel::kSerial;
  // Host TSC frequency. microvm has no HPET or PM timer, so under TCG the guest's TSC
  // calibration against the PIT fails about 1 boot in 4 and the boot hangs; telling the
  // kernel the frequency skips calibration. Ignored elsewhere; 0 = unknown (omitted).
  uint64_t tsc_khz = 0;
  // Under TCG the guest's TSC is the host's, while its jiffies lag whenever the vCPU
  // thread is late: the clocksource watchdog then judges the TSC unstable, the guest
  // falls back to the jiffies clocksource and ticks HZ times a second even when idle.
  // So under TCG the kernel gets tsc=reliable (no watchdog on the TSC).
  std::vector<std::string> parked_nics = {};  // MACs: agent.park_nic=MAC each
  std::string extra = {};  // configuration.toml kernel_params, last so that they win
};

// "console=ttyS0 quiet panic=-1 oops=panic [tsc_early_khz=N] [tsc=reliable]
// agent.channel=C [agent.log=debug] [agent.park_nic=MAC...] [extra]".
// panic=-1 reboots at once on a guest panic, which -no-reboot turns into QEMU exiting;
// oops=panic makes an oops one.
std::string build_kernel_params(const KernelParamsSpec& spec);

}  // namespace kata::hypervisor::qemu
