#include "hypervisor/testing/vm_test_env.h"

#include <cstdlib>

#include "common/fs.h"
#include "config/config.h"
#include "sys/proc_scan.h"

namespace kata::hypervisor::testing {

std::string test_kernel(const char* build_default) {
  for (std::string candidate : {std::string(std::getenv("KATA_TEST_KERNEL") ?: ""),
                                std::string(build_default), config::default_kernel_path()}) {
    if (!candidate.empty() && fs::exists(candidate)) return candidate;
  }
  return "";
}

std::vector<int> processes_mentioning(const std::string& needle) {
  std::vector<int> pids;
  for (const sys::ProcessMention& p : sys::processes_mentioning(needle)) pids.push_back(p.pid);
  return pids;
}

}  // namespace kata::hypervisor::testing
