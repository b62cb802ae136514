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

}  // namespace kata::oci
