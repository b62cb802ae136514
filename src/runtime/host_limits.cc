#include "runtime/host_limits.h"

#include <algorithm>

namespace kata::runtime {
namespace {

constexpr uint64_t kMiB = 1024 * 1024;
constexpr uint64_t kPeriodUs = 100000;
// The kernel's floor for cpu.cfs_quota_us.
constexpr int64_t kMinQuotaUs = 1000;

}  // namespace

ContainerLimits container_limits(const grpc::LinuxResources& resources) {
  ContainerLimits limits;
  if (resources.memory().limit() > 0) limits.memory_bytes = resources.memory().limit();
  if (resources.cpu().quota() > 0) {
    limits.cpu_quota_us = resources.cpu().quota();
    limits.cpu_period_us = resources.cpu().period() > 0 ? resources.cpu().period() : kPeriodUs;
  }
  return limits;
}

resource::HostLimits sandbox_host_limits(const std::vector<ContainerLimits>& containers,
                                         const VmFootprint& vm) {
  resource::HostLimits host;
  uint64_t limited_mib = 0;
  bool all_quota = !containers.empty();
  double cpus = 0;
  for (const ContainerLimits& c : containers) {
    if (c.memory_bytes > 0)
      limited_mib += (static_cast<uint64_t>(c.memory_bytes) + kMiB - 1) / kMiB;
    if (c.cpu_quota_us > 0) {
      cpus += static_cast<double>(c.cpu_quota_us) / static_cast<double>(c.cpu_period_us);
    } else {
      all_quota = false;
    }
  }
  uint64_t grown_mib = limited_mib > vm.extra_memory_mib ? limited_mib - vm.extra_memory_mib : 0;
  host.memory_bytes = static_cast<int64_t>((vm.memory_mib + grown_mib + vm.overhead_mib) * kMiB);
  host.cpu_period_us = kPeriodUs;
  if (all_quota) {
    host.cpu_quota_us =
        std::max(kMinQuotaUs, static_cast<int64_t>(cpus * static_cast<double>(kPeriodUs) + 0.5));
  }
  return host;
}

}  // namespace kata::runtime
