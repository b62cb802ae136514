#include "runtime/vm_size.h"

#include <sys/sysinfo.h>

#include <algorithm>

namespace kata::runtime {

VmSize size_vm(VmSize defaults, VmSize extra, VmSize host) {
  auto grown = [](uint64_t base, uint64_t add, uint64_t cap) {
    return std::max(base, std::min(base + add, cap));
  };
  return {grown(defaults.vcpus, extra.vcpus, host.vcpus),
          grown(defaults.memory_mib, extra.memory_mib, host.memory_mib)};
}

VmSize host_size() {
  VmSize host;
  host.vcpus = static_cast<uint64_t>(std::max(1, ::get_nprocs()));
  struct sysinfo info {};
  if (::sysinfo(&info) == 0) {
    host.memory_mib = static_cast<uint64_t>(info.totalram) * info.mem_unit >> 20;
  }
  return host;
}

}  // namespace kata::runtime
