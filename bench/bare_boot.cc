#include "bare_boot.h"

#include <algorithm>
#include <chrono>
#include <cstdlib>

#include "common/fs.h"
#include "hypervisor/host_check.h"
#include "hypervisor/qemu/qemu.h"

namespace kata::bench {

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

Args parse_args(int argc, char** argv) {
  Args a;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i], v = argv[i + 1];
    if (k == "--runs")
      a.runs = std::atoi(v.c_str());
    else if (k == "--kernel")
      a.kernel = v;
    else if (k == "--initrd")
      a.initrd = v;
    else if (k == "--baseline-initrd")
      a.baseline_initrd = v;
    else if (k == "--machine")
      a.machine = v;
  }
  return a;
}

Result<double> bare_boot(const config::Config& c, const std::string& kernel,
                         const std::string& baseline_initrd, const std::string& run_dir) {
  using Clock = std::chrono::steady_clock;
  hypervisor::qemu::VmConfig vm;
  vm.qemu_path = c.hypervisor.path;
  vm.run_dir = run_dir;
  vm.machine = hypervisor::to_machine(c.hypervisor.machine_type);
  vm.accel = hypervisor::Accel::kTcg;
  vm.memory_mib = c.hypervisor.default_memory;
  vm.kernel = kernel;
  vm.initrd = baseline_initrd;
  vm.agent_channel = hypervisor::Channel::kSerial;  // same devices as the Kata++ guest
  auto start = Clock::now();
  KATA_ASSIGN_OR_RETURN(auto qemu, hypervisor::qemu::QemuVm::start(vm));
  KATA_ASSIGN_OR_RETURN(auto status, qemu->wait_for_exit(std::chrono::seconds(60)));
  double secs = std::chrono::duration<double>(Clock::now() - start).count();
  if (!status.success()) return Error(Code::kInternal, "bare QEMU: " + status.describe());
  (void)fs::remove_all(run_dir);
  return secs;
}

}  // namespace kata::bench
