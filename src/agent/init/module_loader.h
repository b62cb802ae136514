#pragma once

#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/result.h"

namespace kata::agent {

// "/lib/modules/<uname -r>".
Result<std::string> running_modules_dir();

// Loads `names` and what they need from `modules_dir` with finit_module, in
// dependency order. A module that is missing or fails to load is logged and
// skipped, so that one bad driver does not keep the agent from its channel;
// the error names the first failure for the caller to report. `params` gives
// module parameters ("key=value key2=value2") by normalized module name.
Result<void> load_modules(const std::string& modules_dir, const std::vector<std::string>& names,
                          const std::map<std::string, std::string>& params = {});

// The modules listed in `list_path` (see parse_module_list). A missing list
// means the image wants none.
Result<std::vector<std::string>> read_module_list(const std::string& list_path);

// Loads modules on a thread of its own, so that drivers the agent's channel
// does not need (block, net, file systems: about a quarter second under TCG)
// load while the host already talks to the agent. Whoever needs one of them
// calls wait() first.
class BackgroundModuleLoad {
 public:
  BackgroundModuleLoad(std::string modules_dir, std::vector<std::string> names);
  ~BackgroundModuleLoad();
  BackgroundModuleLoad(const BackgroundModuleLoad&) = delete;
  BackgroundModuleLoad& operator=(const BackgroundModuleLoad&) = delete;

  // Blocks until every module was tried; failures are logged, not returned:
  // the caller's own mount or device setup reports what is missing.
  void wait();

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool done_ = false;  // guarded by mu_
  std::thread thread_;
};

}  // namespace kata::agent
