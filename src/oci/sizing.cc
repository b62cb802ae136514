#include <charconv>

#include "oci/oci.h"

namespace kata::oci {
namespace {

constexpr uint64_t kMiB = 1 << 20;
// The kernel's CFS period when a spec sets a quota alone (cpu.cfs_period_us's default).
constexpr uint64_t kDefaultCfsPeriodUs = 100000;

uint64_t ceil_div(uint64_t a, uint64_t b) { return a / b + (a % b != 0 ? 1 : 0); }

}  // namespace

ContainerSize container_size(const grpc::Spec& spec) {
  ContainerSize size;
  if (!spec.linux().has_resources()) return size;
  const grpc::LinuxResources& r = spec.linux().resources();
  // A negative limit or quota is runc's "unlimited".
  if (r.memory().limit() > 0) size.memory_mib = ceil_div(r.memory().limit(), kMiB);
  if (r.cpu().quota() > 0) {
    uint64_t period = r.cpu().period() > 0 ? r.cpu().period() : kDefaultCfsPeriodUs;
    size.vcpus = ceil_div(r.cpu().quota(), period);
  }
  return size;
}

ContainerSize pod_size(const grpc::Spec& spec) {
  auto number = [&spec](const char* key) -> uint64_t {
    auto it = spec.annotations().find(key);
    if (it == spec.annotations().end()) return 0;
    uint64_t v = 0;
    auto [end, ec] = std::from_chars(it->second.data(), it->second.data() + it->second.size(), v);
    return ec == std::errc() && end == it->second.data() + it->second.size() ? v : 0;
  };
  ContainerSize size;
  if (uint64_t memory = number(kSandboxMemoryAnnotation)) size.memory_mib = ceil_div(memory, kMiB);
  if (uint64_t quota = number(kSandboxCpuQuotaAnnotation)) {
    uint64_t period = number(kSandboxCpuPeriodAnnotation);
    size.vcpus = ceil_div(quota, period > 0 ? period : kDefaultCfsPeriodUs);
  }
  return size;
}

}  // namespace kata::oci
