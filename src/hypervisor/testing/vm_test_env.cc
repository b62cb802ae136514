#include "hypervisor/testing/vm_test_env.h"

#include <dirent.h>

#include <cstdlib>

#include "common/fs.h"
#include "config/config.h"

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
  DIR* proc = ::opendir("/proc");
  if (proc == nullptr) return pids;
  while (dirent* e = ::readdir(proc)) {
    int pid = std::atoi(e->d_name);
    if (pid <= 0) continue;
    Result<std::string> cmdline = fs::read_file("/proc/" + std::string(e->d_name) + "/cmdline");
    if (cmdline && cmdline->find(needle) != std::string::npos) pids.push_back(pid);
  }
  ::closedir(proc);
  return pids;
}

}  // namespace kata::hypervisor::testing
