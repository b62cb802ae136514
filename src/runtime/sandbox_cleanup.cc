// cleanup_sandbox: what `containerd-shim-kata-v2 delete` runs when the sandbox
// service is gone. The persisted state is the sandbox's directories: every
// path derives from the sandbox id, and QEMU and virtiofsd name those paths
// in their arguments, so they are found even if the service died mid-boot,
// before it could have written anything down.
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "common/fs.h"
#include "common/id.h"
#include "common/log.h"
#include "resource/shared_dir.h"
#include "runtime/sandbox.h"
#include "sys/proc_scan.h"

namespace kata::runtime {
namespace {

std::vector<pid_t> sandbox_processes(const std::string& run_dir, const std::string& shared_dir) {
  std::vector<pid_t> pids = sys::processes_mentioning(run_dir + "/", ::getuid());
  for (pid_t pid : sys::processes_mentioning(shared_dir, ::getuid())) pids.push_back(pid);
  return pids;
}

// SIGKILL and wait for them to be gone (reaped by whoever is their parent
// now, usually init), so that their mounts and sockets are released.
Result<void> kill_all(const std::string& run_dir, const std::string& shared_dir) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (true) {
    std::vector<pid_t> pids = sandbox_processes(run_dir, shared_dir);
    if (pids.empty()) return {};
    if (std::chrono::steady_clock::now() > deadline) {
      return Error(Code::kDeadlineExceeded,
                   "process " + std::to_string(pids.front()) + " of the sandbox does not die");
    }
    for (pid_t pid : pids) {
      log::info("killing leftover sandbox process {}", pid);
      ::kill(pid, SIGKILL);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

}  // namespace

Result<void> cleanup_sandbox(const SandboxOptions& options) {
  const std::string what = "clean up sandbox " + options.id;
  KATA_TRY(validate_id(options.id).context(what));
  const std::string run_dir = options.run_root + "/" + options.id;
  const std::string shared_dir = resource::sandbox_shared_dir(options.id, options.shared_root);
  KATA_TRY(kill_all(run_dir, shared_dir).context(what));
  KATA_TRY(resource::release_shared_dir(shared_dir, true).context(what));
  return fs::remove_all(run_dir).context(what);
}

}  // namespace kata::runtime
