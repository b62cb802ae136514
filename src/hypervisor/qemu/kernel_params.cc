#include "hypervisor/qemu/kernel_params.h"

#include <fmt/format.h>

#include "common/strings.h"

namespace kata::hypervisor::qemu {

std::string build_kernel_params(const KernelParamsSpec& spec) {
  std::vector<std::string> params = {"console=ttyS0"};
  if (!spec.debug) params.emplace_back("quiet");
  params.emplace_back("panic=-1");
  // An oops kills only the task it hit, and may leave locks held: a guest half alive,
  // whose processes no signal ends (a kworker's oops left a pod's StopPodSandbox waiting
  // forever). As a panic it ends the VM, which the host sees and reports.
  params.emplace_back("oops=panic");
  if (spec.machine == Machine::kMicrovm && spec.accel == Accel::kTcg && spec.tsc_khz != 0) {
    params.push_back(fmt::format("tsc_early_khz={}", spec.tsc_khz));
  }
  if (spec.accel == Accel::kTcg) params.emplace_back("tsc=reliable");
  params.push_back(fmt::format("agent.channel={}", to_string(spec.channel)));
  if (spec.agent_debug) params.emplace_back("agent.log=debug");
  for (const std::string& mac : spec.parked_nics) params.push_back("agent.park_nic=" + mac);
  std::string_view extra = trim(spec.extra);
  if (!extra.empty()) params.emplace_back(extra);
  return fmt::format("{}", fmt::join(params, " "));
}

}  // namespace kata::hypervisor::qemu
